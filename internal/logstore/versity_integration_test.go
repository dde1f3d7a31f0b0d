//go:build integration

package logstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/artifact/artifacttest"
	"github.com/sextant-ml/sextant/internal/s3test"
)

// TestVersity runs the storage core against versitygw, a real
// S3-compatible server: the bucket conformance suite with its
// four-process race on one log, lost replies after committed creates,
// and a store that ignores If-None-Match.
func TestVersity(t *testing.T) {
	srv := s3test.NewVersity(t)
	s3test.SetEnv(t)
	srv.Bucket(t, "conformance") // create it
	n := 0
	artifacttest.RunBucketConformance(t, artifacttest.BucketTarget{
		Open: func(t testing.TB) *artifact.Bucket {
			n++
			b, err := artifact.OpenBucket(context.Background(), srv.URL("conformance")+fmt.Sprintf("&prefix=open%d", n))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		},
		URL: srv.URL("conformance") + "&prefix=procs",
	})
	runS3Faults(t, srv.Endpoint)
}
