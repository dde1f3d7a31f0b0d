package temporal

import (
	"errors"
	"fmt"
	"maps"

	"github.com/sextant-ml/sextant/pipeline"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// run is the state of one workflow execution. Everything in it is derived
// from the history, so a replay on another worker rebuilds it exactly.
type run struct {
	e       *engine
	rec     *pipeline.Record
	outputs []map[string]string
	last    result // set by the selector's callback
}

// result is how one task's activity ended.
type result struct {
	i   int
	out taskOutput
	err error
}

// workflow runs the pipeline's graph: a task's activity is scheduled once
// every task it depends on has succeeded, at most in.Concurrency at once; a
// task that fails for good skips every task downstream of it.
func (e *engine) workflow(ctx workflow.Context, in Input) (*pipeline.Record, error) {
	trigger := in.Trigger
	if trigger == "" {
		trigger = "manual"
	}
	x := &run{
		e: e,
		rec: &pipeline.Record{
			Pipeline: e.p.Name(),
			ID:       RunID(workflow.GetInfo(ctx).WorkflowExecution.RunID),
			Trigger:  trigger,
			Params:   maps.Clone(in.Params),
			Status:   pipeline.Running,
			Start:    workflow.Now(ctx).UTC(),
			Tasks:    make([]pipeline.TaskRecord, len(e.tasks)),
		},
		outputs: make([]map[string]string, len(e.tasks)),
	}
	for i, t := range e.tasks {
		x.rec.Tasks[i] = pipeline.TaskRecord{Name: t.Name, Status: pipeline.Pending}
	}
	if e.store != nil {
		// As in pipeline.Run: if the start cannot be recorded, no task runs.
		if err := workflow.ExecuteActivity(e.recordContext(ctx), beginActivity(e.p.Name()), x.rec).Get(ctx, nil); err != nil {
			return nil, err
		}
	}
	runErr := x.schedule(ctx, in.Concurrency)

	x.rec.End = workflow.Now(ctx).UTC()
	canceled := ctx.Err() != nil
	switch {
	case canceled:
		x.rec.Status = pipeline.Canceled
	case runErr != nil:
		x.rec.Status = pipeline.Failed
	default:
		x.rec.Status = pipeline.Succeeded
	}
	if runErr != nil {
		x.rec.Error = runErr.Error()
	}
	if e.store != nil {
		// The end is recorded even when the run was cancelled.
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		if err := workflow.ExecuteActivity(e.recordContext(dctx), finishActivity(e.p.Name()), x.rec).Get(dctx, nil); err != nil {
			return nil, err
		}
	}
	switch {
	case canceled:
		return nil, temporal.NewCanceledError(x.rec)
	case runErr != nil:
		return nil, temporal.NewApplicationErrorWithOptions(x.rec.Error, ErrorTypeRunFailed, temporal.ApplicationErrorOptions{
			NonRetryable: true,
			Details:      []any{x.rec},
		})
	}
	return x.rec, nil
}

func (e *engine) recordContext(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: e.opts.RecordTimeout,
		RetryPolicy:         e.opts.RecordRetry,
	})
}

// activityOptions maps task i's timeout and retry policy onto Temporal's.
func (e *engine) activityOptions(i int) workflow.ActivityOptions {
	t := e.tasks[i]
	timeout := t.Timeout
	if timeout == 0 {
		timeout = e.opts.TaskTimeout
	}
	return workflow.ActivityOptions{
		ActivityID:          t.Name,
		StartToCloseTimeout: timeout,
		HeartbeatTimeout:    e.opts.Heartbeat,
		RetryPolicy:         retryPolicy(*t.Retry),
	}
}

// retryPolicy maps a pipeline retry policy onto Temporal's. Jitter has no
// counterpart.
func retryPolicy(r pipeline.Retry) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        r.Backoff,
		BackoffCoefficient:     r.Multiplier,
		MaximumInterval:        r.MaxBackoff,
		MaximumAttempts:        int32(min(r.Attempts, 1<<31-1)),
		NonRetryableErrorTypes: []string{ErrorTypePermanent},
	}
}

// schedule runs the graph and fills x.rec.Tasks, as pipeline.Run's
// scheduler does.
func (x *run) schedule(ctx workflow.Context, limit int) error {
	e := x.e
	n := len(e.tasks)
	indeg := make([]int, n)
	dependents := make([][]int, n)
	var ready []int
	for i, t := range e.tasks {
		indeg[i] = len(t.Deps)
		for _, d := range t.Deps {
			j := e.index[d]
			dependents[j] = append(dependents[j], i)
		}
		if indeg[i] == 0 {
			ready = append(ready, i)
		}
	}
	sel := workflow.NewSelector(ctx)
	var firstErr string
	firstFailed := n
	running, left := 0, n
	for left > 0 {
		for len(ready) > 0 && ctx.Err() == nil && (limit <= 0 || running < limit) {
			i := ready[0]
			ready = ready[1:]
			x.start(ctx, sel, i)
			running++
		}
		if running == 0 {
			break // cancelled: what is left never starts
		}
		sel.Select(ctx)
		i, res, err := x.last.i, x.last.out, x.last.err
		running--
		left--
		tr := &x.rec.Tasks[i]
		tr.End = workflow.Now(ctx).UTC()
		switch {
		case err == nil:
			tr.Status = pipeline.Succeeded
			tr.Attempts = res.Attempt
			tr.Error = res.Error
			tr.Outputs = maps.Clone(res.Outputs)
			x.outputs[i] = res.Outputs
			for _, d := range dependents[i] {
				if indeg[d]--; indeg[d] == 0 && x.rec.Tasks[d].Status == pipeline.Pending {
					ready = append(ready, d)
				}
			}
		case ctx.Err() != nil:
			tr.Status = pipeline.Canceled
			tr.Attempts = attempts(err, *e.tasks[i].Retry)
			tr.Error = e.taskError(err, i)
		default:
			tr.Status = pipeline.Failed
			tr.Attempts = attempts(err, *e.tasks[i].Retry)
			tr.Error = e.taskError(err, i)
			if i < firstFailed {
				firstFailed, firstErr = i, tr.Error
			}
			left -= x.skipDownstream(i, dependents)
		}
	}
	for i := range x.rec.Tasks {
		if t := &x.rec.Tasks[i]; t.Status == pipeline.Pending || t.Status == pipeline.Running {
			t.Status = pipeline.Canceled
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pipeline %s: run %s: %w", e.p.Name(), x.rec.ID, err)
	}
	if firstFailed < n {
		return fmt.Errorf("%w: %s: %s", pipeline.ErrFailed, e.tasks[firstFailed].Name, firstErr)
	}
	return nil
}

// start schedules task i's activity with the outputs of the tasks upstream
// of it.
func (x *run) start(ctx workflow.Context, sel workflow.Selector, i int) {
	e := x.e
	in := taskInput{RunID: x.rec.ID, Params: x.rec.Params}
	for _, j := range e.ancestors[i] {
		if out := x.outputs[j]; len(out) > 0 {
			if in.Inputs == nil {
				in.Inputs = map[string]map[string]string{}
			}
			in.Inputs[e.tasks[j].Name] = out
		}
	}
	x.rec.Tasks[i].Status = pipeline.Running
	x.rec.Tasks[i].Start = workflow.Now(ctx).UTC()
	actx := workflow.WithActivityOptions(ctx, e.activityOptions(i))
	f := workflow.ExecuteActivity(actx, TaskActivity(e.p.Name(), e.tasks[i].Name), in)
	sel.AddFuture(f, func(f workflow.Future) {
		var out taskOutput
		err := f.Get(ctx, &out)
		x.last = result{i: i, out: out, err: err}
	})
}

// skipDownstream marks every pending task downstream of failed as skipped
// and returns how many it marked.
func (x *run) skipDownstream(failed int, dependents [][]int) int {
	marked := 0
	stack := append([]int(nil), dependents[failed]...)
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		t := &x.rec.Tasks[i]
		if t.Status != pipeline.Pending {
			continue
		}
		t.Status = pipeline.Skipped
		t.Error = "upstream task " + x.e.tasks[failed].Name + " failed"
		marked++
		stack = append(stack, dependents[i]...)
	}
	return marked
}

// attempts returns how many attempts a failed activity took: the number
// its last attempt reported (in the failure's details, or in its last
// heartbeat when it timed out), else the policy's limit when Temporal gave up
// for that reason, else 1.
func attempts(err error, r pipeline.Retry) int {
	var n int
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.HasDetails() && app.Details(&n) == nil && n > 0 {
		return n
	}
	var te *temporal.TimeoutError
	if errors.As(err, &te) && te.HasLastHeartbeatDetails() && te.LastHeartbeatDetails(&n) == nil && n > 0 {
		return n
	}
	var ae *temporal.ActivityError
	if errors.As(err, &ae) && ae.RetryState() == enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED {
		return r.Attempts
	}
	return 1
}

// taskError returns the text recorded for task i's failure: the task's own
// error text, or for a timeout the text pipeline.Run records.
func (e *engine) taskError(err error, i int) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	var te *temporal.TimeoutError
	if errors.As(err, &te) {
		return e.timeoutText(te.TimeoutType(), i)
	}
	var ce *temporal.CanceledError
	if errors.As(err, &ce) {
		return "context canceled"
	}
	return err.Error()
}

// timeoutText is the error text recorded for a timed-out attempt of task i.
func (e *engine) timeoutText(t enumspb.TimeoutType, i int) string {
	if t == enumspb.TIMEOUT_TYPE_HEARTBEAT {
		return fmt.Sprintf("temporal: no heartbeat from the worker for %v", e.opts.Heartbeat)
	}
	return fmt.Sprintf("%v after %v: %s timeout", pipeline.ErrTimeout, e.activityOptions(i).StartToCloseTimeout, timeoutName(t))
}

func timeoutName(t enumspb.TimeoutType) string {
	switch t {
	case enumspb.TIMEOUT_TYPE_START_TO_CLOSE:
		return "start-to-close"
	case enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START:
		return "schedule-to-start"
	case enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE:
		return "schedule-to-close"
	}
	return t.String()
}
