package deploy_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/oip"
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
		_, version, _ := r.Serve(context.Background(), deploy.Request{Key: fmt.Sprint("user-", i)}, 1)
		counts[version]++
	}
	fmt.Printf("v1 %.0f%%, v2 %.0f%%\n", float64(counts["v1"])/100, float64(counts["v2"])/100)

	out, version, _ := r.Serve(context.Background(), deploy.Request{Attrs: http.Header{"X-Tester": {"1"}}}, 5)
	fmt.Println(version, out)
	// Output:
	// v1 90%, v2 10%
	// v2 15
}

// NewServer serves a Handler with every timeout set, so that a stalled
// client cannot hold a connection open. (Not run: it listens on a port.)
func ExampleNewServer() {
	h := oip.NewHandler(nil)
	srv := deploy.NewServer(":8080", h, nil) // 5s headers, 30s request, 60s response, 120s idle
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		panic(err)
	}
}
