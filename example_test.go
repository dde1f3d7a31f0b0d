package sextant_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/drift"
	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/registry"
)

// The loop in a few lines: a model version is registered on a bucket with
// the profile of its training data, the production alias moves to it, and
// live traffic is checked for drift against the profile that production
// carries.
func Example() {
	ctx := context.Background()
	store, err := artifact.Open(ctx, "mem://", nil) // or file://, s3://, gs://, azblob://
	if err != nil {
		log.Fatal(err)
	}
	signer, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	models, err := registry.Open(ctx, store, &registry.Options{TrustedKeys: []crypto.PublicKey{signer.Public()}})
	if err != nil {
		log.Fatal(err)
	}

	// Profile the training data; register it with the model.
	training := drift.Data{Numeric: map[string][]float64{"amount": spread(500, 10, 100)}}
	profile, err := drift.Fit(training, nil)
	if err != nil {
		log.Fatal(err)
	}
	profileJSON, _ := json.Marshal(profile)
	v, err := models.Register(ctx, "fraud", &registry.VersionSpec{
		Files: []registry.Upload{
			{Path: "model.onnx", Body: strings.NewReader("weights")},
			{Path: "profile.json", Body: bytes.NewReader(profileJSON)},
		},
		Metrics: map[string]float64{"auc": 0.91},
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := models.Sign(ctx, v.Ref().String(), signer); err != nil { // nothing unsigned is served
		log.Fatal(err)
	}
	if err := models.SetAlias(ctx, "fraud", "production", v.Number); err != nil {
		log.Fatal(err)
	}

	// In the serving process: whatever production names, and its profile.
	f, err := models.OpenFile(ctx, "fraud@production", "profile.json")
	if err != nil {
		log.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	reference, err := drift.Parse(b)
	if err != nil {
		log.Fatal(err)
	}
	for _, live := range [][]float64{spread(200, 10, 100), spread(200, 60, 150)} {
		report, err := reference.Compare(drift.Data{Numeric: map[string][]float64{"amount": live}}, nil)
		if err != nil {
			log.Fatal(err)
		}
		c := report.Columns[0]
		fmt.Printf("%s on fraud/%d: %s p=%.2g drifted=%v\n", c.Column, v.Number, c.Method, c.Score, report.Drifted)
	}
	// Output:
	// amount on fraud/1: ks p=1 drifted=false
	// amount on fraud/1: ks p=1.9e-41 drifted=true
}

// spread returns n evenly spaced values from lo to hi.
func spread(n int, lo, hi float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return x
}

// Serving and rolling out share one window: the router reports every
// routed prediction to monitor's metrics, which export it to Prometheus
// and keep it in the sliding window the rollout's analysis reads. A client
// that calls a version by name adds nothing to it.
func Example_rollout() {
	metrics, err := monitor.New(prometheus.NewRegistry(), &monitor.Options{Window: 2 * time.Second, WindowSlots: 40})
	if err != nil {
		log.Fatal(err)
	}
	score := func(p float64) deploy.Predictor[float64, float64] {
		return deploy.PredictorFunc[float64, float64](func(context.Context, float64) (float64, error) { return p, nil })
	}
	router, err := deploy.NewRouter(map[string]deploy.Predictor[float64, float64]{"v1": score(0.1), "v2": score(0.2)},
		&deploy.RouterOptions[float64]{Model: "fraud", Observer: metrics})
	if err != nil {
		log.Fatal(err)
	}
	defer router.Close()

	healthy := rollout.Analysis{Interval: 50 * time.Millisecond, Count: 5, ConsecutiveSuccessLimit: 1, InconclusiveLimit: 4,
		Checks: []rollout.Check{rollout.ErrorRate{Max: 0.01, MinSamples: 20}}}
	ro, err := rollout.New(router, rollout.Spec{Model: "fraud", Stable: "v1", Canary: "v2",
		Steps: []rollout.Step{rollout.SetWeight(25), rollout.Analyze(healthy)}},
		&rollout.Options{Source: metrics, Metrics: metrics})
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { // traffic, sticky by card
		defer close(done)
		for i := 0; ctx.Err() == nil; i++ {
			router.Serve(ctx, deploy.Request{Key: fmt.Sprint("card-", i%1000)}, 1)
		}
	}()
	runCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := ro.Run(runCtx)
	stop()
	<-done
	weight, _ := metrics.RolloutWeight("fraud", "v2")
	fmt.Println(st.Phase, err, weight)
	// Output:
	// promoted <nil> 100
}
