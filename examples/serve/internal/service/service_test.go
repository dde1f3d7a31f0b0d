package service_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	dto "github.com/prometheus/client_model/go"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/examples/serve/internal/service"
	"github.com/sextant-ml/sextant/registry"
)

const modelName = "demo"

// seeded returns a registry on mem:// with the two seeded, signed versions,
// opened with the signing key as its only trusted key.
func seeded(t *testing.T) *registry.Registry {
	t.Helper()
	ctx := t.Context()
	store, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(ctx, store, &registry.Options{TrustedKeys: []crypto.PublicKey{key.Public()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := service.Seed(ctx, reg, modelName, "production", key); err != nil {
		t.Fatal(err)
	}
	return reg
}

// start serves cfg on a loopback port until the test ends and returns the
// base URL.
func start(t *testing.T, cfg service.Config) (string, *service.Service) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	svc, err := service.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, svc), svc
}

// serve serves svc on a free port until the test ends and returns its
// base URL.
func serve(t *testing.T, svc *service.Service) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

type inferResult struct {
	status  int
	version string
	probs   []float64
	body    string
}

func infer(t *testing.T, base string, rows [][]float64) inferResult {
	t.Helper()
	var data []float64
	for _, r := range rows {
		data = append(data, r...)
	}
	req := map[string]any{"inputs": []map[string]any{{"name": service.InputName, "datatype": "FP32", "shape": []int{len(rows), len(service.SeedFeatures)}, "data": data}}}
	b, _ := json.Marshal(req)
	resp, err := http.Post(base+"/v2/models/"+modelName+"/infer", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	res := inferResult{status: resp.StatusCode, version: resp.Header.Get(deploy.ServedVersionHeader), body: string(body)}
	if resp.StatusCode == http.StatusOK {
		var out struct {
			ModelName    string `json:"model_name"`
			ModelVersion string `json:"model_version"`
			Outputs      []struct {
				Name  string    `json:"name"`
				Shape []int     `json:"shape"`
				Data  []float64 `json:"data"`
			} `json:"outputs"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("response %s: %v", body, err)
		}
		if out.ModelName != modelName || out.ModelVersion != res.version || len(out.Outputs) != 1 || out.Outputs[0].Name != service.OutputName {
			t.Fatalf("response %s does not name the model, the served version %q and one output", body, res.version)
		}
		res.probs = out.Outputs[0].Data
	}
	return res
}

// want computes what version n (1 or 2) of the seeded models answers, at
// the inputs as sent (deploy carries FP32 values as float64, checking only
// their range).
func want(n int, rows [][]float64) []float64 {
	m := service.SeedModels[n-1]
	var out []float64
	for _, r := range rows {
		out = append(out, m.Predict(r))
	}
	return out
}

var approx = cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-12 })

// scrape reads /metrics as Prometheus text.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// series lists the label sets (as "k=v,k=v" sorted by name) of a family,
// with their values.
func series(fams map[string]*dto.MetricFamily, name string) map[string]float64 {
	out := map[string]float64{}
	f := fams[name]
	if f == nil {
		return out
	}
	for _, m := range f.Metric {
		var parts []string
		for _, l := range m.Label {
			parts = append(parts, l.GetName()+"="+l.GetValue())
		}
		v := 0.0
		switch {
		case m.Counter != nil:
			v = m.Counter.GetValue()
		case m.Gauge != nil:
			v = m.Gauge.GetValue()
		case m.Histogram != nil:
			v = float64(m.Histogram.GetSampleCount())
		}
		out[strings.Join(parts, ",")] = v
	}
	return out
}

func eventually(t *testing.T, what string, d time.Duration, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServesAliasAndFollowsIt(t *testing.T) {
	reg := seeded(t)
	base, _ := start(t, service.Config{Registry: reg, Model: modelName, WatchInterval: 20 * time.Millisecond, DriftInterval: 20 * time.Millisecond})
	rows := [][]float64{{0.1, 0.2, 0.3}, {-1, 0.5, 2}}

	got := infer(t, base, rows)
	if got.status != http.StatusOK || got.version != "1" {
		t.Fatalf("before the move: status %d, version %q (%s), want 200 from version 1", got.status, got.version, got.body)
	}
	if diff := cmp.Diff(want(1, rows), got.probs, approx); diff != "" {
		t.Errorf("version 1 answers (-want +got):\n%s", diff)
	}

	if err := reg.SetAlias(t.Context(), modelName, "production", 2); err != nil {
		t.Fatal(err)
	}
	eventually(t, "version 2 to serve", 5*time.Second, func() bool { return infer(t, base, rows).version == "2" })
	got = infer(t, base, rows)
	if diff := cmp.Diff(want(2, rows), got.probs, approx); diff != "" {
		t.Errorf("version 2 answers (-want +got):\n%s", diff)
	}
	// Version 1 is retired: a direct call names it in vain.
	resp, err := http.Post(base+"/v2/models/"+modelName+"/versions/1/infer", "application/json", strings.NewReader(`{"inputs":[{"name":"input","datatype":"FP32","shape":[1,3],"data":[1,2,3]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("direct call of the retired version 1: status %d, want 404", resp.StatusCode)
	}

	eventually(t, "drift gauges", 5*time.Second, func() bool {
		return len(series(scrape(t, base), "sextant_feature_drift_score")) == len(service.SeedFeatures)
	})
	// Version 1 is retired just after version 2 takes the traffic.
	eventually(t, "version 1 to leave sextant_model_info", 5*time.Second, func() bool {
		return len(series(scrape(t, base), "sextant_model_info")) == 1
	})
	fams := scrape(t, base)
	info := series(fams, "sextant_model_info")
	if len(info) != 1 {
		t.Errorf("sextant_model_info has %d series, want only version 2's: %v", len(info), info)
	}
	for k := range info {
		if !strings.Contains(k, "version=2") || !strings.Contains(k, "digest=sha256:") {
			t.Errorf("sextant_model_info series %q, want version 2 with its digest", k)
		}
	}
	preds := series(fams, "sextant_predictions_total")
	for _, v := range []string{"1", "2"} {
		if preds["model=demo,outcome=ok,version="+v] < 1 {
			t.Errorf("no ok predictions counted for version %s: %v", v, preds)
		}
	}
	if d := series(fams, "sextant_prediction_duration_seconds"); d["model=demo,version=2"] < 1 {
		t.Errorf("no latency observed for version 2: %v", d)
	}
	if d := series(fams, "sextant_prediction_value"); d["model=demo,version=2"] < 1 {
		t.Errorf("no predicted values observed for version 2: %v", d)
	}
	drifted := series(fams, "sextant_feature_drift_detected")
	for _, f := range service.SeedFeatures {
		found := false
		for k := range drifted {
			found = found || strings.Contains(k, "feature="+f+",")
		}
		if !found {
			t.Errorf("no drift verdict for feature %s: %v", f, drifted)
		}
	}
}

func TestDriftDetectedOnShiftedTraffic(t *testing.T) {
	tests := []struct {
		name    string
		shift   float64
		drifted float64
	}{
		{"reference-like traffic", 0, 0},
		{"shifted by three standard deviations", 3, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := seeded(t)
			base, _ := start(t, service.Config{Registry: reg, Model: modelName, DriftInterval: 20 * time.Millisecond, DriftWindow: 400})
			rng := mrand.New(mrand.NewPCG(7, 8))
			var rows [][]float64
			for range 400 {
				r := service.ReferenceRow(rng)
				r[0] += tc.shift
				rows = append(rows, r)
			}
			if got := infer(t, base, rows); got.status != http.StatusOK {
				t.Fatalf("status %d: %s", got.status, got.body)
			}
			key := "feature=temperature,"
			eventually(t, "a drift verdict on temperature", 5*time.Second, func() bool {
				for k := range series(scrape(t, base), "sextant_feature_drift_detected") {
					if strings.Contains(k, key) {
						return true
					}
				}
				return false
			})
			for k, v := range series(scrape(t, base), "sextant_feature_drift_detected") {
				if strings.Contains(k, key) && v != tc.drifted {
					t.Errorf("%s: drift detected %v, want %v", k, v, tc.drifted)
				}
				if strings.Contains(k, "feature=vibration,") && v != 0 {
					t.Errorf("%s: unshifted feature reported drifted", k)
				}
			}
		})
	}
}

func TestRolloutPromotesCanary(t *testing.T) {
	reg := seeded(t)
	base, svc := start(t, service.Config{
		Registry: reg, Model: modelName, Canary: "candidate", Steps: []float64{50},
		AnalysisInterval: 150 * time.Millisecond, AnalysisCount: 2, MinSamples: 5,
		WatchInterval: 20 * time.Millisecond,
	})
	if stable, canary := svc.Served(); stable != "1" || canary != "2" {
		t.Fatalf("Served() = %q, %q; want stable 1, canary 2", stable, canary)
	}
	rows := [][]float64{{0.3, 0.1, -0.2}}
	seen := map[string]int{}
	eventually(t, "the alias to move to the canary", 20*time.Second, func() bool {
		r := infer(t, base, rows)
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		seen[r.version]++
		n, err := reg.Resolve(t.Context(), modelName+"@production")
		return err == nil && n == 2
	})
	if seen["1"] == 0 || seen["2"] == 0 {
		t.Errorf("during the rollout versions served %v, want both", seen)
	}
	eventually(t, "version 1 retired", 5*time.Second, func() bool {
		stable, canary := svc.Served()
		return stable == "2" && canary == ""
	})
	for range 20 {
		if r := infer(t, base, rows); r.version != "2" {
			t.Fatalf("after promotion served by %q, want 2", r.version)
		}
	}
	fams := scrape(t, base)
	if p := series(fams, "sextant_rollout_phase"); p["model=demo,phase="+string(rollout.Promoted)] != 1 {
		t.Errorf("rollout phase gauges %v, want promoted at 1", p)
	}
	resp, err := http.Get(base + "/rollout")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st rollout.State
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.Phase != rollout.Promoted || st.Stable != "1" || st.Canary != "2" {
		t.Errorf("GET /rollout = %+v, want 1 -> 2 promoted", st)
	}
}

func TestBadRequests(t *testing.T) {
	reg := seeded(t)
	base, _ := start(t, service.Config{Registry: reg, Model: modelName})
	tests := []struct {
		name, path, body string
		status           int
	}{
		{"wrong width", "/v2/models/demo/infer", `{"inputs":[{"name":"input","datatype":"FP32","shape":[1,2],"data":[1,2]}]}`, http.StatusBadRequest},
		{"no tensor", "/v2/models/demo/infer", `{"inputs":[]}`, http.StatusBadRequest},
		{"not json", "/v2/models/demo/infer", `{`, http.StatusBadRequest},
		{"unknown model", "/v2/models/other/infer", `{"inputs":[{"name":"input","datatype":"FP32","shape":[1,3],"data":[1,2,3]}]}`, http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(base+tc.path, "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				b, _ := io.ReadAll(resp.Body)
				t.Errorf("status %d (%s), want %d", resp.StatusCode, b, tc.status)
			}
		})
	}
	for _, p := range []string{"/v2/health/live", "/v2/health/ready", "/v2/models/demo/ready"} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", p, resp.StatusCode)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	reg := seeded(t)
	unsigned := func() *registry.Registry {
		store, err := artifact.Open(t.Context(), "mem://", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		r, err := registry.Open(t.Context(), store, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := service.Seed(t.Context(), r, modelName, "production", nil); err != nil {
			t.Fatal(err)
		}
		return r
	}()
	tests := []struct {
		name string
		cfg  service.Config
		want error
	}{
		{"no registry", service.Config{Model: modelName}, service.ErrConfig},
		{"no model", service.Config{Registry: reg}, service.ErrConfig},
		{"bad step", service.Config{Registry: reg, Model: modelName, Steps: []float64{100}}, service.ErrConfig},
		{"unknown alias", service.Config{Registry: reg, Model: modelName, Alias: "nope"}, registry.ErrNotFound},
		{"neither trusted keys nor unsigned allowed", service.Config{Registry: unsigned, Model: modelName}, registry.ErrNoTrustedKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := service.New(t.Context(), tc.cfg)
			if !errors.Is(err, tc.want) {
				t.Errorf("New: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDecodeModel(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"valid", `{"features":["a"],"weights":[1],"bias":0}`, true},
		{"no features", `{"features":[],"weights":[],"bias":0}`, false},
		{"mismatch", `{"features":["a","b"],"weights":[1],"bias":0}`, false},
		{"not json", `[`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := service.DecodeModel([]byte(tc.in))
			if (err == nil) != tc.ok {
				t.Errorf("DecodeModel(%s) = %v, want ok %v", tc.in, err, tc.ok)
			}
		})
	}
}

func FuzzDecodeModel(f *testing.F) {
	for _, s := range []string{`{"features":["a"],"weights":[1],"bias":0}`, `{}`, `[`, `{"features":["a"],"weights":[1e309]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := service.DecodeModel(b)
		if err != nil {
			return
		}
		x := make([]float64, len(m.Features))
		if p := m.Predict(x); math.IsNaN(p) || p < 0 || p > 1 {
			t.Fatalf("Predict of a valid model = %v", p)
		}
	})
}

// TestUnsignedVersionIsNotServed moves the alias to a version nobody
// signed: the registry refuses to load it, and the version before keeps
// serving.
func TestUnsignedVersionIsNotServed(t *testing.T) {
	reg := seeded(t)
	logs := &syncBuffer{}
	base, svc := start(t, service.Config{Registry: reg, Model: modelName, WatchInterval: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	m, _ := json.Marshal(service.SeedModels[1])
	v, err := reg.Register(t.Context(), modelName, &registry.VersionSpec{Files: []registry.Upload{
		{Path: service.ModelFile, Body: bytes.NewReader(m)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.SetAlias(t.Context(), modelName, "production", v.Number); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the refusal to be logged", 5*time.Second, func() bool {
		l := logs.String()
		return strings.Contains(l, "cannot be served") && strings.Contains(l, "signature verification failed")
	})
	rows := [][]float64{{1, 1, 1}}
	if r := infer(t, base, rows); r.version != "1" {
		t.Errorf("after the move to unsigned version %d: served by %q, want 1", v.Number, r.version)
	}
	if stable, _ := svc.Served(); stable != "1" {
		t.Errorf("stable %q, want 1", stable)
	}
	if err := reg.SetAlias(t.Context(), modelName, "production", 2); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the signed version 2 to serve", 5*time.Second, func() bool { return infer(t, base, rows).version == "2" })
}

// TestAliasMovedBeforeServeIsFollowed moves the alias after New has
// resolved it and before Serve watches it: the service must still follow
// the move (it watches from the log position New read).
func TestAliasMovedBeforeServeIsFollowed(t *testing.T) {
	reg := seeded(t)
	svc, err := service.New(t.Context(), service.Config{Registry: reg, Model: modelName, WatchInterval: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if stable, _ := svc.Served(); stable != "1" {
		t.Fatalf("New serves %q, want 1", stable)
	}
	if err := reg.SetAlias(t.Context(), modelName, "production", 2); err != nil {
		t.Fatal(err)
	}
	base := serve(t, svc)
	eventually(t, "version 2 to serve", 5*time.Second, func() bool { return infer(t, base, [][]float64{{1, 1, 1}}).version == "2" })
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
