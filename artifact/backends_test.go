package artifact

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/secrets"
	"gocloud.dev/secrets/localsecrets"
)

// backend opens a fresh, empty Bucket of one kind for a test.
type backend struct {
	name string
	open func(t *testing.T) *Bucket
}

var backends = []backend{
	{"mem", func(t *testing.T) *Bucket { return openBucketURL(t, "mem://") }},
	{"file", func(t *testing.T) *Bucket { return openBucketURL(t, "file://"+t.TempDir()) }},
	{"s3", openS3Bucket},
}

func openBucketURL(t *testing.T, url string) *Bucket {
	t.Helper()
	b, err := OpenBucket(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// openS3Bucket serves an in-process S3 (gofakes3) over HTTP and opens a
// bucket on it through the AWS SDK v2 and s3blob, with path-style
// addressing, as a user pointing Sextant at MinIO or Ceph would.
func openS3Bucket(t *testing.T) *Bucket {
	t.Helper()
	ctx := context.Background()
	fake := gofakes3.New(s3mem.New(), gofakes3.WithTimeSkewLimit(0))
	srv := httptest.NewServer(fake.Server())
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test-key", "test-secret", ""),
		HTTPClient:  srv.Client(),
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("sextant")}); err != nil {
		t.Fatal(err)
	}
	bb, err := s3blob.OpenBucket(ctx, client, "sextant", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBucket(bb, &BucketOptions{Owned: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// testKeeper returns a local Keeper with a fixed key, as base64key:// does.
func testKeeper(t testing.TB, seed byte) *secrets.Keeper {
	t.Helper()
	var k [32]byte
	for i := range k {
		k[i] = seed + byte(i)
	}
	kp := localsecrets.NewKeeper(k)
	t.Cleanup(func() { kp.Close() })
	return kp
}
