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
			Start:    workflow.Now(ctx).UTC(),
		},
		outputs: make([]map[string]string, len(e.tasks)),
	}
	pl := e.p.NewPlan(x.rec, in.Concurrency)
	if e.store != nil {
		// As in pipeline.Run: if the start cannot be recorded, no task runs.
		if err := workflow.ExecuteActivity(e.recordContext(ctx), beginActivity(e.p.Name()), x.rec).Get(ctx, nil); err != nil {
			return nil, err
		}
	}
	x.schedule(ctx, pl)
	canceled := ctx.Err() != nil
	runErr := pl.Close(workflow.Now(ctx).UTC(), ctx.Err())
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

// schedule runs the tasks pl lets start as activities, as pipeline.Run
// runs them as goroutines, until every task has ended or, once ctx is
// cancelled, until those running have.
func (x *run) schedule(ctx workflow.Context, pl *pipeline.Plan) {
	sel := workflow.NewSelector(ctx)
	for !pl.Finished() {
		for ctx.Err() == nil {
			i, ok := pl.Next()
			if !ok {
				break
			}
			x.start(ctx, sel, i)
		}
		if pl.Running() == 0 {
			break // cancelled: what is left never starts
		}
		sel.Select(ctx)
		i, res, err := x.last.i, x.last.out, x.last.err
		tr := x.rec.Tasks[i] // its name and start
		tr.End = workflow.Now(ctx).UTC()
		var taskErr error
		switch {
		case err == nil:
			tr.Status = pipeline.Succeeded
			tr.Attempts = res.Attempt
			tr.Error = res.Error
			tr.Outputs = maps.Clone(res.Outputs)
			x.outputs[i] = res.Outputs
		case ctx.Err() != nil:
			tr.Status = pipeline.Canceled
			tr.Attempts = attempts(err, *x.e.tasks[i].Retry)
			tr.Error = x.e.taskError(err, i)
		default:
			tr.Status = pipeline.Failed
			tr.Attempts = attempts(err, *x.e.tasks[i].Retry)
			tr.Error = x.e.taskError(err, i)
			taskErr = errors.New(tr.Error)
		}
		pl.End(i, tr, taskErr)
	}
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
	x.rec.Tasks[i].Start = workflow.Now(ctx).UTC()
	actx := workflow.WithActivityOptions(ctx, e.activityOptions(i))
	f := workflow.ExecuteActivity(actx, TaskActivity(e.p.Name(), e.tasks[i].Name), in)
	sel.AddFuture(f, func(f workflow.Future) {
		var out taskOutput
		err := f.Get(ctx, &out)
		x.last = result{i: i, out: out, err: err}
	})
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
