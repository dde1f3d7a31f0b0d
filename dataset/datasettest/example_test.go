package datasettest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/dataset/datasettest"
)

// exampleT stands in for the *testing.T a test would pass, so that the
// example runs: it makes temporary directories, runs cleanups at the end
// and turns a failure into a panic.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper()                           {}
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *exampleT) TempDir() string {
	dir, err := os.MkdirTemp("", "datasettest-example")
	if err != nil {
		panic(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func (t *exampleT) done() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// A test of code that checks out a dataset version: NewVersion gives a
// store holding the version, Corrupt damages it to test the failure path.
// In a test, pass the test's t instead of exampleT.
func ExampleNewVersion() {
	t := &exampleT{}
	defer t.done()
	ctx := context.Background()

	files := map[string]string{"readings.csv": "id,temp\n1,20.5\n", "meta/README": "November"}
	s, v := datasettest.NewVersion(t, "sensors", files)
	dir := t.TempDir()
	if _, _, err := s.Checkout(ctx, "sensors", "latest", dir, nil); err != nil {
		t.Fatal(err)
	}
	fmt.Println("version", v.Number, "checked out intact:", cmp.Equal(files, datasettest.ReadTree(t, dir)))

	datasettest.Corrupt(t, s, v, "readings.csv") // damage the stored bytes
	_, _, err := s.Checkout(ctx, "sensors", "1", t.TempDir(), nil)
	fmt.Println("corruption caught:", errors.Is(err, dataset.ErrDigestMismatch))
	// Output:
	// version 1 checked out intact: true
	// corruption caught: true
}
