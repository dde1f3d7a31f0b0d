package monitor_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/monitor"
)

// linear is the bare predictor: a tiny linear model, so that the
// instrumentation's overhead is what the benchmarks measure.
func linear(_ context.Context, x [4]float64) (float64, error) {
	w := [4]float64{0.5, -1.25, 2, 0.125}
	var s float64
	for i, v := range x {
		s += w[i] * v
	}
	return s, nil
}

func BenchmarkPredict(b *testing.B) {
	ctx := context.Background()
	in := [4]float64{1, 2, 3, 4}
	newSet := func(b *testing.B, opts *monitor.Options) *monitor.Metrics {
		m, err := monitor.New(prometheus.NewRegistry(), opts)
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	b.Run("bare", func(b *testing.B) {
		f := linear
		for b.Loop() {
			_, _ = f(ctx, in)
		}
	})
	b.Run("hand-instrumented", func(b *testing.B) {
		// The peer: what a user writes by hand with client_golang, with
		// the same histogram settings as the wrapper's defaults.
		inFlight := prometheus.NewGauge(prometheus.GaugeOpts{Name: "in_flight"})
		total := prometheus.NewCounter(prometheus.CounterOpts{Name: "predictions_total"})
		latency := prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "latency_seconds", Buckets: monitor.DefaultBuckets(),
			NativeHistogramBucketFactor: 1.1, NativeHistogramMaxBucketNumber: 100,
		})
		for b.Loop() {
			inFlight.Inc()
			start := time.Now()
			_, _ = linear(ctx, in)
			latency.Observe(time.Since(start).Seconds())
			total.Inc()
			inFlight.Dec()
		}
	})
	b.Run("wrapped", func(b *testing.B) {
		f := monitor.WrapFunc(newSet(b, nil), "m", "1", linear, nil)
		for b.Loop() {
			_, _ = f(ctx, in)
		}
	})
	b.Run("wrapped-constant-clock", func(b *testing.B) {
		// The same instrumentation with a clock that costs nothing: what
		// remains is the overhead of the counters, histograms and window.
		t0 := time.Unix(1e9, 0)
		f := monitor.WrapFunc(newSet(b, &monitor.Options{Now: func() time.Time { return t0 }}), "m", "1", linear, nil)
		for b.Loop() {
			_, _ = f(ctx, in)
		}
	})
	b.Run("clock-two-reads", func(b *testing.B) {
		// The two readings of the default clock every instrumented call
		// needs, as the wrapper takes them.
		base := time.Now()
		var sink time.Duration
		for b.Loop() {
			start := time.Since(base)
			sink += time.Since(base) - start
		}
		_ = sink
	})
	b.Run("wrapped-classic-only-no-cost", func(b *testing.B) {
		f := monitor.WrapFunc(newSet(b, &monitor.Options{DisableNativeHistograms: true, CostSampleEvery: -1}), "m", "1", linear, nil)
		for b.Loop() {
			_, _ = f(ctx, in)
		}
	})
	b.Run("wrapped-value-class", func(b *testing.B) {
		f := monitor.WrapFunc(newSet(b, nil), "m", "1", linear, &monitor.WrapOptions[float64]{
			Value: func(v float64) (float64, bool) { return v, true },
			Class: func(v float64) string {
				if v > 0 {
					return "pos"
				}
				return "neg"
			},
		})
		for b.Loop() {
			_, _ = f(ctx, in)
		}
	})
	b.Run("wrapped-parallel", func(b *testing.B) {
		f := monitor.WrapFunc(newSet(b, nil), "m", "1", linear, nil)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = f(ctx, in)
			}
		})
	})
}

func BenchmarkWindowRead(b *testing.B) {
	m, err := monitor.New(prometheus.NewRegistry(), nil)
	if err != nil {
		b.Fatal(err)
	}
	f := monitor.WrapFunc(m, "m", "1", linear, nil)
	for range 10000 {
		_, _ = f(context.Background(), [4]float64{})
	}
	for b.Loop() {
		_ = m.Window("m", "1")
	}
}

// BenchmarkOverhead runs the bare call, the hand-instrumented call and the
// wrapped call in alternating chunks of 2,000 calls, so that the load of a
// shared machine falls on all three alike, and reports medians over
// rounds of the per-call times, the added time and the ratios. Medians
// matter on virtual machines whose clock read is sometimes a fast vDSO
// call and sometimes several times slower.
func BenchmarkOverhead(b *testing.B) {
	ctx := context.Background()
	in := [4]float64{1, 2, 3, 4}
	m, err := monitor.New(prometheus.NewRegistry(), nil)
	if err != nil {
		b.Fatal(err)
	}
	wrapped := monitor.WrapFunc(m, "m", "1", linear, nil)
	inFlight := prometheus.NewGauge(prometheus.GaugeOpts{Name: "in_flight"})
	total := prometheus.NewCounter(prometheus.CounterOpts{Name: "predictions_total"})
	latency := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "latency_seconds", Buckets: monitor.DefaultBuckets(),
		NativeHistogramBucketFactor: 1.1, NativeHistogramMaxBucketNumber: 100,
	})
	var sink float64 // keeps every call's result alive
	variants := []func(){
		func() {
			v, _ := linear(ctx, in)
			sink += v
		},
		func() {
			inFlight.Inc()
			start := time.Now()
			v, _ := linear(ctx, in)
			latency.Observe(time.Since(start).Seconds())
			total.Inc()
			inFlight.Dec()
			sink += v
		},
		func() {
			v, _ := wrapped(ctx, in)
			sink += v
		},
	}
	const chunk = 2000
	var bare, hand, wrap []float64
	for b.Loop() {
		var ns [3]float64
		for i, f := range variants {
			start := time.Now()
			for range chunk {
				f()
			}
			ns[i] = float64(time.Since(start).Nanoseconds()) / chunk
		}
		bare, hand, wrap = append(bare, ns[0]), append(hand, ns[1]), append(wrap, ns[2])
	}
	added, vsBare, vsHand := make([]float64, len(bare)), make([]float64, len(bare)), make([]float64, len(bare))
	for i := range bare {
		added[i] = wrap[i] - bare[i]
		vsBare[i] = wrap[i] / bare[i]
		vsHand[i] = wrap[i] / hand[i]
	}
	_ = sink
	b.ReportMetric(median(bare), "bare-ns/call")
	b.ReportMetric(median(hand), "hand-ns/call")
	b.ReportMetric(median(wrap), "wrapped-ns/call")
	b.ReportMetric(median(added), "added-ns/call")
	b.ReportMetric(median(vsBare), "wrapped/bare")
	b.ReportMetric(median(vsHand), "wrapped/hand")
	b.ReportMetric(0, "ns/op") // a round is not a meaningful unit
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return math.NaN()
	}
	return s[len(s)/2]
}
