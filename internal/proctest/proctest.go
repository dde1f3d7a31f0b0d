// Package proctest runs copies of the test binary as child processes, for
// tests that race several real processes on one store.
//
// The parent calls Run; the copies start with -test.run=^$ so that no test
// runs in them, and the package's TestMain hands them to their work:
//
//	func TestMain(m *testing.M) {
//		if i, ok := proctest.Child("put"); ok {
//			proctest.Exit(put(i))
//		}
//		os.Exit(m.Run())
//	}
//
// Functions here are safe to call from several goroutines.
package proctest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
)

// Environment variables naming a child's role and its index.
const (
	roleEnv  = "SEXTANT_PROCTEST_ROLE"
	indexEnv = "SEXTANT_PROCTEST_INDEX"
)

// Run starts n copies of the test binary at once in the role name, each with
// env added to the inherited environment, waits for all of them and returns
// what each printed (standard output and error together), indexed as the
// children were. A child that fails stops t with its output.
func Run(t testing.TB, name string, n int, env map[string]string) []string {
	t.Helper()
	outs := make([]bytes.Buffer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.count=1")
		cmd.Env = append(os.Environ(), roleEnv+"="+name, indexEnv+"="+strconv.Itoa(i))
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		wg.Go(func() { errs[i] = cmd.Run() })
	}
	wg.Wait()
	got := make([]string, n)
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("process %d: %v\n%s", i, errs[i], outs[i].String())
		}
		got[i] = outs[i].String()
	}
	return got
}

// Child reports whether this process was started by Run in the role name,
// and if so its index among the children.
func Child(name string) (i int, ok bool) {
	if os.Getenv(roleEnv) != name {
		return 0, false
	}
	i, err := strconv.Atoi(os.Getenv(indexEnv))
	return i, err == nil
}

// Exit ends a child: with status 0 when err is nil, else with err printed
// and status 1.
func Exit(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}
