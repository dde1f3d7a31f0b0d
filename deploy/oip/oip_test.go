package oip_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/oip"
)

// echo answers with its inputs renamed out_<name>, so every datatype
// makes the round trip through JSON twice.
type echo struct{ tag string }

func (e echo) Predict(_ context.Context, req *oip.InferRequest) (*oip.InferResponse, error) {
	if req.Input("fail") != nil {
		return nil, errors.New("model exploded")
	}
	resp := &oip.InferResponse{Parameters: json.RawMessage(`{"tag":"` + e.tag + `"}`)}
	for _, in := range req.Inputs {
		in.Name = "out_" + in.Name
		resp.Outputs = append(resp.Outputs, in)
	}
	return resp, nil
}

type notReady struct{ echo }

func (notReady) Ready(context.Context) bool { return false }

func newOIP(t *testing.T) *httptest.Server {
	t.Helper()
	h := oip.NewHandler(&oip.HandlerOptions{Version: "1.0", MaxBodyBytes: 1 << 16, Logger: slog.New(slog.DiscardHandler)})
	if err := h.Add(oip.ModelMetadata{Name: "echo", Versions: []string{"1"}, Platform: "go"}, echo{"plain"}); err != nil {
		t.Fatal(err)
	}
	strict := oip.ModelMetadata{Name: "strict", Platform: "go",
		Inputs:  []oip.TensorMeta{{Name: "x", Datatype: oip.FP32, Shape: []int64{-1, 3}}},
		Outputs: []oip.TensorMeta{{Name: "out_x", Datatype: oip.FP32, Shape: []int64{-1, 3}}}}
	if err := h.Add(strict, echo{"strict"}); err != nil {
		t.Fatal(err)
	}
	r, err := deploy.NewRouter(map[string]oip.InferPredictor{"blue": echo{"blue"}, "green": echo{"green"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if err := r.Update(deploy.Config{Split: []deploy.Target{{Version: "blue", Weight: 100}}, Rules: []deploy.Rule{{Header: "X-Canary", Value: "yes", Version: "green"}, {Cohort: "beta", Version: "green"}}}); err != nil {
		t.Fatal(err)
	}
	if err := h.AddRouter(oip.ModelMetadata{Name: "routed", Platform: "go"}, r); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, body string, hdr map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: body %q is not JSON: %v", method, url, raw, err)
	}
	return resp.StatusCode, resp.Header, out
}

func TestOIPRoundTrip(t *testing.T) {
	srv := newOIP(t)
	golden, err := os.ReadFile(filepath.Join("testdata", "infer_request.json"))
	if err != nil {
		t.Fatal(err)
	}
	httpResp, err := http.Post(srv.URL+"/v2/models/echo/versions/1/infer", "application/json", bytes.NewReader(golden))
	if err != nil {
		t.Fatal(err)
	}
	defer httpResp.Body.Close()
	raw, _ := io.ReadAll(httpResp.Body)
	if httpResp.StatusCode != 200 {
		t.Fatalf("status %d: %s", httpResp.StatusCode, raw)
	}
	if got := httpResp.Header.Get(deploy.ServedVersionHeader); got != "1" {
		t.Errorf("served version header %q, want 1", got)
	}
	var resp oip.InferResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.ModelName != "echo" || resp.ModelVersion != "1" || resp.ID != "req-42" || string(resp.Parameters) != `{"tag":"plain"}` {
		t.Errorf("response header fields %+v", resp)
	}
	req, err := oip.DecodeInferRequest(bytes.NewReader(golden), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range req.Inputs {
		req.Inputs[i].Name = "out_" + req.Inputs[i].Name
	}
	if diff := cmp.Diff(req.Inputs, resp.Outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	want := map[string]oip.Tensor{
		"out_flags": {Name: "out_flags", Datatype: "BOOL", Shape: []int64{3}, Bools: []bool{true, false, true}},
		"out_i8":    {Name: "out_i8", Datatype: "INT8", Shape: []int64{2, 2}, Ints: []int64{-128, 127, 0, 5}},
		"out_u64":   {Name: "out_u64", Datatype: "UINT64", Shape: []int64{2}, Uints: []uint64{0, math.MaxUint64}},
		"out_f32":   {Name: "out_f32", Datatype: "FP32", Shape: []int64{2, 3}, Floats: []float64{1.5, -2, 3.25, 0, 1e-3, 6}},
		"out_text":  {Name: "out_text", Datatype: "BYTES", Shape: []int64{2}, Bytes: [][]byte{[]byte("héllo"), []byte("")}},
		"out_s":     {Name: "out_s", Datatype: "FP64", Shape: []int64{}, Floats: []float64{2.718281828459045}, Parameters: json.RawMessage(`{"unit":"e"}`)},
	}
	for _, o := range resp.Outputs {
		if w, ok := want[o.Name]; ok {
			if diff := cmp.Diff(w, o); diff != "" {
				t.Errorf("%s (-want +got):\n%s", o.Name, diff)
			}
			delete(want, o.Name)
		}
	}
	if len(want) != 0 {
		t.Errorf("outputs missing: %v", want)
	}
}

func TestOIPEndpoints(t *testing.T) {
	srv := newOIP(t)
	body := `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,3]}]}`
	tests := []struct {
		name, method, path, body string
		hdr                      map[string]string
		wantCode                 int
		wantKey, wantValue       string // a top-level field of the answer
	}{
		{"live", "GET", "/v2/health/live", "", nil, 200, "live", "true"},
		{"ready", "GET", "/v2/health/ready", "", nil, 200, "ready", "true"},
		{"server metadata", "GET", "/v2", "", nil, 200, "name", "sextant"},
		{"model metadata", "GET", "/v2/models/strict", "", nil, 200, "platform", "go"},
		{"versioned metadata", "GET", "/v2/models/echo/versions/1", "", nil, 200, "name", "echo"},
		{"router versions", "GET", "/v2/models/routed", "", nil, 200, "versions", "[blue green]"},
		{"model ready", "GET", "/v2/models/echo/ready", "", nil, 200, "ready", "true"},
		{"routed ready", "GET", "/v2/models/routed/versions/green/ready", "", nil, 200, "ready", "true"},
		{"unknown model", "GET", "/v2/models/nope", "", nil, 404, "error", `oip: unknown model "nope"`},
		{"unknown version", "GET", "/v2/models/echo/versions/9", "", nil, 404, "error", `oip: model "echo" has no version "9"`},
		{"unknown routed version", "POST", "/v2/models/routed/versions/red/infer", body, nil, 404, "error", `oip: model "routed" has no version "red"`},
		{"unknown model infer", "POST", "/v2/models/nope/infer", body, nil, 404, "error", `oip: unknown model "nope"`},
		{"no endpoint", "GET", "/v3/x", "", nil, 404, "error", "oip: no endpoint GET /v3/x"},
		{"infer", "POST", "/v2/models/strict/infer", body, nil, 200, "model_name", "strict"},
		{"routed default", "POST", "/v2/models/routed/infer", body, nil, 200, "model_version", "blue"},
		{"routed by header", "POST", "/v2/models/routed/infer", body, map[string]string{"X-Canary": "yes"}, 200, "model_version", "green"},
		{"routed by cohort", "POST", "/v2/models/routed/infer", body, map[string]string{deploy.CohortHeader: "beta"}, 200, "model_version", "green"},
		{"routed by another cohort", "POST", "/v2/models/routed/infer", body, map[string]string{deploy.CohortHeader: "ga"}, 200, "model_version", "blue"},
		{"routed by path", "POST", "/v2/models/routed/versions/green/infer", body, nil, 200, "model_version", "green"},
		{"malformed JSON", "POST", "/v2/models/echo/infer", `{"inputs":[`, nil, 400, "", ""},
		{"no inputs", "POST", "/v2/models/echo/infer", `{"inputs":[]}`, nil, 400, "error", "oip: bad inference request: no inputs"},
		{"shape mismatch", "POST", "/v2/models/echo/infer", `{"inputs":[{"name":"x","datatype":"FP32","shape":[2,3],"data":[1,2,3]}]}`, nil, 400, "error", `oip: bad inference request: tensor "x": shape [2 3] needs 6 values, got 3`},
		{"declared shape", "POST", "/v2/models/strict/infer", `{"inputs":[{"name":"x","datatype":"FP32","shape":[3,1],"data":[1,2,3]}]}`, nil, 400, "error", `oip: bad inference request: input "x" has shape [3 1], model "strict" wants [-1 3]`},
		{"declared datatype", "POST", "/v2/models/strict/infer", `{"inputs":[{"name":"x","datatype":"FP64","shape":[1,3],"data":[1,2,3]}]}`, nil, 400, "error", `oip: bad inference request: input "x" is FP64, model "strict" wants FP32`},
		{"undeclared input", "POST", "/v2/models/strict/infer", `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,3]},{"name":"y","datatype":"BOOL","shape":[1],"data":[true]}]}`, nil, 400, "error", `oip: bad inference request: model "strict" has no input "y"`},
		{"ragged nested data", "POST", "/v2/models/echo/infer", `{"inputs":[{"name":"x","datatype":"INT32","shape":[2,2],"data":[[1,2,3],[4]]}]}`, nil, 400, "error", `oip: bad inference request: tensor "x": data: nested data does not have shape [2 2] (an array of 3 values at depth 2)`},
		{"nested data of another shape", "POST", "/v2/models/echo/infer", `{"inputs":[{"name":"x","datatype":"INT32","shape":[4],"data":[[1,2],[3,4]]}]}`, nil, 400, "error", `oip: bad inference request: tensor "x": data: nested data does not have shape [4] (a value at depth 2)`},
		{"nested data mixing levels", "POST", "/v2/models/echo/infer", `{"inputs":[{"name":"x","datatype":"INT32","shape":[2,1],"data":[[1],2]}]}`, nil, 400, "error", `oip: bad inference request: tensor "x": data: nested data does not have shape [2 1] (a value at depth 1)`},
		{"nested data as the shape says", "POST", "/v2/models/echo/infer", `{"inputs":[{"name":"x","datatype":"INT32","shape":[2,0],"data":[[],[]]}]}`, nil, 200, "model_name", "echo"},
		{"int out of range", "POST", "/v2/models/echo/infer", `{"inputs":[{"name":"x","datatype":"UINT8","shape":[1],"data":[256]}]}`, nil, 400, "error", `oip: bad inference request: tensor "x": data: 256 is not a UINT8`},
		{"FP16 out of range", "POST", "/v2/models/echo/infer", `{"inputs":[{"name":"x","datatype":"FP16","shape":[1],"data":[70000]}]}`, nil, 400, "error", `oip: bad inference request: tensor "x": data: 70000 is not an FP16`},
		{"FP32 out of range", "POST", "/v2/models/echo/infer", `{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1e39]}]}`, nil, 400, "error", `oip: bad inference request: tensor "x": data: 1e39 is not an FP32`},
		{"fraction as int", "POST", "/v2/models/echo/infer", `{"inputs":[{"name":"x","datatype":"INT32","shape":[1],"data":[1.5]}]}`, nil, 400, "error", `oip: bad inference request: tensor "x": data: 1.5 is not an INT32`},
		{"unknown datatype", "POST", "/v2/models/echo/infer", `{"inputs":[{"name":"x","datatype":"COMPLEX","shape":[1],"data":[1]}]}`, nil, 400, "error", `oip: bad inference request: tensor "x": unknown datatype "COMPLEX"`},
		{"wrong method", "DELETE", "/v2/models/echo/infer", "", nil, 405, "error", "oip: DELETE /v2/models/echo/infer: method not allowed, use POST"},
		{"wrong method on health", "POST", "/v2/health/live", "", nil, 405, "", ""},
		{"predictor failure", "POST", "/v2/models/echo/infer", `{"inputs":[{"name":"fail","datatype":"BOOL","shape":[1],"data":[true]}]}`, nil, 500, "", ""},
		{"too large", "POST", "/v2/models/echo/infer", `{"inputs":[{"name":"x","datatype":"BYTES","shape":[1],"data":["` + strings.Repeat("a", 1<<16) + `"]}]}`, nil, 413, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantCode, raw)
			}
			if resp.StatusCode >= 400 {
				var e struct{ Error string }
				if err := json.Unmarshal(raw, &e); err != nil || e.Error == "" {
					t.Errorf("error body %q has no error field", raw)
				}
			}
			if tc.wantKey == "" {
				return
			}
			var out map[string]any
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(out[tc.wantKey]); got != tc.wantValue {
				t.Errorf("%s = %q, want %q", tc.wantKey, got, tc.wantValue)
			}
			if strings.HasSuffix(tc.path, "/infer") && tc.wantCode == 200 && resp.Header.Get(deploy.ServedVersionHeader) != fmt.Sprint(out["model_version"]) && out["model_version"] != nil {
				t.Errorf("header %q, model_version %v", resp.Header.Get(deploy.ServedVersionHeader), out["model_version"])
			}
		})
	}
}

func TestOIPNotReady(t *testing.T) {
	h := oip.NewHandler(nil)
	h.Add(oip.ModelMetadata{Name: "warming"}, notReady{})
	srv := httptest.NewServer(h)
	defer srv.Close()
	if code, _, _ := do(t, "GET", srv.URL+"/v2/health/ready", "", nil); code != 503 {
		t.Errorf("server ready: %d", code)
	}
	if code, _, out := do(t, "GET", srv.URL+"/v2/models/warming/ready", "", nil); code != 503 || out["ready"] != false {
		t.Errorf("model ready: %d %v", code, out)
	}
	h.Remove("warming")
	if code, _, _ := do(t, "GET", srv.URL+"/v2/models/warming", "", nil); code != 404 {
		t.Errorf("removed model: %d", code)
	}
	if err := h.Add(oip.ModelMetadata{}, echo{}); !errors.Is(err, deploy.ErrInvalid) {
		t.Errorf("Add without name: %v", err)
	}
}

func TestTensorMarshal(t *testing.T) {
	tests := []struct {
		name string
		t    oip.Tensor
		want string
	}{
		{"ints", oip.Tensor{Name: "a", Datatype: oip.INT16, Shape: []int64{2}, Ints: []int64{-1, 2}}, `{"name":"a","shape":[2],"datatype":"INT16","data":[-1,2]}`},
		{"empty", oip.Tensor{Name: "e", Datatype: oip.FP32, Shape: []int64{0, 4}}, `{"name":"e","shape":[0,4],"datatype":"FP32","data":[]}`},
		{"bytes", oip.Tensor{Name: "b", Datatype: oip.BYTES, Shape: []int64{1}, Bytes: [][]byte{[]byte(`q"`)}}, `{"name":"b","shape":[1],"datatype":"BYTES","data":["q\""]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.t)
			if err != nil || string(b) != tc.want {
				t.Errorf("got %s, %v; want %s", b, err, tc.want)
			}
		})
	}
	bad := []oip.Tensor{
		{Name: "n", Datatype: oip.FP64, Shape: []int64{1}, Floats: []float64{math.NaN()}},
		{Name: "s", Datatype: oip.FP64, Shape: []int64{2}, Floats: []float64{1}},
		{Name: "d", Datatype: "X", Shape: []int64{0}},
		{Datatype: oip.BOOL, Shape: []int64{0}},
	}
	for _, b := range bad {
		if _, err := json.Marshal(b); !errors.Is(err, oip.ErrBadRequest) {
			t.Errorf("Marshal(%+v): %v, want ErrBadRequest", b, err)
		}
	}
}

func FuzzDecodeInferRequest(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "infer_request.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	for _, s := range []string{
		`{"inputs":[{"name":"x","datatype":"FP32","shape":[2,2],"data":[[1,2],[3,4]]}]}`,
		`{"inputs":[{"name":"x","datatype":"INT64","shape":[],"data":[9223372036854775807]}]}`,
		`{"inputs":[{"name":"x","datatype":"BOOL","shape":[1],"data":[null]}]}`,
		`{"inputs":[{"name":"x","datatype":"BYTES","shape":[9223372036854775807,9223372036854775807],"data":[]}]}`,
		`{"inputs":[{"name":"x","datatype":"FP16","shape":[1],"data":[70000]}]}`,
		`{"inputs":[{"name":"x","datatype":"UINT8","shape":[1],"data":[[[[[[1]]]]]]}]}`,
		`{"inputs":[{"name":"x","datatype":"INT8","shape":[2,2],"data":[[1,2,3],[4]]}]}`,
		`{"inputs":[{"name":"x","datatype":"INT8","shape":[1,1,1],"data":[[[1]]]}]}`,
		`{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":{"a":1}}]}`,
		`{"inputs":[{"name":"x","datatype":"FP32","shape":[-1],"data":[]}]}`,
		`{"outputs":[{"name":""}],"inputs":[{"name":"x","datatype":"BOOL","shape":[0],"data":[]}]}`,
		`{"parameters":{"a":[{"b":null}]},"inputs":[{"name":"x","datatype":"BYTES","shape":[3],"data":["\ud83d\ude00","\ud83d","\u00e9\n"],"parameters":{}}]}`,
		`{"parameters":[1],"inputs":[{"name":"x","datatype":"BOOL","shape":[1],"data":[true]}]}`,
		`{"inputs":[{"name":"x","datatype":"INT16","shape":[2,1],"data":[ [ 1 ] , [ -2 ] ] }]}`,
		`{"inputs":[{"name":"x","datatype":"FP64","shape":[1],"data":[1.00000000000000000000000000000000000001]}]}`,
		`{"inputs":[{"name":"x","datatype":"INT8","shape":[2],"data":[1,"2"]}]}`,
		`[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := oip.DecodeInferRequest(bytes.NewReader(b), &oip.Limits{MaxBodyBytes: 1 << 20})
		if err != nil {
			if !errors.Is(err, oip.ErrBadRequest) {
				t.Fatalf("error %v does not match ErrBadRequest", err)
			}
			return
		}
		// A decoded request is valid and survives a round trip unchanged.
		for i := range req.Inputs {
			if err := req.Inputs[i].Validate(); err != nil {
				t.Fatalf("decoded an invalid tensor: %v", err)
			}
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("re-encoding: %v", err)
		}
		back, err := oip.DecodeInferRequest(bytes.NewReader(again), &oip.Limits{MaxBodyBytes: 1 << 21})
		if err != nil {
			t.Fatalf("decoding %s: %v", again, err)
		}
		if diff := cmp.Diff(req.Inputs, back.Inputs); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

func TestOIPRouteKeyIsSticky(t *testing.T) {
	r, err := deploy.NewRouter(map[string]oip.InferPredictor{"a": echo{"a"}, "b": echo{"b"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.SetCanary("a", "b", 50); err != nil {
		t.Fatal(err)
	}
	h := oip.NewHandler(nil)
	h.AddRouter(oip.ModelMetadata{Name: "m"}, r)
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := `{"inputs":[{"name":"x","datatype":"INT32","shape":[1],"data":[1]}]}`
	seen := map[string]int{}
	for i := range 40 {
		key := fmt.Sprint("user-", i)
		want, _ := r.Route(deploy.Request{Key: key})
		for range 2 {
			code, hdr, out := do(t, "POST", srv.URL+"/v2/models/m/infer", body, map[string]string{deploy.RouteKeyHeader: key})
			got := hdr.Get(deploy.ServedVersionHeader)
			if code != 200 || got != want || out["model_version"] != want {
				t.Fatalf("key %s: status %d served %q (%v), want %q", key, code, got, out["model_version"], want)
			}
		}
		seen[want]++
	}
	if seen["a"] == 0 || seen["b"] == 0 {
		t.Errorf("40 keys at 50%% all went one way: %v", seen)
	}
}

// Models are added and removed while requests are served.
func TestOIPConcurrentServeAndChange(t *testing.T) {
	h := oip.NewHandler(nil)
	if err := h.Add(oip.ModelMetadata{Name: "stay"}, echo{"stay"}); err != nil {
		t.Fatal(err)
	}
	body := `{"inputs":[{"name":"x","datatype":"INT32","shape":[1],"data":[1]}]}`
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				name := "stay"
				if i%2 == 1 {
					name = "come-and-go"
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("POST", "/v2/models/"+name+"/infer", strings.NewReader(body)))
				if name == "stay" && rec.Code != 200 || rec.Code != 200 && rec.Code != 404 {
					t.Errorf("goroutine %d: %s: status %d: %s", g, name, rec.Code, rec.Body)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			h.Add(oip.ModelMetadata{Name: "come-and-go"}, echo{"x"})
			h.Remove("come-and-go")
		}
	})
	wg.Wait()
}
