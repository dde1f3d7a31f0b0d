package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"gocloud.dev/blob/memblob"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/monitor"
)

// The judge compares canary with stable over the same window: here the
// canary's median is 38% slower, which is significant and beyond the 10%
// tolerance. The statistics come from monitor's window, as a router with
// the metrics as its Observer records them.
func ExampleJudge() {
	start := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	now := start
	metrics, _ := monitor.New(prometheus.NewRegistry(), &monitor.Options{Now: func() time.Time { return now }})
	stable, canary := metrics.Recorder("churn", "v1"), metrics.Recorder("churn", "v2")
	for i := range 200 {
		now = start.Add(time.Duration(i) * 100 * time.Millisecond)
		jitter := time.Duration(i%7) * time.Millisecond
		stable(10*time.Millisecond+jitter, nil)
		canary(15*time.Millisecond+jitter, nil)
	}
	env := rollout.Env{Model: "churn", Stable: "v1", Canary: "v2", From: start, To: now, Source: metrics}
	m := rollout.Judge{}.Measure(context.Background(), env)
	fmt.Println(m.Outcome, m.Reason)
	// Output:
	// fail error rate 0 vs baseline 0 ok (p=1); latency 1.38x baseline beyond tolerance (p=2.09e-57)
}

// stats is a Source of hand-made statistics, as a test or an adapter over
// another metrics system may give them.
type stats map[string]monitor.WindowStats

func (s stats) Range(_, version string, _, _ time.Time) monitor.WindowStats { return s[version] }

// Thresholds on the canary alone. No traffic is never a pass.
func ExampleErrorRate() {
	src := stats{
		"good": {Requests: 1000, Errors: 3},
		"bad":  {Requests: 1000, Errors: 80},
		"idle": {},
	}
	check := rollout.ErrorRate{Max: 0.01, MinSamples: 100}
	for _, v := range []string{"good", "bad", "idle"} {
		m := check.Measure(context.Background(), rollout.Env{Model: "m", Stable: "s", Canary: v, Source: src})
		fmt.Println(v, m.Outcome, m.Reason)
	}
	// Output:
	// good pass error rate 0.003 within 0.01 (3 of 1000)
	// bad fail error rate 0.08 above 0.01 (80 of 1000)
	// idle inconclusive 0 requests, fewer than 100
}

// A latency quantile of the canary's successful requests.
func ExampleLatencyQuantile() {
	var lat []time.Duration
	for i := range 100 {
		lat = append(lat, time.Duration(10+i%20)*time.Millisecond)
	}
	src := stats{"v2": {Requests: 100, Latencies: lat}}
	m := rollout.LatencyQuantile{Quantile: 0.99, Max: 25 * time.Millisecond}.Measure(context.Background(),
		rollout.Env{Canary: "v2", Source: src})
	fmt.Println(m.Check, m.Outcome, m.Reason)
	// Output:
	// latency-p99 fail p99 latency 29ms above 25ms
}

// PromCheck asks Prometheus, so that every replica judges alike.
// RequireSamples keeps a window without traffic from passing as a rate of 0.
func ExampleNewPromCheck() {
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		value := "0.002" // the error rate
		if strings.HasPrefix(r.Form.Get("query"), "sum(increase(") {
			value = "1200" // the samples
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1780000000,%q]}]}}`, value)
	}))
	defer prom.Close()
	client, _ := api.NewClient(api.Config{Address: prom.URL})

	check, _ := rollout.NewPromCheck("prom-error-rate", promv1.NewAPI(client),
		`sum(rate(sextant_predictions_total{model="{{.Model}}",version="{{.Canary}}",outcome="error"}[{{.Window}}]))`+
			` / sum(rate(sextant_predictions_total{model="{{.Model}}",version="{{.Canary}}"}[{{.Window}}]))`,
		func(v float64) bool { return v < 0.01 })
	check.RequireSamples(`sum(increase(sextant_predictions_total{model="{{.Model}}",version="{{.Canary}}"}[{{.Window}}]))`, 100)

	to := time.Date(2026, 6, 1, 12, 1, 0, 0, time.UTC)
	env := rollout.Env{Model: "churn", Stable: "v1", Canary: "v2", From: to.Add(-time.Minute), To: to}
	q, _ := check.Query(env)
	fmt.Println(q)
	m := check.Measure(context.Background(), env)
	fmt.Println(m.Outcome, m.Value)
	// Output:
	// sum(rate(sextant_predictions_total{model="churn",version="v2",outcome="error"}[1m])) / sum(rate(sextant_predictions_total{model="churn",version="v2"}[1m]))
	// pass 0.002
}

// CheckFunc makes a check of a function, for evidence of your own.
func ExampleCheckFunc() {
	queueDepth := 3.0
	check := rollout.CheckFunc("queue-depth", func(_ context.Context, env rollout.Env) rollout.Measurement {
		if queueDepth > 10 {
			return rollout.Measurement{Outcome: rollout.Fail, Value: queueDepth, Reason: "queue backs up"}
		}
		return rollout.Measurement{Outcome: rollout.Pass, Value: queueDepth, Reason: "queue drains"}
	})
	m := check.Measure(context.Background(), rollout.Env{})
	fmt.Println(m.Check, m.Outcome, m.Reason)
	// Output:
	// queue-depth pass queue drains
}

// A BlobStore keeps every state of a rollout on a bucket; a save that
// another process overtook is refused instead of overwriting its decision.
func ExampleBlobStore() {
	ctx := context.Background()
	bucket, _ := artifact.NewBucket(memblob.OpenBucket(nil), &artifact.BucketOptions{Owned: true})
	defer bucket.Close()
	store, _ := rollout.NewBlobStore(bucket, "churn", nil)

	st := rollout.State{Model: "churn", Stable: "v1", Canary: "v2", Phase: rollout.Progressing, Weight: 10, Revision: 1}
	store.Save(ctx, st)
	st.Weight, st.Revision = 50, 2
	store.Save(ctx, st)
	err := store.Save(ctx, st) // revision 2 again: another decider got there first
	var conflict *rollout.ConflictError
	fmt.Println(errors.Is(err, rollout.ErrConflict), errors.As(err, &conflict) && conflict.Saved == 2)

	cur, _ := store.Load(ctx)
	history, _ := store.History(ctx)
	fmt.Println(cur.Weight, len(history))
	// Output:
	// true true
	// 50 2
}

// Promote by hand: the remaining steps are skipped and the canary takes all
// traffic.
func ExampleRollout_Promote() {
	router, _ := deploy.NewRouter(map[string]deploy.Predictor[int, int]{
		"v1": deploy.PredictorFunc[int, int](func(context.Context, int) (int, error) { return 1, nil }),
		"v2": deploy.PredictorFunc[int, int](func(context.Context, int) (int, error) { return 2, nil }),
	}, nil)
	defer router.Close()
	ro, _ := rollout.New(router, rollout.Spec{Model: "churn", Stable: "v1", Canary: "v2",
		Steps: []rollout.Step{rollout.SetWeight(10), rollout.Pause(0), rollout.SetWeight(50)}}, nil)

	ctx := context.Background()
	if err := ro.Promote(ctx, "load test passed"); err != nil {
		fmt.Println(err)
	}
	st := ro.State()
	fmt.Println(st.Phase, st.Weight, st.Reason)
	fmt.Println(router.Config().Split)
	err := ro.Abort(ctx, "too late")
	fmt.Println(errors.Is(err, rollout.ErrFinished))
	// Output:
	// promoted 100 promoted by hand: load test passed
	// [{v1 0} {v2 100}]
	// true
}

// A replica that does not run the rollout follows the decided split.
func ExampleFollow() {
	ctx := context.Background()
	bucket, _ := artifact.NewBucket(memblob.OpenBucket(nil), &artifact.BucketOptions{Owned: true})
	defer bucket.Close()
	store, _ := rollout.NewBlobStore(bucket, "churn", nil)
	// Another replica decided: rolled back.
	store.Save(ctx, rollout.State{Model: "churn", Stable: "v1", Canary: "v2", Phase: rollout.RolledBack, Weight: 0, Revision: 9})

	router, _ := deploy.NewRouter(map[string]deploy.Predictor[int, int]{
		"v1": deploy.PredictorFunc[int, int](func(context.Context, int) (int, error) { return 1, nil }),
		"v2": deploy.PredictorFunc[int, int](func(context.Context, int) (int, error) { return 2, nil }),
	}, nil)
	defer router.Close()
	router.SetCanary("v1", "v2", 30)
	err := rollout.Follow(ctx, store, router, time.Second, func(st rollout.State) { fmt.Println("applied", st.Phase) })
	fmt.Println(err, router.Config().Split)
	// Output:
	// applied rolled-back
	// <nil> [{v1 100} {v2 0}]
}

// Pause and Resume by hand, and Retry a rollout that was aborted. An
// Authorizer in Options would be asked before each.
func ExampleRollout_Pause() {
	router, _ := deploy.NewRouter(map[string]deploy.Predictor[int, int]{
		"v1": deploy.PredictorFunc[int, int](func(context.Context, int) (int, error) { return 1, nil }),
		"v2": deploy.PredictorFunc[int, int](func(context.Context, int) (int, error) { return 2, nil }),
	}, nil)
	defer router.Close()
	var events []string
	ro, _ := rollout.New(router, rollout.Spec{Model: "churn", Stable: "v1", Canary: "v2",
		Steps: []rollout.Step{rollout.SetWeight(10), rollout.SetWeight(50)}},
		&rollout.Options{OnEvent: func(e rollout.Event) { events = append(events, e.Type) }})

	ctx := context.Background()
	ro.Pause(ctx, "incident")
	fmt.Println(ro.State().Phase)
	ro.Resume(ctx, "resolved")
	ro.Abort(ctx, "wrong build")
	ro.Retry(ctx, "rebuilt")
	fmt.Println(ro.State().Phase, ro.State().Step)
	fmt.Println(events)
	// Output:
	// paused
	// progressing 0
	// [started paused resumed aborted retried]
}
