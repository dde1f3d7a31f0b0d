package deploy_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/monitor"
)

// The peer of a routing decision is a direct call of the predictor:
// both benchmarks call the same trivial predictor, so the difference is
// what the router adds.
var trivial = deploy.PredictorFunc[int, int](func(_ context.Context, in int) (int, error) { return in + 1, nil })

func benchRouter(b *testing.B, cfg deploy.Config) *deploy.Router[int, int] {
	b.Helper()
	r, err := deploy.NewRouter(map[string]deploy.Predictor[int, int]{"stable": trivial, "canary": trivial, "pinned": trivial}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Update(cfg); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	return r
}

var canaryCfg = deploy.Config{
	Split: []deploy.Target{{"stable", 90}, {"canary", 10}},
	Rules: []deploy.Rule{{Header: "X-Pin", Value: "yes", Version: "pinned"}, {Cohort: "beta", Version: "pinned"}},
}

var keys = func() []string {
	k := make([]string, 1024)
	for i := range k {
		k[i] = "user-" + strconv.Itoa(i*7919)
	}
	return k
}()

func BenchmarkDirectCall(b *testing.B) {
	ctx := context.Background()
	var p deploy.Predictor[int, int] = trivial
	i := 0
	for b.Loop() {
		p.Predict(ctx, i)
		i++
	}
}

func BenchmarkRoute(b *testing.B) {
	r := benchRouter(b, canaryCfg)
	hdr := http.Header{"X-Pin": {"no"}}
	b.Run("keyed", func(b *testing.B) {
		i := 0
		for b.Loop() {
			r.Route(deploy.Request{Key: keys[i&1023]})
			i++
		}
	})
	b.Run("random", func(b *testing.B) {
		for b.Loop() {
			r.Route(deploy.Request{})
		}
	})
	b.Run("rules-miss", func(b *testing.B) {
		i := 0
		for b.Loop() {
			r.Route(deploy.Request{Key: keys[i&1023], Attrs: hdr, Cohort: "ga"})
			i++
		}
	})
}

func BenchmarkRouterPredict(b *testing.B) {
	r := benchRouter(b, canaryCfg)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		r.Serve(ctx, deploy.Request{Key: keys[i&1023]}, i)
		i++
	}
}

// BenchmarkRouterObserved is BenchmarkRouterPredict with monitor's
// metrics as the Observer: counted, timed and kept in the window a
// rollout reads, the whole instrumentation of a routed call.
func BenchmarkRouterObserved(b *testing.B) {
	m, err := monitor.New(prometheus.NewRegistry(), &monitor.Options{CostSampleEvery: -1})
	if err != nil {
		b.Fatal(err)
	}
	r, err := deploy.NewRouter(map[string]deploy.Predictor[int, int]{"stable": trivial, "canary": trivial, "pinned": trivial},
		&deploy.RouterOptions[int]{Model: "m", Observer: m})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if err := r.Update(canaryCfg); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	i := 0
	for b.Loop() {
		r.Serve(ctx, deploy.Request{Key: keys[i&1023]}, i)
		i++
	}
}

// BenchmarkPredictVersion is a request that names its version (an
// Open Inference Protocol /versions/{v} path), beside BenchmarkDirectCall.
func BenchmarkPredictVersion(b *testing.B) {
	r := benchRouter(b, canaryCfg)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		r.PredictVersion(ctx, "canary", i)
		i++
	}
}

func BenchmarkParallel(b *testing.B) {
	ctx := context.Background()
	b.Run("direct", func(b *testing.B) {
		var p deploy.Predictor[int, int] = trivial
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				p.Predict(ctx, i)
				i++
			}
		})
	})
	b.Run("router", func(b *testing.B) {
		r := benchRouter(b, canaryCfg)
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				r.Serve(ctx, deploy.Request{Key: keys[i&1023]}, i)
				i++
			}
		})
	})
	b.Run("router-with-window", func(b *testing.B) {
		m, err := monitor.New(prometheus.NewRegistry(), nil)
		if err != nil {
			b.Fatal(err)
		}
		r, _ := deploy.NewRouter(map[string]deploy.Predictor[int, int]{"stable": trivial, "canary": trivial}, &deploy.RouterOptions[int]{Model: "m", Observer: m})
		defer r.Close()
		r.SetCanary("stable", "canary", 10)
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				r.Serve(ctx, deploy.Request{Key: keys[i&1023]}, i)
				i++
			}
		})
	})
}

func TestRouteDoesNotAllocate(t *testing.T) {
	r, err := deploy.NewRouter(map[string]deploy.Predictor[int, int]{"stable": trivial, "canary": trivial, "pinned": trivial}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Update(canaryCfg); err != nil {
		t.Fatal(err)
	}
	hdr := http.Header{"X-Pin": {"no"}}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		r.Route(deploy.Request{Key: "user-1", Attrs: hdr})
		r.Serve(ctx, deploy.Request{Key: "user-2"}, 1)
		r.Predict(ctx, 1)
		r.PredictVersion(ctx, "canary", 1)
		r.Reward("canary", 1)
	})
	if allocs != 0 {
		t.Errorf("routing allocates %v times per request", allocs)
	}
	// With monitor's metrics as the Observer, recording adds no allocation.
	m, err := monitor.New(prometheus.NewRegistry(), &monitor.Options{CostSampleEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	observed, err := deploy.NewRouter(map[string]deploy.Predictor[int, int]{"stable": trivial, "canary": trivial}, &deploy.RouterOptions[int]{Model: "m", Observer: m})
	if err != nil {
		t.Fatal(err)
	}
	defer observed.Close()
	if err := observed.SetCanary("stable", "canary", 10); err != nil {
		t.Fatal(err)
	}
	observed.Serve(ctx, deploy.Request{}, 1) // the first call of a window slot may set it up
	if allocs := testing.AllocsPerRun(1000, func() { observed.Serve(ctx, deploy.Request{Key: "user-2"}, 1) }); allocs != 0 {
		t.Errorf("an observed routed call allocates %v times", allocs)
	}
}

// BenchmarkHeaderGet is the cost of the attribute lookup a header rule
// makes, for reading BenchmarkRoute/rules-miss.
func BenchmarkHeaderGet(b *testing.B) {
	h := http.Header{"X-Pin": {"no"}}
	var a deploy.Attrs = h
	for b.Loop() {
		a.Get("X-Pin")
	}
}

// BenchmarkTimeNow is the clock read an Observer pays twice per request.
func BenchmarkTimeNow(b *testing.B) {
	for b.Loop() {
		time.Now()
	}
}
