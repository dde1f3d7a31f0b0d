package oip_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/oip"
)

// sum answers with one value, so that a test of a large request
// measures its decoding and not the encoding of a large answer.
var sum = deploy.PredictorFunc[*oip.InferRequest, *oip.InferResponse](func(_ context.Context, req *oip.InferRequest) (*oip.InferResponse, error) {
	var s float64
	for _, in := range req.Inputs {
		s += float64(in.Len())
	}
	return &oip.InferResponse{Outputs: []oip.Tensor{{Name: "n", Datatype: oip.FP64, Shape: []int64{1}, Floats: []float64{s}}}}, nil
})

// bigRequest is one tensor of n copies of value.
func bigRequest(datatype, value string, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"id":"big","parameters":{"k":[1,2]},"inputs":[{"name":"x","datatype":%q,"shape":[%d],"data":[`, datatype, n)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(value)
	}
	b.WriteString(`]}]}`)
	return b.Bytes()
}

// One request of a million values allocates a few bytes per value (the
// body, one copy of the data's text, the typed slice) and a few hundred
// objects in all, not several objects per value.
func TestInferAllocationsPerValue(t *testing.T) {
	h := oip.NewHandler(nil)
	if err := h.Add(oip.ModelMetadata{Name: "m"}, sum); err != nil {
		t.Fatal(err)
	}
	const n = 1 << 20
	tests := []struct {
		datatype, value string
		// maxPerValue bounds the bytes allocated per value: twice the
		// text of a value and its separator (the body and the copy of
		// the data), plus its typed size, plus 2 bytes of slack.
		maxPerValue float64
	}{
		{oip.FP32, "1.5", 2*4 + 8 + 2},
		{oip.INT64, "-7", 2*3 + 8 + 2},
		{oip.UINT8, "255", 2*4 + 8 + 2},
		{oip.BOOL, "true", 2*5 + 1 + 2},
		{oip.BYTES, `"ab"`, 3*5 + 24 + 2}, // the values' backing array is sized by the text; a []byte header per value
	}
	for _, tc := range tests {
		t.Run(tc.datatype, func(t *testing.T) {
			body := bigRequest(tc.datatype, tc.value, n)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/v2/models/m/infer", bytes.NewReader(body)))
			runtime.ReadMemStats(&after)
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			perValue := float64(after.TotalAlloc-before.TotalAlloc) / n
			objects := after.Mallocs - before.Mallocs
			t.Logf("%d-byte body: %.1f bytes and %.5f objects allocated per value", len(body), perValue, float64(objects)/n)
			if perValue > tc.maxPerValue {
				t.Errorf("%.1f bytes allocated per value, want at most %.0f", perValue, tc.maxPerValue)
			}
			if objects > 2000 {
				t.Errorf("%d objects allocated for %d values, want a number that does not grow with the values", objects, n)
			}
		})
	}
}

// Decoding allocates about as many objects for 262,144 values as for
// ten (before it stored values straight into the typed slice, it
// allocated several per value).
func TestDecodeAllocationsDoNotGrowWithValues(t *testing.T) {
	for _, dt := range []struct{ datatype, value string }{{oip.FP64, "0.25"}, {oip.INT32, "12"}, {oip.BYTES, `"x\n\u00e9"`}} {
		t.Run(dt.datatype, func(t *testing.T) {
			allocs := map[int]float64{}
			for _, n := range []int{10, 1 << 18} {
				body := bigRequest(dt.datatype, dt.value, n)
				allocs[n] = testing.AllocsPerRun(2, func() {
					if _, err := oip.DecodeInferRequest(bytes.NewReader(body), &oip.Limits{MaxBodyBytes: 64 << 20}); err != nil {
						t.Fatal(err)
					}
				})
			}
			// A few more for the larger slices (the race detector's
			// allocator splits some), never one per value.
			if allocs[1<<18] > allocs[10]+8 {
				t.Errorf("decoding allocates %v objects for 10 values and %v for 2^18", allocs[10], allocs[1<<18])
			}
		})
	}
}

func BenchmarkDecodeInferRequest(b *testing.B) {
	body := bigRequest(oip.FP32, "1.5", 1<<20)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := oip.DecodeInferRequest(bytes.NewReader(body), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestInferLimits(t *testing.T) {
	h := oip.NewHandler(&oip.HandlerOptions{MaxElements: 100})
	if err := h.Add(oip.ModelMetadata{Name: "m"}, sum); err != nil {
		t.Fatal(err)
	}
	small := oip.NewHandler(nil)
	if err := small.Add(oip.ModelMetadata{Name: "m"}, sum); err != nil {
		t.Fatal(err)
	}
	tensor := func(name, shape, data string) string {
		return fmt.Sprintf(`{"name":%q,"datatype":"INT8","shape":%s,"data":%s}`, name, shape, data)
	}
	overDefault := string(bigRequest(oip.BYTES, `"`+strings.Repeat("a", 1<<20)+`"`, 8))
	tests := []struct {
		name     string
		h        http.Handler
		body     string
		chunked  bool // no Content-Length: the limit is met while reading
		wantCode int
		wantErr  string
	}{
		{"at the element limit", h, `{"inputs":[` + tensor("x", "[10,10]", "["+strings.Repeat("1,", 99)+"1]") + `]}`, false, 200, ""},
		{"shape over the element limit", h, `{"inputs":[` + tensor("x", "[101]", "[]") + `]}`, false, 400,
			`oip: inference request holds too many tensor values: tensor "x": shape [101] holds more than 100 values`},
		{"shape product overflowing int64", h, `{"inputs":[` + tensor("x", "[4611686018427387904,4611686018427387904,4]", "[]") + `]}`, false, 400,
			`oip: inference request holds too many tensor values: tensor "x": shape [4611686018427387904 4611686018427387904 4] holds more than 100 values`},
		{"inputs together over the limit", h, `{"inputs":[` + tensor("x", "[60]", "["+strings.Repeat("1,", 59)+"1]") + "," + tensor("y", "[60]", "["+strings.Repeat("1,", 59)+"1]") + `]}`, false, 400,
			`oip: inference request holds too many tensor values: the inputs hold more than 100 values together`},
		{"shape larger than its data", small, `{"inputs":[` + tensor("x", "[1000000]", "[1]") + `]}`, false, 400,
			`oip: bad inference request: tensor "x": shape [1000000] needs 1000000 values, more than its 3 bytes of data can hold`},
		{"zero dimension beside a huge one", h, `{"inputs":[` + tensor("x", "[9223372036854775807,0]", "[]") + `]}`, false, 200, ""},
		{"body over the 8 MiB default", small, overDefault, false, 413, ""},
		{"chunked body over the 8 MiB default", small, overDefault, true, 413, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tc.body)
			if tc.chunked {
				body = io.MultiReader(body) // hides the length
			}
			req := httptest.NewRequest("POST", "/v2/models/m/infer", body)
			if tc.chunked {
				req.ContentLength = -1
			}
			rec := httptest.NewRecorder()
			tc.h.ServeHTTP(rec, req)
			if rec.Code != tc.wantCode {
				t.Fatalf("status %d, want %d: %.200s", rec.Code, tc.wantCode, rec.Body)
			}
			var e struct{ Error string }
			if tc.wantErr != "" {
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error != tc.wantErr {
					t.Errorf("error %q, want %q", e.Error, tc.wantErr)
				}
			}
		})
	}
}

func TestDecodeLimitErrors(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		lim     *oip.Limits
		wantErr error
	}{
		{"body", `{"inputs":[{"name":"x","datatype":"BOOL","shape":[1],"data":[true]}]}`, &oip.Limits{MaxBodyBytes: 10}, oip.ErrBodyTooLarge},
		{"elements", `{"inputs":[{"name":"x","datatype":"BOOL","shape":[2],"data":[true,true]}]}`, &oip.Limits{MaxElements: 1}, oip.ErrTooManyElements},
		{"overflow", `{"inputs":[{"name":"x","datatype":"BOOL","shape":[3037000500,3037000500],"data":[]}]}`, nil, oip.ErrTooManyElements},
		{"default elements", fmt.Sprintf(`{"inputs":[{"name":"x","datatype":"BOOL","shape":[%d],"data":[]}]}`, oip.DefaultMaxElements+1), nil, oip.ErrTooManyElements},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := oip.DecodeInferRequest(strings.NewReader(tc.body), tc.lim)
			if !errors.Is(err, tc.wantErr) || !errors.Is(err, oip.ErrBadRequest) {
				t.Errorf("error %v, want %v and %v", err, tc.wantErr, oip.ErrBadRequest)
			}
		})
	}
}

// Parameters stay JSON text, compacted; they are never decoded into maps.
func TestParametersStayRaw(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200)
	body := `{"parameters": {"p": ` + deep + `}, "inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1],"parameters": { "unit" : "m" }}],
		"outputs":[{"name":"y","parameters":{"binary_data": false}}]}`
	req, err := oip.DecodeInferRequest(strings.NewReader(body), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{string(req.Parameters), string(req.Inputs[0].Parameters), string(req.Outputs[0].Parameters)}
	if diff := cmp.Diff([]string{`{"p":` + deep + `}`, `{"unit":"m"}`, `{"binary_data":false}`}, got); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`[1]`, `"s"`, `3`} {
		body := `{"parameters":` + bad + `,"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1]}]}`
		if _, err := oip.DecodeInferRequest(strings.NewReader(body), nil); !errors.Is(err, oip.ErrBadRequest) {
			t.Errorf("parameters %s: error %v, want ErrBadRequest", bad, err)
		}
	}
}

type failing struct{ msg string }

func (f failing) Predict(context.Context, *oip.InferRequest) (*oip.InferResponse, error) {
	return nil, errors.New(f.msg)
}

// A predictor's error reaches the log with the request id and never the
// client, who gets the id in the body and in X-Request-Id.
func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	const secret = "dial tcp 10.1.2.3:5432: password authentication failed for user ml"
	var logBuf bytes.Buffer
	h := oip.NewHandler(&oip.HandlerOptions{Logger: slog.New(slog.NewJSONHandler(&logBuf, nil))})
	h.Add(oip.ModelMetadata{Name: "m"}, failing{secret})
	body := `{"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1]}]}`
	tests := []struct {
		name, clientID string
		keep           bool // the client's id is used
	}{
		{"no client id", "", false},
		{"sane client id", "trace-7f3a.01:b_c", true},
		{"id with a newline", "abc\r\nX-Evil: 1", false},
		{"id with spaces", "a b", false},
		{"id too long", strings.Repeat("a", 65), false},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logBuf.Reset()
			req := httptest.NewRequest("POST", "/v2/models/m/infer", strings.NewReader(body))
			if tc.clientID != "" {
				req.Header[oip.RequestIDHeader] = []string{tc.clientID}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 500 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			id := rec.Header().Get(oip.RequestIDHeader)
			if tc.keep && id != tc.clientID || !tc.keep && (id == tc.clientID || len(id) != 26) {
				t.Errorf("request id %q (client sent %q)", id, tc.clientID)
			}
			if seen[id] {
				t.Errorf("request id %q given twice", id)
			}
			seen[id] = true
			if strings.Contains(rec.Body.String(), "password") || strings.Contains(rec.Body.String(), "10.1.2.3") {
				t.Errorf("response shows the internal error: %s", rec.Body)
			}
			var e struct{ Error string }
			json.Unmarshal(rec.Body.Bytes(), &e)
			if want := fmt.Sprintf(`oip: model "m" failed (request id %s)`, id); e.Error != want {
				t.Errorf("error %q, want %q", e.Error, want)
			}
			var entry struct {
				Level     string `json:"level"`
				RequestID string `json:"request_id"`
				Error     string `json:"error"`
			}
			if err := json.Unmarshal(logBuf.Bytes(), &entry); err != nil {
				t.Fatalf("log %q: %v", logBuf.String(), err)
			}
			if entry.Level != "ERROR" || entry.RequestID != id || entry.Error != secret {
				t.Errorf("log entry %+v, want level ERROR, id %q, error %q", entry, id, secret)
			}
		})
	}
}
