package artifacttest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/artifact/artifacttest"
)

// The kit's constructors take the test's testing.TB, for cleanup and
// failures. An example has no test, so testing.Benchmark lends one here (a
// *testing.B, which may call the function more than once; each call starts
// afresh). In a test, pass t.
func ExampleNewFaultyStore() {
	var got []string
	testing.Benchmark(func(t *testing.B) {
		got = got[:0]
		ctx := context.Background()
		s, faults := artifacttest.NewFaultyStore(t, nil)
		model := artifacttest.Seed(t, s, "weights v1")[0]

		faults.Corrupt(model.Digest) // the bucket returns damaged bytes
		_, err := s.Get(ctx, model.Digest)
		got = append(got, fmt.Sprint("corrupted: ", errors.Is(err, artifact.ErrDigestMismatch)))
		faults.Reset()

		faults.Fail(artifacttest.OpRead, nil) // storage is down
		_, err = s.Get(ctx, model.Digest)
		got = append(got, fmt.Sprint("down: ", errors.Is(err, artifacttest.ErrInjected)))
		faults.Reset()

		b, err := s.Get(ctx, model.Digest)
		got = append(got, fmt.Sprintf("recovered: %q %v", b, err))
		got = append(got, fmt.Sprint("reads seen by the bucket: ", faults.Calls(artifacttest.OpRead)))
	})
	for _, line := range got {
		fmt.Println(line)
	}
	// Output:
	// corrupted: true
	// down: true
	// recovered: "weights v1" <nil>
	// reads seen by the bucket: 1
}

// New is the store most tests want: empty, in memory, closed with the
// test.
func ExampleNew() {
	var got string
	testing.Benchmark(func(t *testing.B) {
		s := artifacttest.New(t, nil)
		ds := artifacttest.Seed(t, s, "a", "bb")
		data, err := s.Get(context.Background(), ds[1].Digest)
		got = fmt.Sprintf("%d seeded, second %q %v", len(ds), data, err)
	})
	fmt.Println(got)
	// Output:
	// 2 seeded, second "bb" <nil>
}

// NewBucket is the bare ground the other packages keep their state on.
func ExampleNewBucket() {
	var got string
	testing.Benchmark(func(t *testing.B) {
		b := artifacttest.NewBucket(t)
		ctx := context.Background()
		if err := b.CreateOnly(ctx, "k", []byte("v")); err != nil {
			t.Fatal(err)
		}
		ok, err := b.Exists(ctx, "k")
		got = fmt.Sprint(ok, err)
	})
	fmt.Println(got)
	// Output:
	// true <nil>
}
