// Package testbucket opens real gocloud buckets for tests: memblob,
// fileblob in a temporary directory, and s3blob through the AWS SDK v2
// against the in-process S3 server of internal/s3test.
package testbucket

import (
	"net/url"
	"testing"

	"github.com/sextant-ml/sextant/internal/s3test"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
)

// Kinds lists the bucket kinds Open accepts.
func Kinds() []string { return []string{"mem", "file", "s3"} }

// Open returns a fresh, empty bucket of kind ("mem", "file" or "s3"),
// closed when the test ends. For "file" it also returns the directory;
// otherwise dir is "".
func Open(t testing.TB, kind string) (b *blob.Bucket, dir string) {
	t.Helper()
	switch kind {
	case "mem":
		b = memblob.OpenBucket(nil)
	case "file":
		dir = t.TempDir()
		var err error
		b, err = fileblob.OpenBucket(dir, &fileblob.Options{CreateDir: true})
		if err != nil {
			t.Fatal(err)
		}
	case "s3":
		b = openS3(t)
	default:
		t.Fatalf("testbucket: unknown kind %q", kind)
	}
	t.Cleanup(func() { b.Close() })
	return b, dir
}

// URL returns a gocloud URL for kind: mem:// or file:// (with its
// directory), for code that opens buckets by URL.
func URL(t testing.TB, kind string) string {
	t.Helper()
	switch kind {
	case "mem":
		return "mem://"
	case "file":
		return (&url.URL{Scheme: "file", Path: t.TempDir()}).String()
	}
	t.Fatalf("testbucket: no URL for kind %q", kind)
	return ""
}

func openS3(t testing.TB) *blob.Bucket {
	t.Helper()
	return s3test.New(t).Bucket(t, "sextant")
}
