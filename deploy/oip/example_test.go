package oip_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/oip"
	"github.com/sextant-ml/sextant/monitor"
)

func ExampleHandler() {
	model := deploy.PredictorFunc[*oip.InferRequest, *oip.InferResponse](func(_ context.Context, req *oip.InferRequest) (*oip.InferResponse, error) {
		x := req.Input("x")
		sum := 0.0
		for _, v := range x.Floats {
			sum += v
		}
		return &oip.InferResponse{Outputs: []oip.Tensor{{Name: "sum", Datatype: oip.FP64, Shape: []int64{1}, Floats: []float64{sum}}}}, nil
	})
	h := oip.NewHandler(nil)
	h.Add(oip.ModelMetadata{Name: "adder", Platform: "go"}, model)
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/v2/models/adder/infer", "application/json",
		strings.NewReader(`{"inputs":[{"name":"x","datatype":"FP32","shape":[2,2],"data":[[1,2],[3,4.5]]}]}`))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))
	// Output:
	// 200 OK {"model_name":"adder","outputs":[{"name":"sum","shape":[1],"datatype":"FP64","data":[10.5]}]}
}

// named is a model version that answers with its own name as a BYTES output.
func named(name string) oip.InferPredictor {
	return deploy.PredictorFunc[*oip.InferRequest, *oip.InferResponse](func(context.Context, *oip.InferRequest) (*oip.InferResponse, error) {
		return &oip.InferResponse{Outputs: []oip.Tensor{{Name: "who", Datatype: oip.BYTES, Shape: []int64{1}, Bytes: [][]byte{[]byte(name)}}}}, nil
	})
}

// A router behind the protocol: requests are routed by their
// Sextant-Route-Key and Sextant-Cohort headers and header rules, and the
// version that answered comes back in Sextant-Served-Version and
// model_version.
func ExampleHandler_AddRouter() {
	r, _ := deploy.NewRouter(map[string]oip.InferPredictor{"blue": named("blue"), "green": named("green")}, nil)
	defer r.Close()
	r.Update(deploy.Config{
		Split: []deploy.Target{{Version: "blue", Weight: 100}},
		Rules: []deploy.Rule{{Cohort: "beta", Version: "green"}},
	})
	h := oip.NewHandler(nil)
	h.AddRouter(oip.ModelMetadata{Name: "who", Platform: "go"}, r)
	srv := httptest.NewServer(h)
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v2/models/who/infer",
		strings.NewReader(`{"inputs":[{"name":"x","datatype":"INT32","shape":[1],"data":[1]}]}`))
	req.Header.Set(deploy.CohortHeader, "beta")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Header.Get(deploy.ServedVersionHeader), string(body))
	// Output:
	// green {"model_name":"who","model_version":"green","outputs":[{"name":"who","shape":[1],"datatype":"BYTES","data":["green"]}]}
}

// Instrumenting a served model is one call: monitor.Wrap takes and returns
// a predictor.
func ExampleHandler_Add_instrumented() {
	metrics, _ := monitor.New(prometheus.NewRegistry(), nil)
	h := oip.NewHandler(nil)
	h.Add(oip.ModelMetadata{Name: "who"}, monitor.Wrap(metrics, "who", "1", named("one"), nil))
	srv := httptest.NewServer(h)
	defer srv.Close()
	for range 3 {
		resp, err := http.Post(srv.URL+"/v2/models/who/infer", "application/json",
			strings.NewReader(`{"inputs":[{"name":"x","datatype":"INT32","shape":[1],"data":[1]}]}`))
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
	}
	fmt.Println(metrics.Window("who", "1").Requests)
	// Output:
	// 3
}

// DecodeInferRequest reads a request outside the Handler, within the same
// limits: nested data is checked against the shape and stored flat.
func ExampleDecodeInferRequest() {
	req, err := oip.DecodeInferRequest(strings.NewReader(
		`{"id":"42","inputs":[{"name":"x","datatype":"FP32","shape":[2,2],"data":[[1,2],[3,4]]}]}`), nil)
	if err != nil {
		panic(err)
	}
	x := req.Input("x")
	fmt.Println(req.ID, x.Datatype, x.Shape, x.Floats, x.Len())
	_, err = oip.DecodeInferRequest(strings.NewReader(
		`{"inputs":[{"name":"x","datatype":"INT8","shape":[3],"data":[1,2]}]}`), nil)
	fmt.Println(errors.Is(err, oip.ErrBadRequest))
	_, err = oip.DecodeInferRequest(strings.NewReader(
		`{"inputs":[{"name":"x","datatype":"INT8","shape":[1000000],"data":[1]}]}`), &oip.Limits{MaxElements: 1000})
	fmt.Println(errors.Is(err, oip.ErrTooManyElements))
	// Output:
	// 42 FP32 [2 2] [1 2 3 4] 4
	// true
	// true
}
