package beam_test

import (
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sextant-ml/sextant/drift"
	sbeam "github.com/sextant-ml/sextant/engines/beam"
)

// TestFitProfileEqualsFit fits the profile on prism over several shards
// and checks it against drift.Fit on the same rows in one process: with
// every column's sample complete, the edges are Fit's too, so the two
// profiles agree exactly but for the rounding of Mean and M2.
func TestFitProfileEqualsFit(t *testing.T) {
	data := rows(6000, 1, 0)
	want, err := drift.Fit(sbeam.Data(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range want.Columns {
		if c.Numeric != nil && !c.Numeric.Complete {
			t.Fatalf("column %q: sample not complete; the test needs it complete", c.Name)
		}
	}
	for _, n := range []int{1, 5} {
		got := runOne(t, func(s beam.Scope) beam.PCollection {
			return sbeam.FitProfile(s, shards(s, data, n), nil)
		})
		if diff := cmp.Diff(want, got, profileOpts); diff != "" {
			t.Errorf("%d shards: profile (-drift.Fit +FitProfile):\n%s", n, diff)
		}
	}
}

// TestFitProfileBoundedSample fits more rows than the accumulator buffers
// (so partial profiles merge inside it) with a sample smaller than the
// continuous columns: their edges then come from the sample, and the
// profile must equal drift.Fit with those edges, while the columns whose
// sample stays complete get Fit's own edges.
func TestFitProfileBoundedSample(t *testing.T) {
	data := rows(40000, 2, 0)
	opts := &drift.FitOptions{SampleSize: 2500, Bins: 12, Seed: 9}
	got := runOne(t, func(s beam.Scope) beam.PCollection {
		return sbeam.FitProfile(s, shards(s, data, 3), opts)
	})
	free, err := drift.Fit(sbeam.Data(data), opts)
	if err != nil {
		t.Fatal(err)
	}
	incomplete := 0
	for _, c := range free.Columns {
		if c.Numeric == nil {
			continue
		}
		g, err := got.Column(c.Name)
		if err != nil {
			t.Fatal(err)
		}
		if c.Numeric.Complete {
			if !cmp.Equal(g.Numeric.Edges, c.Numeric.Edges) {
				t.Errorf("column %q, complete sample: edges %v, drift.Fit %v", c.Name, g.Numeric.Edges, c.Numeric.Edges)
			}
			continue
		}
		incomplete++
		// Edges from a sample of 2500 of 40000 values: each of the 12
		// bins holds its 1/12 of the rows to within a few points.
		for i, n := range g.Numeric.BinCounts {
			if share := float64(n) / float64(g.Numeric.Count); share < 1.0/12-0.03 || share > 1.0/12+0.03 {
				t.Errorf("column %q: bin %d holds %.3f of the rows", c.Name, i, share)
			}
		}
	}
	if incomplete == 0 {
		t.Fatal("no column beyond the sample size; the test needs one")
	}
	want, err := drift.Fit(sbeam.Data(data), &drift.FitOptions{SampleSize: 2500, Bins: 12, Seed: 9, Edges: got.Edges()})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, profileOpts); diff != "" {
		t.Errorf("profile (-drift.Fit with the same edges +FitProfile):\n%s", diff)
	}
}

// TestProfileFnOnePass runs ProfileFn alone, with the edges of every
// numeric column given, as a single beam.Combine.
func TestProfileFnOnePass(t *testing.T) {
	ref, err := drift.Fit(sbeam.Data(rows(3000, 3, 0)), nil)
	if err != nil {
		t.Fatal(err)
	}
	data := rows(5000, 4, 0.3)
	opts := drift.FitOptions{Edges: ref.Edges(), SampleSize: 1000}
	got := runOne(t, func(s beam.Scope) beam.PCollection {
		return beam.Combine(s, &sbeam.ProfileFn{Options: opts}, shards(s, data, 4))
	})
	want, err := drift.Fit(sbeam.Data(data), &opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, profileOpts); diff != "" {
		t.Errorf("profile (-drift.Fit +ProfileFn):\n%s", diff)
	}
	// And FitProfile with those edges gives the same profile.
	again := runOne(t, func(s beam.Scope) beam.PCollection {
		return sbeam.FitProfile(s, shards(s, data, 2), &opts)
	})
	if diff := cmp.Diff(want, again, profileOpts); diff != "" {
		t.Errorf("profile (-drift.Fit +FitProfile):\n%s", diff)
	}
}

// TestReportFromBeamProfile compares a shifted batch against the profile
// fitted on prism and against the one fitted in one process: the reports
// agree, verdicts and counts exactly, scores to rounding.
func TestReportFromBeamProfile(t *testing.T) {
	data := rows(8000, 5, 0)
	for _, opts := range []*drift.FitOptions{nil, {SampleSize: 1500}} {
		got := runOne(t, func(s beam.Scope) beam.PCollection {
			return sbeam.FitProfile(s, shards(s, data, 3), opts)
		})
		fo := drift.FitOptions{Edges: got.Edges()}
		if opts != nil {
			fo.SampleSize = opts.SampleSize
		}
		local, err := drift.Fit(sbeam.Data(data), &fo)
		if err != nil {
			t.Fatal(err)
		}
		current := sbeam.Data(rows(3000, 6, 0.4))
		want, err := local.Compare(current, nil)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := got.Compare(current, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !want.Drifted || want.DriftedColumns == 0 {
			t.Fatalf("shifted batch not flagged (%d columns drifted); the test needs drift", want.DriftedColumns)
		}
		if diff := cmp.Diff(want, rep, cmpopts.EquateApprox(1e-9, 1e-12)); diff != "" {
			t.Errorf("sample size %v: report (-single machine +beam):\n%s", fo.SampleSize, diff)
		}
	}
}
