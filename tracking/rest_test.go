package tracking_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sextant-ml/sextant/tracking"
)

// api calls the handler and decodes the JSON reply.
type api struct {
	t   *testing.T
	srv *httptest.Server
}

func newAPI(t *testing.T) (*api, *tracking.Tracker) {
	tr, _ := newTracker(t, nil)
	srv := httptest.NewServer(tr.Handler())
	t.Cleanup(srv.Close)
	return &api{t: t, srv: srv}, tr
}

func (a *api) call(method, endpoint string, body any) (int, map[string]any) {
	a.t.Helper()
	u := a.srv.URL + tracking.APIPrefix + endpoint
	var req *http.Request
	var err error
	if method == http.MethodGet {
		q := url.Values{}
		if m, ok := body.(map[string]string); ok {
			for k, v := range m {
				q.Set(k, v)
			}
		}
		req, err = http.NewRequest(method, u+"?"+q.Encode(), nil)
	} else {
		var data []byte
		if s, ok := body.(string); ok {
			data = []byte(s)
		} else if data, err = json.Marshal(body); err != nil {
			a.t.Fatal(err)
		}
		req, err = http.NewRequest(method, u, bytes.NewReader(data))
	}
	if err != nil {
		a.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		a.t.Fatalf("%s %s: reply %q is not a JSON object: %v", method, endpoint, raw, err)
	}
	return resp.StatusCode, out
}

// ok calls and fails the test unless the reply is 200.
func (a *api) ok(method, endpoint string, body any) map[string]any {
	a.t.Helper()
	code, out := a.call(method, endpoint, body)
	if code != http.StatusOK {
		a.t.Fatalf("%s %s: %d %v", method, endpoint, code, out)
	}
	return out
}

func TestRESTFlow(t *testing.T) {
	a, tr := newAPI(t)
	exp := a.ok("POST", "experiments/create", map[string]any{"name": "rest", "tags": []map[string]string{{"key": "team", "value": "risk"}}})["experiment_id"].(string)
	got := a.ok("GET", "experiments/get", map[string]string{"experiment_id": exp})["experiment"].(map[string]any)
	if got["name"] != "rest" || got["lifecycle_stage"] != "active" || got["experiment_id"] != exp {
		t.Fatalf("experiment %v", got)
	}
	byName := a.ok("GET", "experiments/get-by-name", map[string]string{"experiment_name": "rest"})["experiment"].(map[string]any)
	if byName["experiment_id"] != exp {
		t.Fatalf("by name %v", byName)
	}
	list := a.ok("POST", "experiments/search", map[string]any{"filter": "name = 'rest'"})["experiments"].([]any)
	if len(list) != 1 {
		t.Fatalf("search experiments %v", list)
	}
	run := a.ok("POST", "runs/create", map[string]any{"experiment_id": exp, "start_time": "1700000000000", "run_name": "first",
		"tags": []map[string]string{{"key": "k", "value": "v"}}})["run"].(map[string]any)
	info := run["info"].(map[string]any)
	id := info["run_id"].(string)
	if info["status"] != "RUNNING" || info["run_name"] != "first" || info["start_time"] != 1.7e12 || info["run_uuid"] != id {
		t.Fatalf("run info %v", info)
	}
	a.ok("POST", "runs/log-parameter", map[string]any{"run_id": id, "key": "lr", "value": "0.1"})
	a.ok("POST", "runs/set-tag", map[string]any{"run_uuid": id, "key": "stage", "value": "dev"})
	a.ok("POST", "runs/log-metric", map[string]any{"run_id": id, "key": "loss", "value": 0.5, "timestamp": 10, "step": 1})
	a.ok("POST", "runs/log-metric", map[string]any{"run_id": id, "key": "loss", "value": "NaN", "timestamp": "11", "step": "2"})
	a.ok("POST", "runs/log-batch", map[string]any{"run_id": id,
		"metrics": []map[string]any{{"key": "loss", "value": 0.25, "timestamp": 12, "step": 3}, {"key": "acc", "value": "Infinity", "timestamp": 12}},
		"params":  []map[string]string{{"key": "depth", "value": "3"}},
		"tags":    []map[string]string{{"key": "stage", "value": "prod"}}})
	hist := a.ok("GET", "metrics/get-history", map[string]string{"run_id": id, "metric_key": "loss"})["metrics"].([]any)
	want := []any{
		map[string]any{"key": "loss", "value": 0.5, "timestamp": 10.0, "step": 1.0},
		map[string]any{"key": "loss", "value": "NaN", "timestamp": 11.0, "step": 2.0},
		map[string]any{"key": "loss", "value": 0.25, "timestamp": 12.0, "step": 3.0},
	}
	if diff := cmp.Diff(want, hist); diff != "" {
		t.Fatalf("history (-want +got):\n%s", diff)
	}
	paged := a.ok("GET", "metrics/get-history", map[string]string{"run_id": id, "metric_key": "loss", "max_results": "2"})
	if len(paged["metrics"].([]any)) != 2 || paged["next_page_token"] == nil {
		t.Fatalf("first page %v", paged)
	}
	rest := a.ok("GET", "metrics/get-history", map[string]string{"run_id": id, "metric_key": "loss", "max_results": "2", "page_token": paged["next_page_token"].(string)})
	if len(rest["metrics"].([]any)) != 1 || rest["next_page_token"] != nil {
		t.Fatalf("second page %v", rest)
	}
	upd := a.ok("POST", "runs/update", map[string]any{"run_id": id, "status": "FINISHED", "end_time": 1700000001000})["run_info"].(map[string]any)
	if upd["status"] != "FINISHED" || upd["end_time"] != 1.700000001e12 {
		t.Fatalf("updated %v", upd)
	}
	full := a.ok("GET", "runs/get", map[string]string{"run_id": id})["run"].(map[string]any)
	data := full["data"].(map[string]any)
	wantData := map[string]any{
		"metrics": []any{
			map[string]any{"key": "acc", "value": math.MaxFloat64, "timestamp": 12.0, "step": 0.0},
			map[string]any{"key": "loss", "value": 0.25, "timestamp": 12.0, "step": 3.0},
		},
		"params": []any{map[string]any{"key": "depth", "value": "3"}, map[string]any{"key": "lr", "value": "0.1"}},
		"tags": []any{
			map[string]any{"key": "k", "value": "v"}, map[string]any{"key": "mlflow.runName", "value": "first"},
			map[string]any{"key": "stage", "value": "prod"},
		},
	}
	if diff := cmp.Diff(wantData, data); diff != "" {
		t.Fatalf("run data (-want +got):\n%s", diff)
	}
	runs := a.ok("POST", "runs/search", map[string]any{"experiment_ids": []string{exp}, "filter": "params.lr = '0.1' and metrics.loss < 1", "run_view_type": "ACTIVE_ONLY"})["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("search runs %v", runs)
	}
	a.ok("POST", "runs/delete", map[string]any{"run_id": id})
	if runs := a.ok("POST", "runs/search", map[string]any{"experiment_ids": []string{exp}})["runs"]; runs != nil {
		t.Fatalf("deleted run still searched: %v", runs)
	}
	if got := a.ok("POST", "runs/search", map[string]any{"experiment_ids": []string{exp}, "run_view_type": 3})["runs"].([]any); len(got) != 1 {
		t.Fatalf("ALL by number: %v", got)
	}
	r, err := tr.GetRun(context.Background(), id)
	if err != nil || r.Info.Lifecycle != tracking.Deleted {
		t.Fatalf("run after delete: %+v, %v", r, err)
	}
}

// TestRESTErrors: bad input gets MLflow's status and error code, and
// nothing of it is written.
func TestRESTErrors(t *testing.T) {
	a, tr := newAPI(t)
	id := a.ok("POST", "runs/create", map[string]any{"experiment_id": "0"})["run"].(map[string]any)["info"].(map[string]any)["run_id"].(string)
	a.ok("POST", "runs/log-parameter", map[string]any{"run_id": id, "key": "lr", "value": "0.1"})
	a.ok("POST", "experiments/create", map[string]any{"name": "taken"})
	metrics := func(n int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"key": "m", "value": i, "timestamp": 1, "step": i}
		}
		return out
	}
	unknown := "0123456789abcdef0123456789abcdef"
	for _, tt := range []struct {
		name, method, endpoint string
		body                   any
		status                 int
		code                   string
	}{
		{"changed param", "POST", "runs/log-parameter", map[string]any{"run_id": id, "key": "lr", "value": "0.2"}, 400, tracking.CodeInvalidParameter},
		{"changed param in batch", "POST", "runs/log-batch", map[string]any{"run_id": id, "params": []map[string]string{{"key": "lr", "value": "9"}}, "metrics": metrics(2)}, 400, tracking.CodeInvalidParameter},
		{"unknown run", "POST", "runs/log-metric", map[string]any{"run_id": unknown, "key": "a", "value": 1, "timestamp": 1}, 404, tracking.CodeResourceDoesNotExist},
		{"unknown run get", "GET", "runs/get", map[string]string{"run_id": unknown}, 404, tracking.CodeResourceDoesNotExist},
		{"bad run id", "GET", "runs/get", map[string]string{"run_id": "../../x"}, 404, tracking.CodeResourceDoesNotExist},
		{"unknown experiment", "GET", "experiments/get", map[string]string{"experiment_id": "77"}, 404, tracking.CodeResourceDoesNotExist},
		{"unknown name", "GET", "experiments/get-by-name", map[string]string{"experiment_name": "nope"}, 404, tracking.CodeResourceDoesNotExist},
		{"run in unknown experiment", "POST", "runs/create", map[string]any{"experiment_id": "77"}, 404, tracking.CodeResourceDoesNotExist},
		{"taken name", "POST", "experiments/create", map[string]any{"name": "taken"}, 400, tracking.CodeResourceExists},
		{"too large batch", "POST", "runs/log-batch", map[string]any{"run_id": id, "metrics": metrics(1001)}, 400, tracking.CodeInvalidParameter},
		{"missing value", "POST", "runs/log-metric", map[string]any{"run_id": id, "key": "a", "timestamp": 1}, 400, tracking.CodeInvalidParameter},
		{"missing timestamp", "POST", "runs/log-metric", map[string]any{"run_id": id, "key": "a", "value": 1}, 400, tracking.CodeInvalidParameter},
		{"string value", "POST", "runs/log-metric", map[string]any{"run_id": id, "key": "a", "value": "high", "timestamp": 1}, 400, tracking.CodeInvalidParameter},
		{"bool value", "POST", "runs/log-metric", map[string]any{"run_id": id, "key": "a", "value": true, "timestamp": 1}, 400, tracking.CodeInvalidParameter},
		{"fractional step", "POST", "runs/log-metric", map[string]any{"run_id": id, "key": "a", "value": 1, "timestamp": 1, "step": 1.5}, 400, tracking.CodeInvalidParameter},
		{"missing run id", "POST", "runs/set-tag", map[string]any{"key": "a", "value": "b"}, 400, tracking.CodeInvalidParameter},
		{"bad key", "POST", "runs/set-tag", map[string]any{"run_id": id, "key": "a\x00", "value": "b"}, 400, tracking.CodeInvalidParameter},
		{"malformed", "POST", "runs/log-batch", `{"run_id": `, 400, tracking.CodeInvalidParameter},
		{"too big body", "POST", "runs/log-batch", `{"run_id":"` + id + `","tags":[` + strings.Repeat(`{"key":"a","value":"b"},`, 50000) + `{"key":"a","value":"b"}]}`, 400, tracking.CodeInvalidParameter},
		{"bad filter", "POST", "runs/search", map[string]any{"experiment_ids": []string{"0"}, "filter": "metrics.a > 'x'"}, 400, tracking.CodeInvalidParameter},
		{"bad status", "POST", "runs/update", map[string]any{"run_id": id, "status": "DONE"}, 400, tracking.CodeInvalidParameter},
		{"no endpoint", "POST", "runs/frobnicate", map[string]any{}, 404, tracking.CodeEndpointNotFound},
		{"wrong method", "GET", "runs/create", nil, 405, tracking.CodeBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, out := a.call(tt.method, tt.endpoint, tt.body)
			if status != tt.status || out["error_code"] != tt.code || out["message"] == "" {
				t.Fatalf("%d %v, want %d %s", status, out, tt.status, tt.code)
			}
		})
	}
	r, err := tr.GetRun(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"lr": "0.1"}, r.Params); diff != "" {
		t.Fatalf("params after bad input (-want +got):\n%s", diff)
	}
	if len(r.Metrics) != 0 || r.Tags["a"] != "" {
		t.Fatalf("bad input left metrics %v or tags %v", r.Metrics, r.Tags)
	}
}

// FuzzDecodeLogBatch: the log-batch decoder never panics, refuses bad
// input with ErrInvalidParameter, and a batch it accepts survives a round
// trip through the JSON that responses use.
func FuzzDecodeLogBatch(f *testing.F) {
	for _, s := range []string{
		`{"run_id":"abc","metrics":[{"key":"m","value":1.5,"timestamp":"3","step":2}]}`,
		`{"run_uuid":"abc","metrics":[{"key":"m","value":"NaN","timestamp":1}],"params":[{"key":"p","value":"v"}]}`,
		`{"run_id":"abc","tags":[{"key":"t","value":"x"}],"metrics":[{"key":"m","value":"-Infinity","timestamp":0}]}`,
		`{"run_id":"abc","metrics":[{"key":"m","value":1e400,"timestamp":1}]}`,
		`{"run_id":"abc","params":[{"key":"p","value":"1"},{"key":"p","value":"2"}]}`,
		`{}`, ``, `[]`, `{"metrics":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := tracking.DecodeLogBatch(body)
		if err != nil {
			if !isInvalid(err) {
				t.Fatalf("error %v does not match ErrInvalidParameter", err)
			}
			return
		}
		if err := b.Validate(); err != nil {
			t.Fatalf("accepted batch does not validate: %v", err)
		}
		type wire struct {
			Metrics []tracking.Metric `json:"metrics"`
			Params  []tracking.Param  `json:"params"`
			Tags    []tracking.Tag    `json:"tags"`
		}
		data, err := json.Marshal(wire{b.Metrics, b.Params, b.Tags})
		if err != nil {
			t.Fatalf("accepted batch does not encode: %v", err)
		}
		again, err := tracking.DecodeLogBatch(data)
		if err != nil {
			t.Fatalf("re-encoded batch %s does not decode: %v", data, err)
		}
		if diff := cmp.Diff(b, again, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

func isInvalid(err error) bool { return errors.Is(err, tracking.ErrInvalidParameter) }
