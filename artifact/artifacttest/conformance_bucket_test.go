package artifacttest_test

import (
	"context"
	"os"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/artifact/artifacttest"
	"github.com/sextant-ml/sextant/internal/s3test"
	"gocloud.dev/blob/memblob"
)

func TestMain(m *testing.M) {
	artifacttest.ConformanceMain()
	os.Exit(m.Run())
}

func TestBucketConformance(t *testing.T) {
	t.Run("mem", func(t *testing.T) {
		artifacttest.RunBucketConformance(t, artifacttest.BucketTarget{Open: func(t testing.TB) *artifact.Bucket {
			b, err := artifact.NewBucket(memblob.OpenBucket(nil), &artifact.BucketOptions{Owned: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		}})
	})
	t.Run("zero target", func(t *testing.T) {
		artifacttest.RunBucketConformance(t, artifacttest.BucketTarget{})
	})
	t.Run("file", func(t *testing.T) {
		artifacttest.RunBucketConformance(t, artifacttest.BucketTarget{
			Open: func(t testing.TB) *artifact.Bucket { return openURL(t, "file://"+t.TempDir()) },
			URL:  "file://" + t.TempDir(),
		})
	})
	t.Run("s3 (gofakes3)", func(t *testing.T) {
		srv := s3test.New(t)
		s3test.SetEnv(t)
		n := 0
		artifacttest.RunBucketConformance(t, artifacttest.BucketTarget{
			Open: func(t testing.TB) *artifact.Bucket {
				n++
				return openURL(t, srv.URL("b")+"&prefix=run"+string(rune('a'+n)))
			},
			URL: srv.URL("b") + "&prefix=procs",
		})
	})
}

func openURL(t testing.TB, url string) *artifact.Bucket {
	t.Helper()
	b, err := artifact.OpenBucket(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
