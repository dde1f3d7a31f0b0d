package artifact

import (
	"context"
	"testing"

	"github.com/sextant-ml/sextant/internal/s3test"
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

// openS3Bucket opens a bucket through the AWS SDK v2 and s3blob, with
// path-style addressing, on an in-process S3 server (gofakes3), as a user
// pointing Sextant at MinIO or Ceph would.
func openS3Bucket(t *testing.T) *Bucket {
	t.Helper()
	b, err := NewBucket(s3test.New(t).Bucket(t, "sextant"), nil)
	if err != nil {
		t.Fatal(err)
	}
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
