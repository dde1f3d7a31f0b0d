package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/monitor"
)

// answer is a version that answers with its own name.
func answer(name string) deploy.Predictor[string, string] {
	return deploy.PredictorFunc[string, string](func(context.Context, string) (string, error) { return name, nil })
}

func newVersions(names ...string) map[string]deploy.Predictor[string, string] {
	m := map[string]deploy.Predictor[string, string]{}
	for _, n := range names {
		m[n] = answer(n)
	}
	return m
}

// A Router is a Predictor: anything that takes one takes a router. Put the
// routing Request in the context to keep routing sticky through it.
func ExampleRouter_Predict() {
	r, _ := deploy.NewRouter(newVersions("v1", "v2"), nil)
	defer r.Close()
	r.SetCanary("v1", "v2", 50)

	var p deploy.Predictor[string, string] = r
	ctx := deploy.WithRequest(context.Background(), deploy.Request{Key: "user-7"})
	a, _ := p.Predict(ctx, "x")
	b, _ := p.Predict(ctx, "x")
	want, _ := r.Route(deploy.Request{Key: "user-7"})
	fmt.Println(a == b, a == want)
	// Output:
	// true true
}

// Serve routes one request and names the version that answered.
func ExampleRouter_Serve() {
	r, _ := deploy.NewRouter(newVersions("v1", "v2"), nil)
	defer r.Close()
	r.Update(deploy.Config{
		Split: []deploy.Target{{Version: "v1", Weight: 100}},
		Rules: []deploy.Rule{{Cohort: "beta", Version: "v2"}},
	})
	out, version, err := r.Serve(context.Background(), deploy.Request{Cohort: "beta"}, "x")
	fmt.Println(out, version, err)
	_, version, _ = r.Serve(context.Background(), deploy.Request{Key: "anyone"}, "x")
	fmt.Println(version)
	// Output:
	// v2 v2 <nil>
	// v1
}

// A weighted canary, sticky by key: raising the canary's weight only moves
// keys from stable to canary, never back.
func ExampleRouter_SetCanary() {
	r, _ := deploy.NewRouter(newVersions("stable", "canary"), nil)
	defer r.Close()
	onCanary := func() map[string]bool {
		keys := map[string]bool{}
		for i := range 10000 {
			k := fmt.Sprint("user-", i)
			if v, _ := r.Route(deploy.Request{Key: k}); v == "canary" {
				keys[k] = true
			}
		}
		return keys
	}
	r.SetCanary("stable", "canary", 10)
	at10 := onCanary()
	r.SetCanary("stable", "canary", 30)
	at30 := onCanary()
	back := 0
	for k := range at10 {
		if !at30[k] {
			back++
		}
	}
	fmt.Printf("10%%: %.0f%% of users, 30%%: %.0f%% of users, moved back: %d\n", float64(len(at10))/100, float64(len(at30))/100, back)
	// Output:
	// 10%: 10% of users, 30%: 30% of users, moved back: 0
}

// Blue/green: Switch moves all traffic at once, and the version switched
// away from can no longer be called by name.
func ExampleRouter_Switch() {
	r, _ := deploy.NewRouter(newVersions("blue", "green"), nil)
	defer r.Close()
	r.Switch("blue")
	r.Switch("green")
	v, _ := r.Route(deploy.Request{Key: "k"})
	_, err := r.PredictVersion(context.Background(), "blue", "x")
	fmt.Println(v, errors.Is(err, deploy.ErrNotRouted))
	// Output:
	// green true
}

// Shadow traffic: every request is also sent to the candidate after the
// caller has its answer; answers are compared and dropped.
func ExampleShadow() {
	r, _ := deploy.NewRouter(newVersions("v1", "v2"), &deploy.RouterOptions[string]{
		MaxShadowInFlight: 100,
		Equal:             func(primary, shadow string) bool { return primary == shadow },
	})
	r.Update(deploy.Config{
		Split:  []deploy.Target{{Version: "v1", Weight: 100}},
		Shadow: &deploy.Shadow{Version: "v2", Fraction: 1},
	})
	for i := range 20 {
		out, _, _ := r.Serve(context.Background(), deploy.Request{Key: fmt.Sprint(i)}, "x")
		if out != "v1" {
			fmt.Println("the caller saw", out)
		}
	}
	r.Close() // waits for the shadow calls
	fmt.Printf("%+v\n", r.ShadowStats())
	// Output:
	// {Sent:20 Dropped:0 Errors:0 Agreed:0 Disagreed:20}
}

// Bandit routing: Thompson sampling over the rewards reported favours the
// version that earns them.
func ExampleRouter_Reward() {
	r, _ := deploy.NewRouter(newVersions("a", "b"), nil)
	defer r.Close()
	r.Update(deploy.Config{Mode: deploy.Bandit, Split: []deploy.Target{{Version: "a", Weight: 1}, {Version: "b", Weight: 1}}})
	for range 500 {
		r.Reward("a", 0) // a never converts
		r.Reward("b", 1) // b always does
	}
	picks := map[string]int{}
	for range 1000 {
		v, _ := r.Route(deploy.Request{})
		picks[v]++
	}
	s, f, _ := r.Posterior("b")
	fmt.Println(picks["b"] > 990, s, f)
	// Output:
	// true 500 0
}

// Header rules pin matching requests to a version before the split; the
// first matching rule wins.
func ExampleRule() {
	r, _ := deploy.NewRouter(newVersions("v1", "v2", "v3"), nil)
	defer r.Close()
	r.Update(deploy.Config{
		Split: []deploy.Target{{Version: "v1", Weight: 100}},
		Rules: []deploy.Rule{
			{Header: "X-Tester", Value: "1", Version: "v2"},
			{Header: "X-Region", Value: "eu", Cohort: "beta", Version: "v3"},
		},
	})
	for _, req := range []deploy.Request{
		{Attrs: http.Header{"X-Tester": {"1"}}},
		{Attrs: http.Header{"X-Region": {"eu"}}, Cohort: "beta"},
		{Attrs: http.Header{"X-Region": {"eu"}}}, // the rule needs the cohort too
	} {
		v, _ := r.Route(req)
		fmt.Println(v)
	}
	// Output:
	// v2
	// v3
	// v1
}

// monitor's metrics as the router's Observer: every routed prediction is
// counted, timed and kept in the window a rollout reads; direct calls of a
// named version are not.
func ExampleRouterOptions_observer() {
	metrics, _ := monitor.New(prometheus.NewRegistry(), nil)
	r, _ := deploy.NewRouter(newVersions("v1", "v2"), &deploy.RouterOptions[string]{Model: "fraud", Observer: metrics})
	defer r.Close()
	r.SetCanary("v1", "v2", 100)
	for i := range 10 {
		r.Serve(context.Background(), deploy.Request{Key: fmt.Sprint(i)}, "x")
	}
	for range 5 {
		r.PredictVersion(context.Background(), "v2", "x")
	}
	fmt.Println(metrics.Window("fraud", "v2").Requests)
	// Output:
	// 10
}

// HTTPHandler routes HTTP requests between versions that are
// http.Handlers and names the version in Sextant-Served-Version.
func ExampleHTTPHandler() {
	page := func(name string) deploy.Predictor[deploy.Exchange, struct{}] {
		return deploy.HandlerVersion(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "hello from "+name)
		}))
	}
	r, _ := deploy.NewRouter(map[string]deploy.Predictor[deploy.Exchange, struct{}]{"old": page("old"), "new": page("new")}, nil)
	defer r.Close()
	r.Update(deploy.Config{
		Split: []deploy.Target{{Version: "old", Weight: 100}},
		Rules: []deploy.Rule{{Header: "X-Preview", Value: "yes", Version: "new"}},
	})
	srv := httptest.NewServer(deploy.HTTPHandler(r))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("X-Preview", "yes")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Header.Get(deploy.ServedVersionHeader), string(body))
	// Output:
	// new hello from new
}

// RequestFromHTTP reads the routing headers of an HTTP request.
func ExampleRequestFromHTTP() {
	hr := httptest.NewRequest("POST", "/score", strings.NewReader("{}"))
	hr.Header.Set(deploy.RouteKeyHeader, "user-42")
	hr.Header.Set(deploy.CohortHeader, "beta")
	req := deploy.RequestFromHTTP(hr)
	fmt.Println(req.Key, req.Cohort, req.Attrs.Get("Content-Type") == "")
	// Output:
	// user-42 beta true
}

// ObserverFunc makes an Observer of a function.
func ExampleObserverFunc() {
	var log []string
	obs := deploy.ObserverFunc(func(model, version string, _ time.Duration, err error) {
		log = append(log, fmt.Sprint(model, "/", version, " ", err))
	})
	r, _ := deploy.NewRouter(newVersions("v1"), &deploy.RouterOptions[string]{Model: "m", Observer: obs})
	defer r.Close()
	r.Switch("v1")
	r.Predict(context.Background(), "x")
	fmt.Println(log)
	// Output:
	// [m/v1 <nil>]
}
