package lambda_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/lambda"
	"github.com/sextant-ml/sextant/deploy/oip"
)

// seen is what the served handler last received, for checking the
// conversion of events into requests.
type seen struct {
	Method, Path, Query, Host, RemoteAddr, Cookie, RouteKey, RequestID string
	ContentLength                                                      int64
}

// oipHandler returns the Open Inference Protocol handler of one model, "sum",
// served by version 7 of a router: each row of the FP32 input x [rows, 2]
// is summed into the FP64 output "sum" [rows]. Every request it receives
// is recorded in last.
func oipHandler(last *seen, mu *sync.Mutex) http.Handler {
	sum := deploy.PredictorFunc[*oip.InferRequest, *oip.InferResponse](func(_ context.Context, req *oip.InferRequest) (*oip.InferResponse, error) {
		x := req.Input("x")
		rows := int(x.Shape[0])
		out := make([]float64, rows)
		for i := range rows {
			out[i] = x.Floats[2*i] + x.Floats[2*i+1]
		}
		return &oip.InferResponse{Outputs: []oip.Tensor{{Name: "sum", Datatype: oip.FP64, Shape: []int64{int64(rows)}, Floats: out}}}, nil
	})
	r, err := deploy.NewRouter(map[string]oip.InferPredictor{"7": sum}, nil)
	if err != nil {
		panic(err)
	}
	if err := r.Switch("7"); err != nil {
		panic(err)
	}
	h := oip.NewHandler(nil)
	meta := oip.ModelMetadata{Name: "sum", Platform: "test",
		Inputs:  []oip.TensorMeta{{Name: "x", Datatype: oip.FP32, Shape: []int64{-1, 2}}},
		Outputs: []oip.TensorMeta{{Name: "sum", Datatype: oip.FP64, Shape: []int64{-1}}}}
	if err := h.AddRouter(meta, r); err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if last != nil {
			mu.Lock()
			*last = seen{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery, Host: req.Host, RemoteAddr: req.RemoteAddr,
				Cookie: req.Header.Get("Cookie"), RouteKey: req.Header.Get(deploy.RouteKeyHeader), RequestID: req.Header.Get("X-Request-Id"),
				ContentLength: req.ContentLength}
			mu.Unlock()
		}
		h.ServeHTTP(w, req)
	})
}

// response is the union of the REST v1 and HTTP v2 response shapes.
type response struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
	Cookies           []string            `json:"cookies"`
}

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func outputs(t *testing.T, body string) []float64 {
	t.Helper()
	var r struct {
		ModelVersion string `json:"model_version"`
		Outputs      []struct {
			Data []float64 `json:"data"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || len(r.Outputs) != 1 {
		t.Fatalf("body %s: %v", body, err)
	}
	return r.Outputs[0].Data
}

func TestEvents(t *testing.T) {
	tests := []struct {
		file      string
		kind      lambda.Kind
		status    int
		sums      []float64 // nil: not an inference
		seen      seen
		multi     bool   // REST v1: multiValueHeaders in the answer
		bodyHas   string // for answers that are not inferences
		lambdaID  string // the invocation's Lambda request id, if any
		requestID string
	}{
		{
			file: "apigw-rest-v1-infer.json", kind: lambda.RESTv1, status: 200, sums: []float64{3, 7}, multi: true,
			seen: seen{Method: "POST", Path: "/v2/models/sum/infer", Host: "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
				RemoteAddr: "203.0.113.7:0", RequestID: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", ContentLength: 74},
			requestID: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
		},
		{
			file: "apigw-http-v2-infer.json", kind: lambda.HTTPv2, status: 200, sums: []float64{11},
			seen: seen{Method: "POST", Path: "/v2/models/sum/infer", Host: "f6g7h8i9j0.execute-api.eu-west-1.amazonaws.com",
				RemoteAddr: "198.51.100.23:0", Cookie: "session=abc123", RouteKey: "customer-42", RequestID: "8476a536-e9f4-11e8-9739-2dfe598c3fcd", ContentLength: 70},
			lambdaID:  "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
			requestID: "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
		},
		{
			file: "function-url-metadata.json", kind: lambda.FunctionURL, status: 200, bodyHas: `"name":"sum"`,
			seen: seen{Method: "GET", Path: "/v2/models/sum", Query: "verbose=1&verbose=2", Host: "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws",
				RemoteAddr: "192.0.2.10:0", RequestID: "5f2c1d6e-0a9b-4c8d-9e7f-1a2b3c4d5e6f"},
			requestID: "5f2c1d6e-0a9b-4c8d-9e7f-1a2b3c4d5e6f",
		},
		{
			// A named stage prefixes rawPath; the shape [3] disagrees with two values.
			file: "apigw-http-v2-stage-bad-request.json", kind: lambda.HTTPv2, status: 400, bodyHas: `"error"`,
			seen: seen{Method: "POST", Path: "/v2/models/sum/infer", Host: "f6g7h8i9j0.execute-api.eu-west-1.amazonaws.com",
				RemoteAddr: "198.51.100.24:0", RequestID: "client-chosen-id-1", ContentLength: 68},
			requestID: "client-chosen-id-1",
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			payload := readEvent(t, tc.file)
			kind, err := lambda.Detect(payload)
			if err != nil || kind != tc.kind {
				t.Fatalf("Detect = %q, %v; want %q", kind, err, tc.kind)
			}
			var last seen
			var mu sync.Mutex
			ctx := t.Context()
			if tc.lambdaID != "" {
				ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: tc.lambdaID})
			}
			out, err := lambda.New(oipHandler(&last, &mu), nil).Invoke(ctx, payload)
			if err != nil {
				t.Fatal(err)
			}
			var resp response
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatalf("response %s: %v", out, err)
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status %d (%s), want %d", resp.StatusCode, resp.Body, tc.status)
			}
			if resp.IsBase64Encoded {
				t.Errorf("a JSON answer was base64-encoded")
			}
			if diff := cmp.Diff(tc.seen, last); diff != "" {
				t.Errorf("request served (-want +got):\n%s", diff)
			}
			if got := resp.Headers["X-Request-Id"]; got != tc.requestID {
				t.Errorf("X-Request-Id %q, want %q", got, tc.requestID)
			}
			if ct := resp.Headers["Content-Type"]; ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tc.multi {
				if diff := cmp.Diff([]string{"application/json"}, resp.MultiValueHeaders["Content-Type"]); diff != "" {
					t.Errorf("multiValueHeaders Content-Type (-want +got):\n%s", diff)
				}
			} else if resp.MultiValueHeaders != nil || resp.Cookies == nil {
				t.Errorf("HTTP v2 answer with multiValueHeaders %v and cookies %v; want none and a list", resp.MultiValueHeaders, resp.Cookies)
			}
			if tc.sums != nil {
				if got := resp.Headers[deploy.ServedVersionHeader]; got != "7" {
					t.Errorf("served version %q, want 7", got)
				}
				if diff := cmp.Diff(tc.sums, outputs(t, resp.Body)); diff != "" {
					t.Errorf("sums (-want +got):\n%s", diff)
				}
			}
			if tc.bodyHas != "" && !strings.Contains(resp.Body, tc.bodyHas) {
				t.Errorf("body %s lacks %s", resp.Body, tc.bodyHas)
			}
		})
	}
}

func TestNotHTTPEvents(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
	}{
		{"s3 notification", readEvent(t, "s3-put.json")},
		{"not json", []byte(`{`)},
		{"empty object", []byte(`{}`)},
		{"json array", []byte(`[]`)},
		{"v2 without method", []byte(`{"version":"2.0","rawPath":"/"}`)},
		{"bad base64 body", []byte(`{"version":"2.0","rawPath":"/v2","requestContext":{"http":{"method":"POST"}},"body":"%%%","isBase64Encoded":true}`)},
		{"bad method", []byte(`{"httpMethod":"BAD METHOD","path":"/v2"}`)},
	}
	h := lambda.New(oipHandler(nil, nil), nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := h.Invoke(t.Context(), tc.payload)
			if !errors.Is(err, lambda.ErrEvent) || out != nil {
				t.Errorf("Invoke = %s, %v; want ErrEvent", out, err)
			}
		})
	}
}

func TestResponseEncoding(t *testing.T) {
	binary := []byte{0, 1, 2, 0xff}
	tests := []struct {
		name    string
		event   string
		handler http.HandlerFunc
		want    response
	}{
		{
			name:  "binary body is base64, cookies move out of the headers in v2",
			event: `{"version":"2.0","rawPath":"/x","requestContext":{"http":{"method":"GET"}}}`,
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/octet-stream")
				w.Header().Add("Set-Cookie", "a=1")
				w.Header().Add("Set-Cookie", "b=2")
				w.Header().Add("Vary", "Accept")
				w.Header().Add("Vary", "Origin")
				w.WriteHeader(http.StatusCreated)
				_, _ = w.Write(binary)
			},
			want: response{StatusCode: 201, Headers: map[string]string{"Content-Type": "application/octet-stream", "Vary": "Accept,Origin"},
				Body: base64.StdEncoding.EncodeToString(binary), IsBase64Encoded: true, Cookies: []string{"a=1", "b=2"}},
		},
		{
			name:  "v1 keeps every header value",
			event: `{"httpMethod":"GET","path":"/x","multiValueQueryStringParameters":{"q":["1","2"]}}`,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.Header().Add("Set-Cookie", "a=1")
				w.Header().Add("Set-Cookie", "b=2")
				_, _ = w.Write([]byte(r.URL.RawQuery))
			},
			want: response{StatusCode: 200,
				Headers:           map[string]string{"Content-Type": "text/plain; charset=utf-8", "Set-Cookie": "b=2"},
				MultiValueHeaders: map[string][]string{"Content-Type": {"text/plain; charset=utf-8"}, "Set-Cookie": {"a=1", "b=2"}},
				Body:              "q=1&q=2"},
		},
		{
			name:    "no body, no status: 200",
			event:   `{"version":"2.0","rawPath":"/x","requestContext":{"http":{"method":"DELETE"}}}`,
			handler: func(http.ResponseWriter, *http.Request) {},
			want:    response{StatusCode: 200, Headers: map[string]string{}, Cookies: []string{}},
		},
		{
			name:  "a body over the limit becomes a 500",
			event: `{"version":"2.0","rawPath":"/x","requestContext":{"http":{"method":"GET"}}}`,
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				_, _ = w.Write(make([]byte, 40))
				_, _ = w.Write(make([]byte, 40))
			},
			want: response{StatusCode: 500, Headers: map[string]string{"Content-Type": "application/json"},
				Body: `{"error":"lambda: response body over the Lambda response limit"}`, Cookies: []string{}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := lambda.New(tc.handler, &lambda.Options{MaxResponseBytes: 64}).Invoke(t.Context(), []byte(tc.event))
			if err != nil {
				t.Fatal(err)
			}
			var got response
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzInvoke(f *testing.F) {
	for _, name := range []string{"apigw-rest-v1-infer.json", "apigw-http-v2-infer.json", "function-url-metadata.json", "apigw-http-v2-stage-bad-request.json", "s3-put.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	h := lambda.New(oipHandler(nil, nil), nil)
	f.Fuzz(func(t *testing.T, payload []byte) {
		out, err := h.Invoke(context.Background(), payload)
		if err != nil {
			if !errors.Is(err, lambda.ErrEvent) {
				t.Fatalf("error %v does not match ErrEvent", err)
			}
			return
		}
		var resp response
		if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode < 100 {
			t.Fatalf("answer %s: %v", out, err)
		}
	})
}
