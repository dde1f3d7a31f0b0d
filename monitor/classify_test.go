package monitor_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/monitor/monitortest"
)

// TestOptionsClassifyEverywhere checks that Options.Classify decides the
// outcome of every way a prediction is recorded: Wrap, Recorder (a
// router's Observer) and Series.Do.
func TestOptionsClassifyEverywhere(t *testing.T) {
	errBusy := errors.New("busy")
	r := monitortest.New(t, &monitor.Options{Classify: func(err error) monitor.Outcome {
		if errors.Is(err, errBusy) {
			return monitor.OutcomeRejected
		}
		return monitor.Classify(err)
	}})
	ctx := context.Background()
	busy := func(context.Context, int) (int, error) { return 0, errBusy }

	_, _ = monitor.WrapFunc(r.Metrics, "m", "wrap", busy, nil)(ctx, 1)
	r.Metrics.Recorder("m", "recorder")(time.Millisecond, errBusy)
	_ = r.Metrics.Series("m", "do").Do(ctx, func(context.Context) error { return errBusy })

	for _, version := range []string{"wrap", "recorder", "do"} {
		if got := r.Predictions("m", version, monitor.OutcomeRejected); got != 1 {
			t.Errorf("%s: %v rejected predictions, want 1 (Options.Classify not applied)", version, got)
		}
	}
}
