package temporal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/pipeline"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"
	"gocloud.dev/blob"
)

// The tests run against a real Temporal server (frontend, history,
// matching and an in-memory SQLite store) started in the test process.

const waitLimit = 2 * time.Minute

// env is one Temporal server shared by a test's subtests, each of which
// uses its own pipeline and task queue.
type env struct {
	ts *temporaltest.TestServer
	c  client.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	return &env{ts: ts, c: ts.GetDefaultClient()}
}

// fileBucket opens a file:// bucket in a fresh temporary directory.
func fileBucket(t *testing.T) *artifact.Bucket {
	t.Helper()
	b, err := artifact.OpenBucket(t.Context(), "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// worker starts a worker on queue with p registered through Register.
func (e *env) worker(t *testing.T, queue string, p *pipeline.Pipeline, opts *Options) {
	t.Helper()
	e.ts.NewWorker(queue, func(r worker.Registry) {
		if err := Register(r, p, opts); err != nil {
			t.Fatal(err)
		}
	})
}

func (e *env) run(t *testing.T, queue string, p *pipeline.Pipeline, in Input) (*pipeline.Record, client.WorkflowRun, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	run, err := Start(ctx, e.c, p.Name(), in, client.StartWorkflowOptions{TaskQueue: queue})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := Wait(ctx, run)
	return rec, run, err
}

// scheduled returns the ActivityTaskScheduled events of a run's history,
// by activity type.
func (e *env) scheduled(t *testing.T, run client.WorkflowRun) map[string][]*historypb.ActivityTaskScheduledEventAttributes {
	t.Helper()
	it := e.c.GetWorkflowHistory(t.Context(), run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	out := map[string][]*historypb.ActivityTaskScheduledEventAttributes{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			out[a.GetActivityType().GetName()] = append(out[a.GetActivityType().GetName()], a)
		}
	}
	return out
}

// shape drops what differs between two runs of the same pipeline by nature:
// ids, times and the trigger.
var shape = cmp.Options{
	cmpopts.IgnoreFields(pipeline.Record{}, "ID", "Start", "End", "Trigger"),
	cmpopts.IgnoreFields(pipeline.TaskRecord{}, "Start", "End"),
	cmpopts.EquateEmpty(),
}

// perRun keeps a value per run id, so the same task functions serve a local
// run and a Temporal run side by side.
type perRun[T any] struct {
	mu sync.Mutex
	m  map[string]*T
}

func (p *perRun[T]) get(id string) *T {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]*T{}
	}
	v, ok := p.m[id]
	if !ok {
		v = new(T)
		p.m[id] = v
	}
	return v
}

// flaky fails the first n attempts of each run.
func flaky(n int, calls *perRun[atomic.Int32], f pipeline.Func) pipeline.Func {
	return func(ctx context.Context, tr *pipeline.TaskRun) error {
		if c := calls.get(tr.RunID()).Add(1); int(c) <= n {
			return fmt.Errorf("flaky attempt %d", tr.Attempt())
		}
		return f(ctx, tr)
	}
}

func logEntries(t *testing.T, b *artifact.Bucket, name string) int {
	t.Helper()
	n := 0
	if err := b.List(t.Context(), "pipelines/"+name+"/log/", func(string, *blob.ListObject) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func checkTimes(t *testing.T, rec *pipeline.Record) {
	t.Helper()
	if rec.Start.IsZero() || rec.End.Before(rec.Start) {
		t.Errorf("run times: start %v end %v", rec.Start, rec.End)
	}
	for _, tr := range rec.Tasks {
		if tr.Status == pipeline.Skipped {
			continue
		}
		if tr.Start.Before(rec.Start) || tr.End.Before(tr.Start) || rec.End.Before(tr.End) {
			t.Errorf("task %s times: start %v end %v within run %v..%v", tr.Name, tr.Start, tr.End, rec.Start, rec.End)
		}
	}
}

func TestEngine(t *testing.T) {
	e := newEnv(t)
	t.Run("diamond", func(t *testing.T) { testDiamond(t, e) })
	t.Run("retry", func(t *testing.T) { testRetry(t, e) })
	t.Run("permanent", func(t *testing.T) { testPermanent(t, e) })
	t.Run("timeout", func(t *testing.T) { testTimeout(t, e) })
	t.Run("cancel", func(t *testing.T) { testCancel(t, e) })
	t.Run("worker-restart", func(t *testing.T) { testWorkerRestart(t, e) })
}

// testDiamond: prepare -> (left, right) -> join. Both branches must run at
// once (left waits for right to start), outputs flow downstream, and the
// record equals pipeline.Run's.
func testDiamond(t *testing.T, e *env) {
	b := fileBucket(t)
	var started perRun[chan struct{}]
	ch := func(id string) chan struct{} {
		started.mu.Lock()
		defer started.mu.Unlock()
		if started.m == nil {
			started.m = map[string]*chan struct{}{}
		}
		if c, ok := started.m[id]; ok {
			return *c
		}
		c := make(chan struct{})
		started.m[id] = &c
		return c
	}
	tasks := []pipeline.Task{
		{Name: "join", Deps: []string{"left", "right"}, Run: func(ctx context.Context, tr *pipeline.TaskRun) error {
			l, _ := tr.Input("left", "score")
			r, _ := tr.Input("right", "score")
			d, ok := tr.Input("prepare", "data") // an ancestor two levels up
			if !ok {
				return errors.New("join cannot see prepare's output")
			}
			tr.Set("best", max(l, r)+"@"+d)
			return nil
		}},
		{Name: "prepare", Run: func(ctx context.Context, tr *pipeline.TaskRun) error {
			tr.Set("data", "rows="+tr.Param("rows"))
			return nil
		}},
		{Name: "left", Deps: []string{"prepare"}, Run: func(ctx context.Context, tr *pipeline.TaskRun) error {
			select {
			case <-ch(tr.RunID()):
			case <-time.After(30 * time.Second):
				return errors.New("right did not start while left ran")
			}
			d, _ := tr.Input("prepare", "data")
			tr.Set("score", "0.91/"+d)
			return nil
		}},
		{Name: "right", Deps: []string{"prepare"}, Run: func(ctx context.Context, tr *pipeline.TaskRun) error {
			close(ch(tr.RunID()))
			if _, ok := tr.Input("left", "score"); ok {
				return errors.New("right sees a sibling's output")
			}
			tr.Set("score", "0.87")
			tr.Set("run", tr.RunID())
			return nil
		}},
	}
	p, err := pipeline.New("diamond", tasks, &pipeline.Options{Bucket: b, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]string{"rows": "1000"}
	local, err := p.Run(t.Context(), params)
	if err != nil {
		t.Fatal(err)
	}
	e.worker(t, "diamond", p, nil)
	got, run, err := e.run(t, "diamond", p, Input{Params: params})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != RunID(run.GetRunID()) || len(got.ID) != 32 {
		t.Errorf("record id %q, want %q", got.ID, RunID(run.GetRunID()))
	}
	if out, _ := got.Output("right", "run"); out != got.ID {
		t.Errorf("TaskRun.RunID in the activity = %q, want the record's id %q", out, got.ID)
	}
	if got.Trigger != "manual" {
		t.Errorf("trigger %q, want manual", got.Trigger)
	}
	// The run ids differ, and right records its own.
	local.Tasks[3].Outputs["run"] = got.ID
	if diff := cmp.Diff(local, got, shape); diff != "" {
		t.Errorf("Temporal record vs pipeline.Run's (-local +temporal):\n%s", diff)
	}
	if best, _ := got.Output("join", "best"); best != "0.91/rows=1000@rows=1000" {
		t.Errorf("join's output %q", best)
	}
	checkTimes(t, got)
	l, _ := got.Task("left")
	r, _ := got.Task("right")
	j, _ := got.Task("join")
	if j.Start.Before(l.End) || j.Start.Before(r.End) {
		t.Errorf("join started at %v before its dependencies ended (%v, %v)", j.Start, l.End, r.End)
	}

	// Read back from the bucket by a fresh store, as sextant runs show does.
	s, err := pipeline.OpenStore(b, "diamond")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.Get(t.Context(), got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*got, stored); diff != "" {
		t.Errorf("stored record (-returned +stored):\n%s", diff)
	}
	runs, err := s.Runs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != local.ID || runs[1].ID != got.ID {
		t.Errorf("store lists %d runs, want the local one then the Temporal one", len(runs))
	}
	if n := logEntries(t, b, "diamond"); n != 4 {
		t.Errorf("log holds %d entries, want 4 (start and end of each run)", n)
	}
}

func testRetry(t *testing.T, e *env) {
	b := fileBucket(t)
	var calls, always perRun[atomic.Int32]
	retry := &pipeline.Retry{Attempts: 4, Backoff: 20 * time.Millisecond, Multiplier: 3, MaxBackoff: 100 * time.Millisecond}
	tasks := []pipeline.Task{
		{Name: "flaky", Retry: retry, Run: flaky(2, &calls, func(ctx context.Context, tr *pipeline.TaskRun) error {
			tr.Set("attempt", fmt.Sprint(tr.Attempt()))
			return nil
		})},
		{Name: "always", Retry: &pipeline.Retry{Attempts: 3, Backoff: 10 * time.Millisecond}, Run: flaky(1000, &always, nil)},
		{Name: "after", Deps: []string{"flaky"}, Run: func(ctx context.Context, tr *pipeline.TaskRun) error {
			a, _ := tr.Input("flaky", "attempt")
			tr.Set("saw", a)
			return nil
		}},
	}
	p, err := pipeline.New("retry", tasks, &pipeline.Options{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	local, localErr := p.Run(t.Context(), nil)
	e.worker(t, "retry", p, nil)
	got, run, err := e.run(t, "retry", p, Input{})
	if !errors.Is(err, pipeline.ErrFailed) || err.Error() != localErr.Error() {
		t.Errorf("error %v, want %v", err, localErr)
	}
	if got == nil {
		t.Fatal("no record returned with the failure")
	}
	if diff := cmp.Diff(local, got, shape); diff != "" {
		t.Errorf("Temporal record vs pipeline.Run's (-local +temporal):\n%s", diff)
	}
	f, _ := got.Task("flaky")
	a, _ := got.Task("always")
	if f.Status != pipeline.Succeeded || f.Attempts != 3 || f.Outputs["attempt"] != "3" {
		t.Errorf("flaky: %+v, want succeeded at attempt 3", f)
	}
	if a.Status != pipeline.Failed || a.Attempts != 3 || a.Error != "flaky attempt 3" {
		t.Errorf("always: %+v, want failed after 3 attempts", a)
	}
	if n := calls.get(got.ID).Load(); n != 3 {
		t.Errorf("flaky's function ran %d times, want 3", n)
	}
	if n := always.get(got.ID).Load(); n != 3 {
		t.Errorf("always's function ran %d times, want 3", n)
	}
	// The policy Temporal applied is the task's.
	sch := e.scheduled(t, run)["retry/flaky"]
	if len(sch) != 1 {
		t.Fatalf("flaky scheduled %d times, want once (Temporal retries it)", len(sch))
	}
	rp := sch[0].GetRetryPolicy()
	if rp.GetInitialInterval().AsDuration() != 20*time.Millisecond || rp.GetBackoffCoefficient() != 3 ||
		rp.GetMaximumInterval().AsDuration() != 100*time.Millisecond || rp.GetMaximumAttempts() != 4 ||
		!cmp.Equal(rp.GetNonRetryableErrorTypes(), []string{ErrorTypePermanent}) {
		t.Errorf("retry policy of flaky: %v", rp)
	}
	// A task without a policy gets pipeline's defaults: one attempt.
	if rp := e.scheduled(t, run)["retry/after"][0].GetRetryPolicy(); rp.GetMaximumAttempts() != 1 || rp.GetInitialInterval().AsDuration() != time.Second {
		t.Errorf("retry policy of after: %v", rp)
	}
}

func testPermanent(t *testing.T, e *env) {
	b := fileBucket(t)
	var calls perRun[atomic.Int32]
	tasks := []pipeline.Task{
		{Name: "validate", Retry: &pipeline.Retry{Attempts: 5, Backoff: 10 * time.Millisecond}, Run: func(ctx context.Context, tr *pipeline.TaskRun) error {
			calls.get(tr.RunID()).Add(1)
			return pipeline.Permanent(errors.New("schema: column age missing"))
		}},
		{Name: "train", Deps: []string{"validate"}, Run: func(context.Context, *pipeline.TaskRun) error { return nil }},
		{Name: "register", Deps: []string{"train"}, Run: func(context.Context, *pipeline.TaskRun) error { return nil }},
		{Name: "report", Run: func(ctx context.Context, tr *pipeline.TaskRun) error { tr.Set("ok", "yes"); return nil }},
	}
	p, err := pipeline.New("permanent", tasks, &pipeline.Options{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	local, localErr := p.Run(t.Context(), nil)
	e.worker(t, "permanent", p, nil)
	got, _, err := e.run(t, "permanent", p, Input{Trigger: "event"})
	if !errors.Is(err, pipeline.ErrFailed) || err.Error() != localErr.Error() {
		t.Errorf("error %v, want %v", err, localErr)
	}
	if got == nil {
		t.Fatal("no record returned with the failure")
	}
	if diff := cmp.Diff(local, got, shape); diff != "" {
		t.Errorf("Temporal record vs pipeline.Run's (-local +temporal):\n%s", diff)
	}
	want := map[string]pipeline.Status{"validate": pipeline.Failed, "train": pipeline.Skipped, "register": pipeline.Skipped, "report": pipeline.Succeeded}
	for name, st := range want {
		if tr, _ := got.Task(name); tr.Status != st {
			t.Errorf("%s: %s, want %s", name, tr.Status, st)
		}
	}
	if v, _ := got.Task("validate"); v.Attempts != 1 || v.Error != "schema: column age missing" {
		t.Errorf("validate: %+v, want one attempt", v)
	}
	if n := calls.get(got.ID).Load(); n != 1 {
		t.Errorf("a permanent error was retried: %d calls", n)
	}
	if got.Status != pipeline.Failed || got.Trigger != "event" {
		t.Errorf("run status %s trigger %s", got.Status, got.Trigger)
	}
	stored, err := p.Store().Get(t.Context(), got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*got, stored); diff != "" {
		t.Errorf("stored record (-returned +stored):\n%s", diff)
	}
}

func testTimeout(t *testing.T, e *env) {
	b := fileBucket(t)
	hang := func(ctx context.Context, _ *pipeline.TaskRun) error {
		<-ctx.Done()
		return ctx.Err()
	}
	tasks := []pipeline.Task{
		{Name: "hang", Timeout: 300 * time.Millisecond, Retry: &pipeline.Retry{Attempts: 2, Backoff: 10 * time.Millisecond}, Run: hang},
		{Name: "next", Deps: []string{"hang"}, Run: func(context.Context, *pipeline.TaskRun) error { return nil }},
	}
	p, err := pipeline.New("timeout", tasks, &pipeline.Options{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	opts := &Options{Heartbeat: 5 * time.Second, TaskTimeout: time.Hour}
	e.worker(t, "timeout", p, opts)
	got, run, err := e.run(t, "timeout", p, Input{})
	if !errors.Is(err, pipeline.ErrFailed) {
		t.Fatalf("error %v, want pipeline.ErrFailed", err)
	}
	// pipeline.Run says "context deadline exceeded" after the same prefix.
	if want := "pipeline: task failed: hang: pipeline: task timed out after 300ms: start-to-close timeout"; got.Error != want || err.Error() != want {
		t.Errorf("run error %q (returned %q), want %q", got.Error, err, want)
	}
	h, _ := got.Task("hang")
	if h.Status != pipeline.Failed || h.Attempts != 2 || !strings.HasPrefix(h.Error, "pipeline: task timed out after 300ms") {
		t.Errorf("hang: %+v, want failed after 2 timed-out attempts", h)
	}
	if local, err := p.Run(t.Context(), nil); err == nil || !cmp.Equal(local, got, shape, cmpopts.IgnoreFields(pipeline.TaskRecord{}, "Error"), cmpopts.IgnoreFields(pipeline.Record{}, "Error")) {
		t.Errorf("local run: %v, %+v; Temporal's: %+v", err, local, got)
	}
	if n, _ := got.Task("next"); n.Status != pipeline.Skipped {
		t.Errorf("next: %s, want skipped", n.Status)
	}
	sch := e.scheduled(t, run)["timeout/hang"]
	// The server caps the heartbeat timeout at the start-to-close timeout.
	if len(sch) != 1 || sch[0].GetStartToCloseTimeout().AsDuration() != 300*time.Millisecond || sch[0].GetHeartbeatTimeout().AsDuration() != 300*time.Millisecond {
		t.Errorf("hang's activity timeouts: %v", sch)
	}
	// A task without a timeout gets Options.TaskTimeout.
	if sch := e.scheduled(t, run)["timeout/next"]; len(sch) != 0 {
		t.Errorf("next was scheduled after hang failed")
	}
	e2 := &engine{opts: Options{TaskTimeout: time.Hour}, tasks: []pipeline.Task{{Name: "x", Retry: &pipeline.Retry{Attempts: 1}}}}
	if got := e2.activityOptions(0).StartToCloseTimeout; got != time.Hour {
		t.Errorf("StartToCloseTimeout of a task without timeout = %v, want Options.TaskTimeout", got)
	}
}

func testCancel(t *testing.T, e *env) {
	b := fileBucket(t)
	started := make(chan string, 1)
	tasks := []pipeline.Task{
		{Name: "long", Run: func(ctx context.Context, tr *pipeline.TaskRun) error {
			started <- tr.RunID()
			<-ctx.Done()
			return ctx.Err()
		}},
		{Name: "after", Deps: []string{"long"}, Run: func(context.Context, *pipeline.TaskRun) error { return nil }},
	}
	p, err := pipeline.New("cancel", tasks, &pipeline.Options{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	e.worker(t, "cancel", p, &Options{Heartbeat: time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	run, err := Start(ctx, e.c, "cancel", Input{}, client.StartWorkflowOptions{TaskQueue: "cancel"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("long never started")
	}
	if err := e.c.CancelWorkflow(ctx, run.GetID(), run.GetRunID()); err != nil {
		t.Fatal(err)
	}
	got, err := Wait(ctx, run)
	if !errors.Is(err, context.Canceled) || got == nil {
		t.Fatalf("Wait = %v, %v; want the record and context.Canceled", got, err)
	}
	if got.Status != pipeline.Canceled {
		t.Errorf("run status %s, want canceled", got.Status)
	}
	for _, tr := range got.Tasks {
		if tr.Status != pipeline.Canceled {
			t.Errorf("%s: %s, want canceled", tr.Name, tr.Status)
		}
	}
	stored, err := p.Store().Get(t.Context(), got.ID)
	if err != nil || stored.Status != pipeline.Canceled {
		t.Errorf("stored: %s, %v; want canceled", stored.Status, err)
	}
}

// testWorkerRestart stops the only worker while a task runs, starts a new
// one, and checks that the run completes and is recorded once; each record
// activity also loses its first reply after writing, so Temporal retries it.
func testWorkerRestart(t *testing.T, e *env) {
	b := fileBucket(t)
	started := make(chan struct{}, 1)
	tasks := []pipeline.Task{
		{Name: "first", Run: func(ctx context.Context, tr *pipeline.TaskRun) error { tr.Set("v", "1"); return nil }},
		{Name: "slow", Deps: []string{"first"}, Retry: &pipeline.Retry{Attempts: 3, Backoff: 50 * time.Millisecond}, Run: func(ctx context.Context, tr *pipeline.TaskRun) error {
			if tr.Attempt() == 1 {
				started <- struct{}{}
				<-ctx.Done() // until the worker stops
				return ctx.Err()
			}
			v, _ := tr.Input("first", "v")
			tr.Set("v", v+"+2")
			return nil
		}},
		{Name: "last", Deps: []string{"slow"}, Run: func(ctx context.Context, tr *pipeline.TaskRun) error {
			v, _ := tr.Input("slow", "v")
			tr.Set("v", v+"+3")
			return nil
		}},
	}
	p, err := pipeline.New("restart", tasks, &pipeline.Options{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	var lost sync.Map // "begin"/"finish" -> already failed once
	opts := &Options{Heartbeat: time.Second}
	newWorker := func() worker.Worker {
		eng, err := newEngine(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		eng.opts.RecordRetry.InitialInterval = 50 * time.Millisecond
		eng.afterRecord = func(ctx context.Context, kind string) error {
			if _, done := lost.LoadOrStore(kind, true); !done {
				if activity.GetInfo(ctx).Attempt != 1 {
					t.Errorf("%s: first lost reply at attempt %d", kind, activity.GetInfo(ctx).Attempt)
				}
				return errors.New("reply lost after the write")
			}
			return nil
		}
		w := worker.New(e.c, "restart", worker.Options{})
		eng.register(w)
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		return w
	}
	w1 := newWorker()
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	run, err := Start(ctx, e.c, "restart", Input{}, client.StartWorkflowOptions{TaskQueue: "restart"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-ctx.Done():
		w1.Stop()
		t.Fatal("slow never started")
	}
	w1.Stop()
	w2 := newWorker()
	defer w2.Stop()
	got, err := Wait(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Output("last", "v"); v != "1+2+3" || got.Status != pipeline.Succeeded {
		t.Errorf("run %s, last's output %q", got.Status, v)
	}
	if s, _ := got.Task("slow"); s.Attempts != 2 {
		t.Errorf("slow took %d attempts, want 2 (the one the stopped worker ran counts)", s.Attempts)
	}
	for _, kind := range []string{"begin", "finish"} {
		if _, ok := lost.Load(kind); !ok {
			t.Errorf("%s never ran", kind)
		}
	}
	if n := logEntries(t, b, "restart"); n != 2 {
		t.Errorf("log holds %d entries, want 2: retried record activities appended twice", n)
	}
	s, err := pipeline.OpenStore(b, "restart")
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 {
		t.Fatalf("store holds %d runs, want 1", len(runs))
	}
	if diff := cmp.Diff(*got, runs[0]); diff != "" {
		t.Errorf("stored record (-returned +stored):\n%s", diff)
	}
}
