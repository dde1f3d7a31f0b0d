package deploy_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/oip"
	"github.com/sextant-ml/sextant/monitor"
)

// Direct calls never reach the Observer, so they cannot weigh in the
// window a rollout's analysis reads; DirectObserver sees them instead.
func TestDirectCallsStayOutOfAnalysis(t *testing.T) {
	reg := prometheus.NewRegistry()
	window, err := monitor.New(reg, &monitor.Options{ConstLabels: prometheus.Labels{"route": "routed"}})
	if err != nil {
		t.Fatal(err)
	}
	direct, err := monitor.New(reg, &monitor.Options{ConstLabels: prometheus.Labels{"route": "direct"}})
	if err != nil {
		t.Fatal(err)
	}
	r, fakes := newRouter(t, &deploy.RouterOptions[string]{Model: "m", Observer: window, DirectObserver: direct}, "stable", "canary")
	fakes["canary"].SetErrorRate(1)
	if err := r.SetCanary("stable", "canary", 10); err != nil {
		t.Fatal(err)
	}
	from := time.Now().Add(-time.Minute)
	for i := range 50 {
		r.PredictVersion(context.Background(), "canary", i)
	}
	to := time.Now().Add(time.Minute)
	got := window.Range("m", "canary", from, to)
	if got.Requests != 0 {
		t.Errorf("the analysis window saw %d direct calls (%d errors), want none", got.Requests, got.Errors)
	}
	seen := direct.Range("m", "canary", from, to)
	if seen.Requests != 50 || seen.Errors != 50 {
		t.Errorf("DirectObserver saw %d calls, %d errors; want 50, 50", seen.Requests, seen.Errors)
	}
	// Routed calls are still observed.
	r.Serve(context.Background(), deploy.Request{}, 1)
	st := window.Range("m", "stable", from, time.Now().Add(time.Minute))
	ca := window.Range("m", "canary", from, time.Now().Add(time.Minute))
	if st.Requests+ca.Requests != 1 {
		t.Errorf("a routed call was observed %d times, want once", st.Requests+ca.Requests)
	}
	// Routed through the Predictor interface too, with the Request in ctx.
	r.Predict(deploy.WithRequest(context.Background(), deploy.Request{Key: "k"}), 1)
	st = window.Range("m", "stable", from, time.Now().Add(time.Minute))
	ca = window.Range("m", "canary", from, time.Now().Add(time.Minute))
	if st.Requests+ca.Requests != 2 {
		t.Errorf("two routed calls were observed %d times, want twice", st.Requests+ca.Requests)
	}
	// One Metrics cannot be both: direct calls would reach the window.
	if _, err := deploy.NewRouter(map[string]deploy.Predictor[int, string]{"a": newFake("a")},
		&deploy.RouterOptions[string]{Model: "m", Observer: window, DirectObserver: window}); !errors.Is(err, deploy.ErrInvalid) {
		t.Errorf("the same Observer and DirectObserver: %v, want ErrInvalid", err)
	}
	if _, err := deploy.NewRouter(map[string]deploy.Predictor[int, string]{"a": newFake("a")},
		&deploy.RouterOptions[string]{Observer: window}); !errors.Is(err, deploy.ErrInvalid) {
		t.Errorf("an Observer without a Model: %v, want ErrInvalid", err)
	}
}

// PredictVersion serves only what routing sends traffic to, unless
// DirectAnyVersion.
func TestPredictVersionServesOnlyRoutedVersions(t *testing.T) {
	steps := []struct {
		name  string
		apply func(r *deploy.Router[int, string]) error
		ok    []string // directly callable
		not   []string // ErrNotRouted
	}{
		{"nothing routed", func(*deploy.Router[int, string]) error { return nil }, nil, []string{"stable", "canary", "pinned"}},
		{"canary at 0", func(r *deploy.Router[int, string]) error { return r.SetCanary("stable", "canary", 0) }, []string{"stable"}, []string{"canary", "pinned"}},
		{"canary at 10", func(r *deploy.Router[int, string]) error { return r.SetCanary("stable", "canary", 10) }, []string{"stable", "canary"}, []string{"pinned"}},
		{"rolled back", func(r *deploy.Router[int, string]) error { return r.SetCanary("stable", "canary", 0) }, []string{"stable"}, []string{"canary", "pinned"}},
		{"promoted", func(r *deploy.Router[int, string]) error { return r.SetCanary("stable", "canary", 100) }, []string{"stable", "canary"}, []string{"pinned"}},
		{"switched", func(r *deploy.Router[int, string]) error { return r.Switch("canary") }, []string{"canary"}, []string{"stable", "pinned"}},
		{"rule", func(r *deploy.Router[int, string]) error {
			return r.Update(deploy.Config{Split: []deploy.Target{{"canary", 1}}, Rules: []deploy.Rule{{Cohort: "qa", Version: "pinned"}}})
		}, []string{"canary", "pinned"}, []string{"stable"}},
		{"bandit", func(r *deploy.Router[int, string]) error {
			return r.Update(deploy.Config{Split: []deploy.Target{{"canary", 1}, {"stable", 0}}, Mode: deploy.Bandit})
		}, []string{"canary", "stable"}, []string{"pinned"}},
	}
	r, _ := newRouter(t, nil, "stable", "canary", "pinned")
	open, _ := newRouter(t, &deploy.RouterOptions[string]{DirectAnyVersion: true}, "stable", "canary", "pinned")
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.apply(r); err != nil {
				t.Fatal(err)
			}
			if err := st.apply(open); err != nil {
				t.Fatal(err)
			}
			for _, v := range st.ok {
				if out, err := r.PredictVersion(context.Background(), v, 1); err != nil || out != v {
					t.Errorf("PredictVersion(%q) = %q, %v", v, out, err)
				}
			}
			for _, v := range st.not {
				if _, err := r.PredictVersion(context.Background(), v, 1); !errors.Is(err, deploy.ErrNotRouted) {
					t.Errorf("PredictVersion(%q): %v, want ErrNotRouted", v, err)
				}
				if out, err := open.PredictVersion(context.Background(), v, 1); err != nil || out != v {
					t.Errorf("with DirectAnyVersion, PredictVersion(%q) = %q, %v", v, out, err)
				}
			}
			if _, err := r.PredictVersion(context.Background(), "nope", 1); !errors.Is(err, deploy.ErrUnknownVersion) {
				t.Errorf("PredictVersion(nope): %v, want ErrUnknownVersion", err)
			}
		})
	}
}

// Over HTTP, /versions/{v} of a version that carries no traffic is 404
// and does not reach the version.
func TestOIPVersionPathNeedsRoutedTraffic(t *testing.T) {
	calls := map[string]int{}
	model := func(v string) oip.InferPredictor {
		return deploy.PredictorFunc[*oip.InferRequest, *oip.InferResponse](func(context.Context, *oip.InferRequest) (*oip.InferResponse, error) {
			calls[v]++
			return &oip.InferResponse{}, nil
		})
	}
	r, err := deploy.NewRouter(map[string]oip.InferPredictor{"blue": model("blue"), "green": model("green")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.SetCanary("blue", "green", 0); err != nil {
		t.Fatal(err)
	}
	h := oip.NewHandler(nil)
	h.AddRouter(oip.ModelMetadata{Name: "m"}, r)
	body := `{"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1]}]}`
	post := func(path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", path, strings.NewReader(body)))
		return rec.Code
	}
	if code := post("/v2/models/m/versions/green/infer"); code != 404 {
		t.Errorf("green at weight 0: status %d, want 404", code)
	}
	if code := post("/v2/models/m/versions/blue/infer"); code != 200 {
		t.Errorf("blue (stable): status %d, want 200", code)
	}
	r.SetCanary("blue", "green", 5)
	if code := post("/v2/models/m/versions/green/infer"); code != 200 {
		t.Errorf("green at weight 5: status %d, want 200", code)
	}
	if diff := cmp.Diff(map[string]int{"blue": 1, "green": 1}, calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestRouterRemove(t *testing.T) {
	tests := []struct {
		name     string
		versions []string
		cfg      *deploy.Config
		remove   string
		wantErr  error
		wantLeft []string
		wantCfg  []deploy.Target
	}{
		{"unknown", []string{"a", "b"}, nil, "z", deploy.ErrUnknownVersion, []string{"a", "b"}, nil},
		{"only version", []string{"a"}, nil, "a", deploy.ErrInUse, []string{"a"}, nil},
		{"nothing routed", []string{"a", "b"}, nil, "b", nil, []string{"a"}, nil},
		{"stable", []string{"a", "b"}, &deploy.Config{Split: []deploy.Target{{"a", 90}, {"b", 10}}}, "a", deploy.ErrInUse, []string{"a", "b"}, []deploy.Target{{"a", 90}, {"b", 10}}},
		{"stable at weight 0 after promotion", []string{"a", "b"}, &deploy.Config{Split: []deploy.Target{{"a", 0}, {"b", 100}}}, "a", deploy.ErrInUse, []string{"a", "b"}, []deploy.Target{{"a", 0}, {"b", 100}}},
		{"carries weight", []string{"a", "b"}, &deploy.Config{Split: []deploy.Target{{"a", 90}, {"b", 10}}}, "b", deploy.ErrInUse, []string{"a", "b"}, []deploy.Target{{"a", 90}, {"b", 10}}},
		{"bandit arm", []string{"a", "b"}, &deploy.Config{Split: []deploy.Target{{"a", 1}, {"b", 0}}, Mode: deploy.Bandit}, "b", deploy.ErrInUse, []string{"a", "b"}, []deploy.Target{{"a", 1}, {"b", 0}}},
		{"rule", []string{"a", "b"}, &deploy.Config{Split: []deploy.Target{{"a", 1}}, Rules: []deploy.Rule{{Cohort: "qa", Version: "b"}}}, "b", deploy.ErrInUse, []string{"a", "b"}, []deploy.Target{{"a", 1}}},
		{"shadow", []string{"a", "b"}, &deploy.Config{Split: []deploy.Target{{"a", 1}}, Shadow: &deploy.Shadow{Version: "b", Fraction: 0.1}}, "b", deploy.ErrInUse, []string{"a", "b"}, []deploy.Target{{"a", 1}}},
		{"rolled-back canary", []string{"a", "b", "c"}, &deploy.Config{Split: []deploy.Target{{"a", 100}, {"b", 0}}}, "b", nil, []string{"a", "c"}, []deploy.Target{{"a", 100}}},
		{"switched away", []string{"a", "b"}, &deploy.Config{Split: []deploy.Target{{"b", 100}}}, "a", nil, []string{"b"}, []deploy.Target{{"b", 100}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := newRouter(t, &deploy.RouterOptions[string]{DirectAnyVersion: true}, tc.versions...)
			if tc.cfg != nil {
				if err := r.Update(*tc.cfg); err != nil {
					t.Fatal(err)
				}
			}
			err := r.Remove(tc.remove)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("Remove(%q): %v, want %v", tc.remove, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.wantLeft, r.Versions()); diff != "" {
				t.Errorf("versions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantCfg, r.Config().Split); diff != "" {
				t.Errorf("split (-want +got):\n%s", diff)
			}
			if err == nil {
				if _, err := r.PredictVersion(context.Background(), tc.remove, 1); !errors.Is(err, deploy.ErrUnknownVersion) {
					t.Errorf("PredictVersion of the removed version: %v, want ErrUnknownVersion", err)
				}
				if err := r.SetCanary(tc.wantLeft[0], tc.remove, 10); !errors.Is(err, deploy.ErrUnknownVersion) {
					t.Errorf("routing to the removed version: %v, want ErrUnknownVersion", err)
				}
			}
		})
	}
}
