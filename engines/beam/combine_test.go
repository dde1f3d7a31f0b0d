package beam_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/drift"
	sbeam "github.com/sextant-ml/sextant/engines/beam"
)

// accumulate adds rows to a fresh accumulator of fn, as one bundle of a
// worker does.
func accumulate(t *testing.T, fn *sbeam.ProfileFn, rows []sbeam.Row) *sbeam.Accumulator {
	t.Helper()
	a := fn.CreateAccumulator()
	for _, r := range rows {
		var err error
		if a, err = fn.AddInput(a, r); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// roundTrip encodes and decodes an accumulator with its Beam coder, as a
// runner does when it moves one between workers.
func roundTrip(t *testing.T, a *sbeam.Accumulator) *sbeam.Accumulator {
	t.Helper()
	b, err := sbeam.EncodeAccumulator(a)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sbeam.DecodeAccumulator(b)
	if err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	again, err := sbeam.EncodeAccumulator(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(b) {
		t.Fatalf("encoding not stable across a round trip:\n%s\n%s", b, again)
	}
	return out
}

func oneShotOptions(t *testing.T, data []sbeam.Row, sample int) drift.FitOptions {
	t.Helper()
	ref, err := drift.Fit(sbeam.Data(data), &drift.FitOptions{SampleSize: sample})
	if err != nil {
		t.Fatal(err)
	}
	return drift.FitOptions{SampleSize: sample, Seed: 3, Edges: ref.Edges()}
}

// TestAccumulatorCoderRoundTrip checks that an accumulator, with buffered
// rows, fitted columns and columns that have had only missing values,
// gives the same profile after a trip through its coder.
func TestAccumulatorCoderRoundTrip(t *testing.T) {
	data := rows(20000, 7, 0) // past the buffer, so some rows are fitted
	fn := &sbeam.ProfileFn{Options: oneShotOptions(t, data, 500)}
	fn.Options.Edges["late"] = []float64{1.5}
	nanOnly := sbeam.Row{Num: map[string]float64{"late": math.NaN(), "x": 1}, Cat: map[string]string{"late_cat": ""}}
	a := accumulate(t, fn, append(data, nanOnly))
	b := accumulate(t, fn, []sbeam.Row{{Num: map[string]float64{"late": 2, "x": 2}, Cat: map[string]string{"late_cat": "k"}}})
	for name, acc := range map[string]*sbeam.Accumulator{"with NaN-only columns": a, "small": b, "empty": fn.CreateAccumulator()} {
		t.Run(name, func(t *testing.T) {
			decoded := roundTrip(t, acc)
			want, wantErr := fn.ExtractOutput(acc)
			got, gotErr := fn.ExtractOutput(decoded)
			if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
				t.Fatalf("errors differ: %v, after the round trip %v", wantErr, gotErr)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("profile (-before +after the round trip):\n%s", diff)
			}
		})
	}
	// The NaN-only columns are kept through the coder and merge with the
	// values that come later.
	fn = &sbeam.ProfileFn{Options: drift.FitOptions{Edges: map[string][]float64{"x": {1.5}, "late": {1.5}}}}
	b = accumulate(t, fn, []sbeam.Row{{Num: map[string]float64{"late": 2, "x": 2}, Cat: map[string]string{"late_cat": "k"}}})
	merged, err := fn.MergeAccumulators(roundTrip(t, fn.CreateAccumulator()), roundTrip(t, accumulate(t, fn, []sbeam.Row{nanOnly})))
	if err != nil {
		t.Fatal(err)
	}
	if merged, err = fn.MergeAccumulators(merged, roundTrip(t, b)); err != nil {
		t.Fatal(err)
	}
	p, err := fn.ExtractOutput(merged)
	if err != nil {
		t.Fatal(err)
	}
	late, err := p.Column("late")
	if err != nil {
		t.Fatal(err)
	}
	if late.Rows != 2 || late.NaN != 1 || late.Numeric.Count != 1 {
		t.Errorf("column late: rows %d, NaN %d, count %d; want 2, 1, 1", late.Rows, late.NaN, late.Numeric.Count)
	}
	if c, _ := p.Column("late_cat"); c == nil || c.Rows != 2 || c.NaN != 1 {
		t.Errorf("column late_cat: %+v, want 2 rows with 1 missing", c)
	}
}

// TestMergeAnyOrder drives ProfileFn as a distributed runner does: each
// shard accumulated apart, encoded and decoded, then merged in random
// orders and tree shapes. Every order gives the same profile, which
// equals drift.Fit on all rows (counts, bins and sample exactly, moments
// to rounding).
func TestMergeAnyOrder(t *testing.T) {
	data := rows(9000, 8, 0)
	fn := &sbeam.ProfileFn{Options: oneShotOptions(t, data, 700)}
	var parts [][]sbeam.Row
	for i := 0; i < len(data); {
		n := min(1+i%2500, len(data)-i)
		parts = append(parts, data[i:i+n])
		i += n
	}
	want, err := drift.Fit(sbeam.Data(data), &fn.Options)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var first *drift.Profile
	for trial := range 8 {
		var accs []*sbeam.Accumulator
		for _, p := range parts {
			accs = append(accs, roundTrip(t, accumulate(t, fn, p)))
		}
		for len(accs) > 1 {
			i, j := rng.IntN(len(accs)), rng.IntN(len(accs)-1)
			if j >= i {
				j++
			}
			m, err := fn.MergeAccumulators(accs[i], accs[j])
			if err != nil {
				t.Fatal(err)
			}
			if rng.IntN(2) == 0 {
				m = roundTrip(t, m)
			}
			accs[i] = m
			accs = append(accs[:j], accs[j+1:]...)
		}
		got, err := fn.ExtractOutput(accs[0])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, profileOpts); diff != "" {
			t.Fatalf("trial %d: profile (-drift.Fit +merged):\n%s", trial, diff)
		}
		if first == nil {
			first = got
		} else if diff := cmp.Diff(first, got, profileOpts); diff != "" {
			t.Fatalf("trial %d: profile differs from the first order's:\n%s", trial, diff)
		}
	}
}

// TestDecodeAccumulatorRejectsCorrupt checks that the coder refuses what
// would make a wrong profile.
func TestDecodeAccumulatorRejectsCorrupt(t *testing.T) {
	fn := &sbeam.ProfileFn{Options: drift.FitOptions{Edges: map[string][]float64{"x": {0}}}}
	good, err := sbeam.EncodeAccumulator(accumulate(t, fn, []sbeam.Row{{Num: map[string]float64{"x": -1}}, {Num: map[string]float64{"x": 2}}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sbeam.DecodeAccumulator(good); err != nil {
		t.Fatalf("good accumulator %s: %v", good, err)
	}
	for name, b := range map[string]string{
		"not json":          `{"profile":`,
		"profile corrupt":   `{"profile":{"version":1,"bins":10,"sample_size":5,"seed":0,"columns":[{"name":"x","kind":"numeric","rows":1,"numeric":{"count":2}}]}}`,
		"dropped negative":  `{"dropped":{"x":{"kind":"numeric","rows":1,"nan":-1,"inf":2}}}`,
		"dropped no rows":   `{"dropped":{"x":{"kind":"numeric","rows":0}}}`,
		"dropped unequal":   `{"dropped":{"x":{"kind":"numeric","rows":3,"nan":1}}}`,
		"dropped bad kind":  `{"dropped":{"x":{"kind":"text","rows":1,"nan":1}}}`,
		"dropped cat inf":   `{"dropped":{"c":{"kind":"categorical","rows":2,"nan":1,"inf":1}}}`,
		"dropped and there": `{"profile":` + string(good[len(`{"profile":`):len(good)-1]) + `,"dropped":{"x":{"kind":"numeric","rows":1,"nan":1}}}`,
	} {
		if _, err := sbeam.DecodeAccumulator([]byte(b)); !errors.Is(err, drift.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// FuzzDecodeAccumulator checks that whatever the coder accepts can be
// merged and extracted without a panic.
func FuzzDecodeAccumulator(f *testing.F) {
	fn := &sbeam.ProfileFn{Options: drift.FitOptions{Edges: map[string][]float64{"x": {0}}}}
	for _, rows := range [][]sbeam.Row{
		{{Num: map[string]float64{"x": 1}, Cat: map[string]string{"c": "a"}}},
		{{Num: map[string]float64{"x": math.NaN()}, Cat: map[string]string{"c": ""}}},
		nil,
	} {
		a := fn.CreateAccumulator()
		for _, r := range rows {
			a, _ = fn.AddInput(a, r)
		}
		b, err := sbeam.EncodeAccumulator(a)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := sbeam.DecodeAccumulator(b)
		if err != nil {
			return
		}
		other := fn.CreateAccumulator()
		other, _ = fn.AddInput(other, sbeam.Row{Num: map[string]float64{"x": 3}})
		m, err := fn.MergeAccumulators(a, other)
		if err != nil {
			return
		}
		_, _ = fn.ExtractOutput(m)
	})
}

// TestCombineErrors checks that ProfileFn fails where drift.Fit fails on
// the same rows, with drift's sentinel errors.
func TestCombineErrors(t *testing.T) {
	nan := math.NaN()
	edges := map[string][]float64{"a": {0.5}}
	for name, c := range map[string]struct {
		rows []sbeam.Row
		opts drift.FitOptions
		want error
	}{
		"no rows":    {nil, drift.FitOptions{}, drift.ErrEmpty},
		"only NaN":   {[]sbeam.Row{{Num: map[string]float64{"a": nan}}}, drift.FitOptions{Edges: edges}, drift.ErrEmpty},
		"only empty": {[]sbeam.Row{{Cat: map[string]string{"c": ""}}}, drift.FitOptions{}, drift.ErrEmpty},
		"both kinds": {[]sbeam.Row{{Num: map[string]float64{"a": 1}}, {Cat: map[string]string{"a": "x"}}}, drift.FitOptions{Edges: edges}, drift.ErrInvalid},
		"same row":   {[]sbeam.Row{{Num: map[string]float64{"a": 1}, Cat: map[string]string{"a": "x"}}}, drift.FitOptions{Edges: edges}, drift.ErrInvalid},
		"kinds across a flush": {append(repeat(sbeam.Row{Num: map[string]float64{"a": 1}}, sbeam.FlushRows), sbeam.Row{Cat: map[string]string{"a": "x"}}),
			drift.FitOptions{Edges: edges}, drift.ErrInvalid},
		"no edges":      {[]sbeam.Row{{Num: map[string]float64{"a": 1}}}, drift.FitOptions{}, drift.ErrUnknownColumn},
		"edges unknown": {[]sbeam.Row{{Num: map[string]float64{"a": 1}}}, drift.FitOptions{Edges: map[string][]float64{"a": {0}, "b": {1}}}, drift.ErrUnknownColumn},
	} {
		t.Run(name, func(t *testing.T) {
			fn := &sbeam.ProfileFn{Options: c.opts}
			a, err := fn.CreateAccumulator(), error(nil)
			for _, r := range c.rows {
				if a, err = fn.AddInput(a, r); err != nil {
					break
				}
			}
			if err == nil {
				_, err = fn.ExtractOutput(a)
			}
			if !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
}

func repeat(r sbeam.Row, n int) []sbeam.Row {
	out := make([]sbeam.Row, n)
	for i := range out {
		out[i] = r
	}
	return out
}

// TestColumnsThatComeAndGo adds columns present only before the first
// flush, only after it, and in every row, and checks every count against
// drift.Fit, straight and through the coder after the later flush.
func TestColumnsThatComeAndGo(t *testing.T) {
	var data []sbeam.Row
	for i := range 2*sbeam.FlushRows + 10 {
		r := sbeam.Row{Num: map[string]float64{"always": float64(i % 7)}, Cat: map[string]string{}}
		switch {
		case i < sbeam.FlushRows:
			r.Num["early"] = float64(i % 3)
			r.Cat["early_cat"] = "e"
		case i >= 2*sbeam.FlushRows:
			r.Num["late"] = 1
			r.Cat["late_cat"] = "l"
		}
		data = append(data, r)
	}
	ref, err := drift.Fit(sbeam.Data(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	fn := &sbeam.ProfileFn{Options: drift.FitOptions{Edges: ref.Edges()}}
	a := accumulate(t, fn, data)
	for name, acc := range map[string]*sbeam.Accumulator{"direct": a, "through the coder": roundTrip(t, accumulate(t, fn, data))} {
		got, err := fn.ExtractOutput(acc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got.Columns) != len(ref.Columns) {
			t.Fatalf("%s: %d columns, want %d", name, len(got.Columns), len(ref.Columns))
		}
		for i, c := range got.Columns {
			w := ref.Columns[i]
			if c.Name != w.Name || c.Rows != w.Rows || c.Kind != w.Kind {
				t.Errorf("%s: column %s: %d rows (%s), want %s: %d (%s)", name, c.Name, c.Rows, c.Kind, w.Name, w.Rows, w.Kind)
			}
		}
	}
}
