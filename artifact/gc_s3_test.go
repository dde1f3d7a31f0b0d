package artifact

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	"github.com/sextant-ml/sextant/internal/s3test"
)

// startMultipart begins a multipart upload of key with one part, as a
// process killed in the middle of a large Put leaves it.
func startMultipart(t *testing.T, client *s3.Client, bucket, key string) {
	t.Helper()
	ctx := context.Background()
	up, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	part := bytes.Repeat([]byte{1}, 5<<20)
	if _, err := client.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader(part)}); err != nil {
		t.Fatal(err)
	}
}

// pendingMultipart lists the keys of the bucket's multipart uploads.
func pendingMultipart(t *testing.T, client *s3.Client, bucket string) []string {
	t.Helper()
	out, err := client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	slices.Sort(keys)
	return keys
}

// testGCAbortsMultipart leaves multipart uploads inside and outside a
// store's directory and checks that GC aborts exactly those inside that
// are older than the grace period.
func testGCAbortsMultipart(t *testing.T, client *s3.Client, bucket *Bucket, name string) {
	ctx := context.Background()
	s, err := New(bucket, &Options{Prefix: "team"})
	if err != nil {
		t.Fatal(err)
	}
	inside := []string{"team/cas/uploads/0001-interrupted", "team/cas/sha256/ab/" + string(bytes.Repeat([]byte{'c'}, 62))}
	outside := []string{"cas/uploads/0002-other-store", "team/registry/x"}
	for _, k := range append(slices.Clone(inside), outside...) {
		startMultipart(t, client, name, bucket.Prefix()+k)
	}
	all := pendingMultipart(t, client, name)
	none := func(Digest) bool { return false }
	st, err := s.GC(ctx, none, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Multipart != 0 {
		t.Fatalf("young uploads: aborted %d, want 0", st.Multipart)
	}
	later := func() time.Time { return time.Now().Add(2 * DefaultGrace) }
	if st, err = s.GC(ctx, none, &GCOptions{Now: later, DryRun: true}); err != nil || st.Multipart != len(inside) {
		t.Fatalf("dry run: %+v, %v; want %d", st, err, len(inside))
	}
	if diff := cmp.Diff(all, pendingMultipart(t, client, name)); diff != "" {
		t.Fatalf("dry run aborted uploads (-want +got):\n%s", diff)
	}
	if st, err = s.GC(ctx, none, &GCOptions{Now: later}); err != nil || st.Multipart != len(inside) {
		t.Fatalf("gc: %+v, %v; want %d aborted", st, err, len(inside))
	}
	var want []string
	for _, k := range outside {
		want = append(want, bucket.Prefix()+k)
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, pendingMultipart(t, client, name)); diff != "" {
		t.Fatalf("uploads left (-want +got):\n%s", diff)
	}
}

func TestGCAbortsStaleMultipart(t *testing.T) {
	t.Parallel()
	srv := s3test.New(t)
	b, err := NewBucket(srv.Bucket(t, "sextant"), nil)
	if err != nil {
		t.Fatal(err)
	}
	testGCAbortsMultipart(t, srv.Client(), b, "sextant")
}
