package deploy_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/deploy"
)

func ExampleRouter() {
	double := deploy.PredictorFunc[float64, float64](func(_ context.Context, x float64) (float64, error) { return 2 * x, nil })
	triple := deploy.PredictorFunc[float64, float64](func(_ context.Context, x float64) (float64, error) { return 3 * x, nil })
	r, err := deploy.NewRouter(map[string]deploy.Predictor[float64, float64]{"v1": double, "v2": triple}, nil)
	if err != nil {
		panic(err)
	}
	defer r.Close()

	// 10% of users on v2, sticky by user; testers pinned to v2 by a header.
	r.Update(deploy.Config{
		Split: []deploy.Target{{Version: "v1", Weight: 90}, {Version: "v2", Weight: 10}},
		Rules: []deploy.Rule{{Header: "X-Tester", Value: "1", Version: "v2"}},
	})
	counts := map[string]int{}
	for i := range 10000 {
		_, version, _ := r.Predict(context.Background(), deploy.Request{Key: fmt.Sprint("user-", i)}, 1)
		counts[version]++
	}
	fmt.Printf("v1 %.0f%%, v2 %.0f%%\n", float64(counts["v1"])/100, float64(counts["v2"])/100)

	out, version, _ := r.Predict(context.Background(), deploy.Request{Attrs: http.Header{"X-Tester": {"1"}}}, 5)
	fmt.Println(version, out)
	// Output:
	// v1 90%, v2 10%
	// v2 15
}

func ExampleRollout() {
	// v2 fails 30% of the time.
	model := func(errEvery int) deploy.Predictor[int, int] {
		n := 0
		return deploy.PredictorFunc[int, int](func(context.Context, int) (int, error) {
			n++
			if errEvery > 0 && n%10 < errEvery {
				return 0, fmt.Errorf("failure %d", n)
			}
			return 1, nil
		})
	}
	window := deploy.NewWindow(0)
	r, _ := deploy.NewRouter(map[string]deploy.Predictor[int, int]{"v1": model(0), "v2": model(3)}, &deploy.RouterOptions[int]{Observer: window})
	defer r.Close()

	ro, _ := deploy.NewRollout(r, deploy.Spec{
		Model: "churn", Stable: "v1", Canary: "v2",
		Steps: []deploy.Step{
			deploy.SetWeight(50),
			// Five chances to see ten requests in 50 ms: one window with
			// enough traffic fails the canary, however slow the machine.
			deploy.Analyze(deploy.Analysis{Interval: 50 * time.Millisecond, Count: 5,
				Checks: []deploy.Check{deploy.ErrorRate{Max: 0.05, MinSamples: 10}}}),
		},
	}, &deploy.RolloutOptions{
		Source: window,
		OnEvent: func(e deploy.Event) {
			if e.Type != deploy.EventMeasurement {
				fmt.Println(e.Type, e.Weight)
			}
		},
	})

	// Synthetic traffic while the rollout runs.
	ctx, stop := context.WithCancel(context.Background())
	traffic := make(chan struct{})
	go func() {
		defer close(traffic)
		for i := 0; ctx.Err() == nil; i++ {
			r.Predict(ctx, deploy.Request{Key: fmt.Sprint(i)}, i)
		}
	}()
	// Without enough traffic the analysis would pause for a human; a
	// deadline keeps an unattended program from waiting forever.
	runCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := ro.Run(runCtx)
	stop()
	<-traffic
	fmt.Println(st.Phase, err, strings.Contains(st.Reason, "error-rate fail"))
	// Output:
	// started 0
	// weight 50
	// rolled-back 0
	// rolled-back <nil> true
}

func ExampleHandler() {
	model := deploy.PredictorFunc[*deploy.InferRequest, *deploy.InferResponse](func(_ context.Context, req *deploy.InferRequest) (*deploy.InferResponse, error) {
		x := req.Input("x")
		sum := 0.0
		for _, v := range x.Floats {
			sum += v
		}
		return &deploy.InferResponse{Outputs: []deploy.Tensor{{Name: "sum", Datatype: deploy.FP64, Shape: []int64{1}, Floats: []float64{sum}}}}, nil
	})
	h := deploy.NewHandler(nil)
	h.Add(deploy.ModelMetadata{Name: "adder", Platform: "go"}, model)
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

// NewServer serves a Handler with every timeout set, so that a stalled
// client cannot hold a connection open. (Not run: it listens on a port.)
func ExampleNewServer() {
	h := deploy.NewHandler(nil)
	srv := deploy.NewServer(":8080", h, nil) // 5s headers, 30s request, 60s response, 120s idle
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		panic(err)
	}
}
