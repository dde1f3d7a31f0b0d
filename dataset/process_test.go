package dataset

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const helperEnv = "SEXTANT_DATASET_COMMIT_HELPER"

// TestCommitFromProcesses commits to one file:// bucket from several real
// processes at once: every commit must get its own version number.
func TestCommitFromProcesses(t *testing.T) {
	bucket := t.TempDir()
	const n = 4
	cmds := make([]*exec.Cmd, n)
	for i := range n {
		src := makeTree(t, map[string]string{"who": fmt.Sprint("process ", i)})
		cmd := exec.Command(os.Args[0], "-test.run=^TestCommitHelperProcess$")
		cmd.Env = append(os.Environ(), helperEnv+"="+bucket+"|"+src)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper process: %v", err)
		}
	}
	s, err := Open(t.Context(), "file://"+filepath.ToSlash(bucket), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	versions, err := s.Versions(t.Context(), "shared")
	if err != nil {
		t.Fatal(err)
	}
	manifests := map[string]bool{}
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

// TestCommitHelperProcess is the body of one process of
// TestCommitFromProcesses; run directly it has nothing to do.
func TestCommitHelperProcess(t *testing.T) {
	arg := os.Getenv(helperEnv)
	if arg == "" {
		return
	}
	bucket, src, _ := strings.Cut(arg, "|")
	s, err := Open(t.Context(), "file://"+filepath.ToSlash(bucket), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Commit(t.Context(), "shared", src, nil); err != nil {
		t.Fatal(err)
	}
}
