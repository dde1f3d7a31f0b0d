package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/monitor"
)

// predictor is one served model version: a reading in, a probability out.
type predictor = deploy.Predictor[[]float64, float64]

// fleet is the serving side: a router between model versions whose
// Observer is the monitor metrics, so that every routed call is counted,
// timed and kept in the one window the rollout analysis reads.
type fleet struct {
	e      *env
	router *deploy.Router[[]float64, float64]
}

func newFleet(e *env) (*fleet, error) {
	r, err := deploy.NewRouter(map[string]predictor{}, &deploy.RouterOptions[float64]{Model: modelName, Observer: e.metrics})
	if err != nil {
		return nil, err
	}
	return &fleet{e: e, router: r}, nil
}

func (f *fleet) close() { f.router.Close() }

// load fetches version n from the registry as the serving account (the
// registry refuses a version without a trusted signature) and adds it to the
// router.
func (f *fleet) load(n int) error {
	ctx := f.e.servingCtx
	ref := fmt.Sprintf("%s/%d", modelName, n)
	v, err := f.e.reg.Get(ctx, ref)
	if err != nil {
		return err
	}
	m, err := f.e.loadModel(ctx, ref)
	if err != nil {
		return err
	}
	version := strconv.Itoa(n)
	file, _ := v.File(modelFile)
	f.e.metrics.SetModelInfo(modelName, version, string(file.Digest))
	// The router records outcome and latency of routed calls; the version
	// adds the predicted probability to sextant_prediction_value.
	predict := deploy.PredictorFunc[[]float64, float64](func(_ context.Context, x []float64) (float64, error) { return m.Predict(x) })
	return f.router.Add(version, monitor.Wrap(f.e.metrics, modelName, version, predict,
		&monitor.WrapOptions[float64]{BehindRouter: true, Value: func(p float64) (float64, bool) { return p, true }}))
}

// fleetSize is the number of pumps; reading i of a batch comes from pump
// i mod fleetSize.
const fleetSize = 500

// serve sends every reading of b through the router, keyed by pump so
// routing is sticky, and returns the number of failed predictions.
func (f *fleet) serve(ctx context.Context, b Batch) (failed int) {
	for i, x := range b.X {
		req := deploy.Request{Key: fmt.Sprintf("pump-%04d", i%fleetSize)}
		if _, _, err := f.router.Serve(ctx, req, x); err != nil {
			failed++
		}
	}
	return failed
}

// traffic keeps production readings flowing through the router until stop is
// called, as the pumps would during a rollout: a reading from every pump of
// the fleet, then a pause of 5ms. Whole-fleet batches keep each
// analysis window well above the checks' minimum sample even on a loaded
// machine, where the pause often lasts far longer than asked.
func (f *fleet) traffic(ctx context.Context, seed uint64, age Ageing) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		gen := newGenerator(seed, f.e.cfg.HorizonHours)
		for ctx.Err() == nil {
			f.serve(ctx, gen.batch(fleetSize, age, 1))
			time.Sleep(5 * time.Millisecond)
		}
	})
	return func() { cancel(); wg.Wait() }
}
