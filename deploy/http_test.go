package deploy_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/monitor"
)

func TestHTTPHandler(t *testing.T) {
	version := func(name string, code int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			fmt.Fprintf(w, "%s %s", name, r.URL.Path)
		})
	}
	w, err := monitor.New(prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := deploy.NewRouter(map[string]deploy.Predictor[deploy.Exchange, struct{}]{
		"blue":  deploy.HandlerVersion(version("blue", 200)),
		"green": deploy.HandlerVersion(version("green", 503)),
	}, &deploy.RouterOptions[struct{}]{Model: "m", Observer: w})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	srv := httptest.NewServer(deploy.HTTPHandler(r))
	defer srv.Close()

	get := func(hdr map[string]string) (int, string, string) {
		req, _ := http.NewRequest("GET", srv.URL+"/score", nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get(deploy.ServedVersionHeader), string(b)
	}
	if code, _, _ := get(nil); code != http.StatusServiceUnavailable {
		t.Errorf("nothing routed: status %d, want 503", code)
	}
	start := time.Now()
	if err := r.Update(deploy.Config{
		Split: []deploy.Target{{"blue", 50}, {"green", 50}},
		Rules: []deploy.Rule{{Header: "X-Color", Value: "green", Version: "green"}},
	}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for i := range 60 {
		key := fmt.Sprint("u", i)
		want, _ := r.Route(deploy.Request{Key: key})
		code, served, body := get(map[string]string{deploy.RouteKeyHeader: key})
		wantCode := map[string]int{"blue": 200, "green": 503}[want]
		if served != want || code != wantCode || body != want+" /score" {
			t.Fatalf("key %s: %d %q %q, want %d from %s", key, code, served, body, wantCode, want)
		}
		seen[served]++
	}
	if code, served, _ := get(map[string]string{"X-Color": "green"}); served != "green" || code != 503 {
		t.Errorf("header rule: %d from %q", code, served)
	}
	g := w.Range("m", "green", start, time.Now().Add(time.Second))
	b := w.Range("m", "blue", start, time.Now().Add(time.Second))
	if g.Requests != uint64(seen["green"]+1) || g.Errors != g.Requests || b.Errors != 0 || b.Requests != uint64(seen["blue"]) {
		t.Errorf("observed green %+v, blue %+v; served %v", g, b, seen)
	}
}
