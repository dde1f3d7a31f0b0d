package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/deploytest"
	"github.com/sextant-ml/sextant/monitor"
)

type fake = deploytest.Fake[int, string]

func newFake(out string) *fake { return deploytest.NewFake[int](out) }

func newRouter(t *testing.T, opts *deploy.RouterOptions[string], versions ...string) (*deploy.Router[int, string], map[string]*fake) {
	t.Helper()
	fakes := map[string]*fake{}
	preds := map[string]deploy.Predictor[int, string]{}
	for _, v := range versions {
		fakes[v] = newFake(v)
		preds[v] = fakes[v]
	}
	r, err := deploy.NewRouter(preds, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, fakes
}

// splitTolerance is the largest accepted gap between the observed share
// of n requests and a weight p: five standard deviations of a binomial
// share (a chance of about one in 1.7 million to fail a fair split), plus
// one bucket of rounding. At 1% that is 0.17 points, at 50% 0.80 points.
func splitTolerance(p float64, n int) float64 {
	return 5*math.Sqrt(p*(1-p)/float64(n)) + 1.0/deploy.Buckets
}

func TestSplitAccuracy(t *testing.T) {
	r, _ := newRouter(t, nil, "stable", "canary")
	const n = 100000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("user-%d", i)
	}
	for _, pct := range []float64{1, 10, 33, 50, 90} {
		for _, keyed := range []bool{true, false} {
			t.Run(fmt.Sprintf("%g%%/keyed=%v", pct, keyed), func(t *testing.T) {
				if err := r.SetCanary("stable", "canary", pct); err != nil {
					t.Fatal(err)
				}
				canary := 0
				for i := range n {
					req := deploy.Request{}
					if keyed {
						req.Key = keys[i]
					}
					v, err := r.Route(req)
					if err != nil {
						t.Fatal(err)
					}
					if v == "canary" {
						canary++
					}
				}
				got, tol := float64(canary)/n, splitTolerance(pct/100, n)
				if math.Abs(got-pct/100) > tol {
					t.Errorf("canary share %.4f, want %.4f ± %.4f", got, pct/100, tol)
				}
			})
		}
	}
}

func TestStickiness(t *testing.T) {
	r, _ := newRouter(t, nil, "stable", "canary")
	const n = 10000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("session-%d", i)
	}
	t.Run("fixed weight", func(t *testing.T) {
		if err := r.SetCanary("stable", "canary", 37); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys[:2000] {
			first, _ := r.Route(deploy.Request{Key: k})
			for range 3 {
				if v, _ := r.Route(deploy.Request{Key: k}); v != first {
					t.Fatalf("key %s went to %s then %s", k, first, v)
				}
			}
		}
	})
	t.Run("rising weight moves each key at most once", func(t *testing.T) {
		cur := make([]string, n)
		moves := make([]int, n)
		for w := 0; w <= 100; w++ {
			if err := r.SetCanary("stable", "canary", float64(w)); err != nil {
				t.Fatal(err)
			}
			for i, k := range keys {
				v, _ := r.Route(deploy.Request{Key: k})
				if w == 0 && v != "stable" {
					t.Fatalf("key %s on %s at weight 0", k, v)
				}
				if w > 0 && v != cur[i] {
					if v != "canary" {
						t.Fatalf("key %s moved back from %s to %s at weight %d", k, cur[i], v, w)
					}
					moves[i]++
				}
				cur[i] = v
			}
		}
		for i, m := range moves {
			if m != 1 || cur[i] != "canary" {
				t.Fatalf("key %s moved %d times, ends on %s", keys[i], m, cur[i])
			}
		}
	})
	t.Run("salt reshuffles", func(t *testing.T) {
		r2, _ := newRouter(t, nil, "stable", "canary")
		if err := r2.Update(deploy.Config{Salt: "other", Split: []deploy.Target{{"stable", 50}, {"canary", 50}}}); err != nil {
			t.Fatal(err)
		}
		if err := r.SetCanary("stable", "canary", 50); err != nil {
			t.Fatal(err)
		}
		differ := 0
		for _, k := range keys[:1000] {
			a, _ := r.Route(deploy.Request{Key: k})
			b, _ := r2.Route(deploy.Request{Key: k})
			if a != b {
				differ++
			}
		}
		if differ < 400 || differ > 600 {
			t.Errorf("%d of 1000 keys differ between salts, want about 500", differ)
		}
	})
}

func TestRules(t *testing.T) {
	r, _ := newRouter(t, nil, "v1", "v2", "v3")
	err := r.Update(deploy.Config{
		Split: []deploy.Target{{Version: "v1", Weight: 100}},
		Rules: []deploy.Rule{
			{Header: "X-Model-Version", Value: "v2", Version: "v2"},
			{Cohort: "beta", Version: "v3"},
			{Header: "X-Tier", Value: "gold", Cohort: "internal", Version: "v2"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("X-Model-Version", "v2")
	gold := http.Header{}
	gold.Set("X-Tier", "gold")
	tests := []struct {
		name string
		req  deploy.Request
		want string
	}{
		{"no attributes", deploy.Request{Key: "k"}, "v1"},
		{"header pin", deploy.Request{Attrs: h}, "v2"},
		{"cohort pin", deploy.Request{Cohort: "beta"}, "v3"},
		{"header before cohort", deploy.Request{Cohort: "beta", Attrs: h}, "v2"},
		{"both needed, header only", deploy.Request{Attrs: gold}, "v1"},
		{"both needed, both", deploy.Request{Attrs: gold, Cohort: "internal"}, "v2"},
		{"unknown cohort", deploy.Request{Cohort: "alpha"}, "v1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Route(tc.req)
			if err != nil || got != tc.want {
				t.Errorf("Route = %q, %v; want %q", got, err, tc.want)
			}
			_, served, err := r.Serve(context.Background(), tc.req, 1)
			if err != nil || served != tc.want {
				t.Errorf("Predict served %q, %v; want %q", served, err, tc.want)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	r, _ := newRouter(t, nil, "v1", "v2")
	if _, err := r.Route(deploy.Request{}); !errors.Is(err, deploy.ErrNoRoute) {
		t.Errorf("Route before any config: %v, want ErrNoRoute", err)
	}
	if _, _, err := r.Serve(context.Background(), deploy.Request{}, 1); !errors.Is(err, deploy.ErrNoRoute) {
		t.Errorf("Predict before any config: %v, want ErrNoRoute", err)
	}
	tests := []struct {
		name string
		cfg  deploy.Config
		want error
	}{
		{"empty split", deploy.Config{}, deploy.ErrNoRoute},
		{"zero weights", deploy.Config{Split: []deploy.Target{{"v1", 0}}}, deploy.ErrNoRoute},
		{"negative weight", deploy.Config{Split: []deploy.Target{{"v1", -1}, {"v2", 2}}}, deploy.ErrInvalid},
		{"NaN weight", deploy.Config{Split: []deploy.Target{{"v1", math.NaN()}}}, deploy.ErrInvalid},
		{"infinite weight", deploy.Config{Split: []deploy.Target{{"v1", math.Inf(1)}}}, deploy.ErrInvalid},
		{"weights overflowing their sum", deploy.Config{Split: []deploy.Target{{"v1", math.MaxFloat64}, {"v2", math.MaxFloat64}}}, deploy.ErrInvalid},
		{"duplicate", deploy.Config{Split: []deploy.Target{{"v1", 1}, {"v1", 1}}}, deploy.ErrInvalid},
		{"unknown version", deploy.Config{Split: []deploy.Target{{"v9", 1}}}, deploy.ErrUnknownVersion},
		{"unknown rule version", deploy.Config{Split: []deploy.Target{{"v1", 1}}, Rules: []deploy.Rule{{Cohort: "c", Version: "v9"}}}, deploy.ErrUnknownVersion},
		{"empty rule", deploy.Config{Split: []deploy.Target{{"v1", 1}}, Rules: []deploy.Rule{{Version: "v2"}}}, deploy.ErrInvalid},
		{"shadow fraction", deploy.Config{Split: []deploy.Target{{"v1", 1}}, Shadow: &deploy.Shadow{Version: "v2", Fraction: 1.5}}, deploy.ErrInvalid},
		{"unknown shadow", deploy.Config{Split: []deploy.Target{{"v1", 1}}, Shadow: &deploy.Shadow{Version: "v9", Fraction: 1}}, deploy.ErrUnknownVersion},
		{"mode", deploy.Config{Split: []deploy.Target{{"v1", 1}}, Mode: 7}, deploy.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := r.Update(tc.cfg); !errors.Is(err, tc.want) {
				t.Errorf("Update: %v, want %v", err, tc.want)
			}
		})
	}
	if err := r.SetCanary("v1", "v2", 101); !errors.Is(err, deploy.ErrInvalid) {
		t.Errorf("SetCanary 101%%: %v, want ErrInvalid", err)
	}
	if _, err := deploy.NewRouter(map[string]deploy.Predictor[int, string]{"": newFake("x")}, nil); !errors.Is(err, deploy.ErrInvalid) {
		t.Errorf("NewRouter with empty version: %v, want ErrInvalid", err)
	}
	if err := r.Add("v3", nil); !errors.Is(err, deploy.ErrInvalid) {
		t.Errorf("Add nil: %v, want ErrInvalid", err)
	}
}

func TestBlueGreenAndAdd(t *testing.T) {
	var mu sync.Mutex
	direct := map[string]int{}
	r, _ := newRouter(t, &deploy.RouterOptions[string]{Model: "m", DirectObserver: deploy.ObserverFunc(func(_, version string, _ time.Duration, _ error) {
		mu.Lock()
		direct[version]++
		mu.Unlock()
	})}, "blue", "green")
	ctx := context.Background()
	if err := r.Switch("blue"); err != nil {
		t.Fatal(err)
	}
	out, served, err := r.Serve(ctx, deploy.Request{Key: "a"}, 1)
	if err != nil || out != "blue" || served != "blue" {
		t.Fatalf("Predict = %q, %q, %v; want blue", out, served, err)
	}
	if err := r.Switch("green"); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if _, served, _ := r.Serve(ctx, deploy.Request{Key: fmt.Sprint(i)}, 1); served != "green" {
			t.Fatalf("after switch served %q", served)
		}
	}
	// Replacing the predictor of a routed version takes effect at once.
	if err := r.Add("green", newFake("green-2")); err != nil {
		t.Fatal(err)
	}
	if out, _, _ := r.Serve(ctx, deploy.Request{}, 1); out != "green-2" {
		t.Errorf("after Add, answer %q, want green-2", out)
	}
	// A direct call reaches the new predictor too, and is recorded under
	// the same version as before the replacement.
	if out, err := r.PredictVersion(ctx, "green", 1); out != "green-2" || err != nil {
		t.Errorf("PredictVersion after Add = %q, %v; want green-2", out, err)
	}
	if _, err := r.PredictVersion(ctx, "blue", 1); !errors.Is(err, deploy.ErrNotRouted) {
		t.Errorf("PredictVersion of blue, registered and not routed: %v, want ErrNotRouted", err)
	}
	mu.Lock()
	if direct["green"] != 1 || direct["blue"] != 0 {
		t.Errorf("direct calls recorded %v, want green once", direct)
	}
	mu.Unlock()
	// A version removed and added again starts a new bandit arm.
	if err := r.Reward("blue", 1); err != nil {
		t.Fatal(err)
	}
	if err := r.Remove("blue"); err != nil {
		t.Fatal(err)
	}
	if err := r.Reward("blue", 1); !errors.Is(err, deploy.ErrUnknownVersion) {
		t.Errorf("Reward of a removed version: %v, want ErrUnknownVersion", err)
	}
	if err := r.Add("blue", newFake("blue")); err != nil {
		t.Fatal(err)
	}
	if s, f, err := r.Posterior("blue"); s != 0 || f != 0 || err != nil {
		t.Errorf("Posterior of blue added again = %v, %v, %v; want 0, 0", s, f, err)
	}
	if diff := cmp.Diff([]string{"blue", "green"}, r.Versions()); diff != "" {
		t.Errorf("Versions (-want +got):\n%s", diff)
	}
	cfg := r.Config()
	cfg.Split[0].Version = "mutated"
	if r.Config().Split[0].Version != "green" {
		t.Error("Config returned an alias of the live table")
	}
	r.Close()
	if _, _, err := r.Serve(ctx, deploy.Request{}, 1); !errors.Is(err, deploy.ErrClosed) {
		t.Errorf("Predict after Close: %v, want ErrClosed", err)
	}
}

func TestObserverSeesServedPredictions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, err := monitor.New(prometheus.NewRegistry(), nil)
		if err != nil {
			t.Fatal(err)
		}
		r, fakes := newRouter(t, &deploy.RouterOptions[string]{Model: "m", Observer: w}, "stable", "canary")
		fakes["canary"].SetLatency(30*time.Millisecond, 0).SetErrorRate(0.5)
		fakes["stable"].SetLatency(10*time.Millisecond, 0)
		start := time.Now()
		if err := r.SetCanary("stable", "canary", 50); err != nil {
			t.Fatal(err)
		}
		for i := range 1000 {
			r.Serve(t.Context(), deploy.Request{Key: fmt.Sprint(i)}, i)
		}
		c := w.Range("m", "canary", start, time.Now().Add(time.Nanosecond))
		s := w.Range("m", "stable", start, time.Now().Add(time.Nanosecond))
		if c.Requests+s.Requests != 1000 || c.Requests < 400 || c.Requests > 600 {
			t.Fatalf("observed canary %d + stable %d requests", c.Requests, s.Requests)
		}
		if c.Errors != c.Requests/2 || s.Errors != 0 {
			t.Errorf("errors canary %d of %d, stable %d", c.Errors, c.Requests, s.Errors)
		}
		if c.Latencies[0] != 30*time.Millisecond || s.Latencies[0] != 10*time.Millisecond {
			t.Errorf("latencies %v and %v, want 30ms and 10ms", c.Latencies[0], s.Latencies[0])
		}
		empty := w.Range("m", "canary", start.Add(-time.Hour), start)
		if empty.Requests != 0 || !math.IsNaN(empty.ErrorRate()) {
			t.Errorf("window before traffic: %+v", empty)
		}
	})
}

func TestShadow(t *testing.T) {
	// The caller's latency is the primary's 10 ms, to the nanosecond of
	// synctest's clock, whatever the candidate does.
	for _, tc := range []struct {
		name       string
		latency    time.Duration
		errorRate  float64
		wantErrors uint64
		wantDiffer uint64
	}{
		{"slow candidate", 5 * time.Second, 0, 0, 100},
		// Beyond ShadowTimeout (default 10s) a shadow call is cut off and
		// counts as an error.
		{"candidate slower than the shadow timeout", time.Hour, 0, 100, 0},
		{"failing candidate", 0, 1, 100, 0},
		{"slow and failing candidate", time.Hour, 1, 100, 0},
	} {
		t.Run(tc.name+" does not delay the caller", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r, fakes := newRouter(t, &deploy.RouterOptions[string]{MaxShadowInFlight: 1000, Equal: func(a, b string) bool { return a == b }}, "prod", "cand")
				fakes["prod"].SetLatency(10*time.Millisecond, 0)
				fakes["cand"].SetLatency(tc.latency, 0).SetErrorRate(tc.errorRate)
				if err := r.Update(deploy.Config{Split: []deploy.Target{{"prod", 1}}, Shadow: &deploy.Shadow{Version: "cand", Fraction: 1}}); err != nil {
					t.Fatal(err)
				}
				for i := range 100 {
					start := time.Now()
					out, served, err := r.Serve(t.Context(), deploy.Request{}, i)
					if out != "prod" || served != "prod" || err != nil {
						t.Fatalf("caller got %q from %q, %v", out, served, err)
					}
					if d := time.Since(start); d != 10*time.Millisecond {
						t.Fatalf("caller waited %s, the primary alone takes 10ms", d)
					}
				}
				time.Sleep(2 * time.Hour)
				synctest.Wait()
				want := deploy.ShadowStats{Sent: 100, Errors: tc.wantErrors, Disagreed: tc.wantDiffer}
				if diff := cmp.Diff(want, r.ShadowStats()); diff != "" {
					t.Errorf("shadow stats (-want +got):\n%s", diff)
				}
			})
		})
	}
	t.Run("overload drops shadow work", func(t *testing.T) {
		r, fakes := newRouter(t, &deploy.RouterOptions[string]{MaxShadowInFlight: 3}, "prod", "cand")
		fakes["cand"].Hold()
		if err := r.Update(deploy.Config{Split: []deploy.Target{{"prod", 1}}, Shadow: &deploy.Shadow{Version: "cand", Fraction: 1}}); err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			if _, served, err := r.Serve(context.Background(), deploy.Request{}, i); served != "prod" || err != nil {
				t.Fatalf("served %q, %v", served, err)
			}
		}
		if st := r.ShadowStats(); st.Sent != 3 || st.Dropped != 47 {
			t.Errorf("stats %+v, want 3 sent and 47 dropped", st)
		}
		fakes["cand"].Release()
		r.Close() // waits for the shadow calls
		if got := fakes["cand"].Calls(); got != 3 {
			t.Errorf("candidate got %d calls, want 3", got)
		}
	})
	t.Run("disagreements and fraction", func(t *testing.T) {
		r, _ := newRouter(t, &deploy.RouterOptions[string]{
			MaxShadowInFlight: 10000,
			Equal:             func(a, b string) bool { return a == b },
		}, "prod", "cand")
		if err := r.Update(deploy.Config{Split: []deploy.Target{{"prod", 1}}, Shadow: &deploy.Shadow{Version: "cand", Fraction: 0.2}}); err != nil {
			t.Fatal(err)
		}
		for i := range 2500 {
			r.Serve(context.Background(), deploy.Request{}, i)
		}
		r.Close() // waits for the shadow calls
		st := r.ShadowStats()
		if st.Sent < 400 || st.Sent > 600 {
			t.Errorf("sent %d shadow calls for 2500 requests at 20%%", st.Sent)
		}
		if st.Disagreed != st.Sent || st.Agreed != 0 {
			t.Errorf("prod and cand always differ, stats %+v", st)
		}
	})
}

func TestBandit(t *testing.T) {
	r, _ := newRouter(t, nil, "a", "b", "c")
	if err := r.Update(deploy.Config{Mode: deploy.Bandit, Split: []deploy.Target{{"a", 1}, {"b", 1}, {"c", 1}}}); err != nil {
		t.Fatal(err)
	}
	// Uninformed: every arm gets a share.
	count := map[string]int{}
	for range 3000 {
		v, _ := r.Route(deploy.Request{})
		count[v]++
	}
	for _, v := range []string{"a", "b", "c"} {
		if count[v] < 700 {
			t.Errorf("before rewards %s got %d of 3000", v, count[v])
		}
	}
	rate := map[string]float64{"a": 0.2, "b": 0.8, "c": 0.5}
	for i := range 300 {
		for v, p := range rate {
			reward := 0.0
			if float64(i%10) < p*10 {
				reward = 1
			}
			if err := r.Reward(v, reward); err != nil {
				t.Fatal(err)
			}
		}
	}
	clear(count)
	for range 3000 {
		v, _ := r.Route(deploy.Request{})
		count[v]++
	}
	if count["b"] < 2850 {
		t.Errorf("after rewards the best arm got %d of 3000 (%v)", count["b"], count)
	}
	s, f, err := r.Posterior("b")
	if err != nil || s != 240 || f != 60 {
		t.Errorf("Posterior(b) = %v, %v, %v; want 240, 60", s, f, err)
	}
	if err := r.Reward("b", 1.5); !errors.Is(err, deploy.ErrInvalid) {
		t.Errorf("Reward 1.5: %v", err)
	}
	if err := r.Reward("z", 1); !errors.Is(err, deploy.ErrUnknownVersion) {
		t.Errorf("Reward unknown: %v", err)
	}
}

func TestConcurrentRequestsAndUpdates(t *testing.T) {
	w, err := monitor.New(prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := newRouter(t, &deploy.RouterOptions[string]{Model: "m", Observer: w, Equal: func(a, b string) bool { return a == b }}, "stable", "canary", "shadow")
	if err := r.SetCanary("stable", "canary", 0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var n atomic.Int64
	stop := make(chan struct{})
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				out, served, err := r.Serve(context.Background(), deploy.Request{Key: fmt.Sprint(g, i)}, i)
				if err != nil || out != served {
					t.Errorf("got %q from %q, %v", out, served, err)
					return
				}
				r.Reward(served, 1)
				if out, err := r.PredictVersion(context.Background(), "stable", i); err != nil || out != "stable" {
					t.Errorf("PredictVersion(stable) = %q, %v", out, err)
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Go(func() {
		for w := 0; n.Load() < 20000; w++ {
			r.SetCanary("stable", "canary", float64(w%101))
			if w%50 == 0 {
				r.Update(deploy.Config{Split: []deploy.Target{{"stable", 1}, {"canary", 1}}, Shadow: &deploy.Shadow{Version: "shadow", Fraction: 0.5}})
				r.Add("canary", newFake("canary"))
				r.Add(fmt.Sprint("extra-", w%8), newFake("extra"))
				_ = r.Versions()
			}
		}
		close(stop)
	})
	wg.Wait()
}
