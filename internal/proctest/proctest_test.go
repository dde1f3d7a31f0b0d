package proctest_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sextant-ml/sextant/internal/proctest"
)

func TestMain(m *testing.M) {
	if i, ok := proctest.Child("echo"); ok {
		fmt.Printf("child %d says %s\n", i, os.Getenv("PROCTEST_WORD"))
		proctest.Exit(nil)
	}
	if i, ok := proctest.Child("fail"); ok {
		proctest.Exit(fmt.Errorf("child %d failed on purpose", i))
	}
	os.Exit(m.Run())
}

func TestRunPassesIndexAndEnv(t *testing.T) {
	outs := proctest.Run(t, "echo", 3, map[string]string{"PROCTEST_WORD": "hello"})
	for i, out := range outs {
		if want := fmt.Sprintf("child %d says hello\n", i); out != want {
			t.Errorf("process %d printed %q, want %q", i, out, want)
		}
	}
}

// recorder catches the failure Run reports without ending the test.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	panic(r)
}

func TestRunReportsFailedChild(t *testing.T) {
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil && p != r {
				panic(p)
			}
		}()
		proctest.Run(r, "fail", 2, nil)
	}()
	if !strings.Contains(r.msg, "child 0 failed on purpose") {
		t.Fatalf("Run reported %q, want the failing child's output", r.msg)
	}
}

func TestChildOutsideRun(t *testing.T) {
	if _, ok := proctest.Child("echo"); ok {
		t.Fatal("Child reports a role in the parent process")
	}
}
