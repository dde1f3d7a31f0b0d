package dataset

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/proctest"
)

// Environment of the committing processes of TestCommitFromProcesses: the
// bucket directory, and one source tree per process joined by "|".
const (
	commitBucketEnv  = "SEXTANT_DATASET_COMMIT_BUCKET"
	commitSourcesEnv = "SEXTANT_DATASET_COMMIT_SOURCES"
)

func TestMain(m *testing.M) {
	if i, ok := proctest.Child("commit"); ok {
		srcs := strings.Split(os.Getenv(commitSourcesEnv), "|")
		if i >= len(srcs) {
			proctest.Exit(fmt.Errorf("no source tree for process %d", i))
		}
		proctest.Exit(commitAsChild(os.Getenv(commitBucketEnv), srcs[i]))
	}
	os.Exit(m.Run())
}

// TestCommitFromProcesses commits to one file:// bucket from several real
// processes at once: every commit must get its own version number.
func TestCommitFromProcesses(t *testing.T) {
	bucket := t.TempDir()
	const n = 4
	srcs := make([]string, n)
	for i := range n {
		srcs[i] = makeTree(t, map[string]string{"who": fmt.Sprint("process ", i)})
	}
	proctest.Run(t, "commit", n, map[string]string{
		commitBucketEnv:  bucket,
		commitSourcesEnv: strings.Join(srcs, "|"),
	})
	s, err := Open(t.Context(), "file://"+filepath.ToSlash(bucket), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	versions, err := s.Versions(t.Context(), "shared")
	if err != nil {
		t.Fatal(err)
	}
	manifests := map[artifact.Digest]bool{}
	for i, v := range versions {
		if v.Number != i+1 {
			t.Errorf("version %d numbered %d", i+1, v.Number)
		}
		manifests[v.Manifest] = true
	}
	if len(versions) != n || len(manifests) != n {
		t.Errorf("%d versions, %d distinct manifests; want %d of each", len(versions), len(manifests), n)
	}
}

// commitAsChild commits the tree at src as dataset "shared" to the bucket
// at directory bucket.
func commitAsChild(bucket, src string) error {
	ctx := context.Background()
	s, err := Open(ctx, "file://"+filepath.ToSlash(bucket), nil)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = s.Commit(ctx, "shared", src, nil)
	return err
}
