package temporal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/pipeline"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Error types of the application errors this package returns, for
// temporal.RetryPolicy.NonRetryableErrorTypes and for readers of a
// workflow's history.
const (
	// ErrorTypeTask is the type of a task attempt's failure that may be
	// retried.
	ErrorTypeTask = "sextant.pipeline.TaskFailed"
	// ErrorTypePermanent is the type of a task attempt's failure marked by
	// pipeline.Permanent; it is non-retryable.
	ErrorTypePermanent = "sextant.pipeline.PermanentError"
	// ErrorTypeRunFailed is the type of the error a workflow ends with when
	// a task failed; its details hold the run's pipeline.Record.
	ErrorTypeRunFailed = "sextant.pipeline.RunFailed"
)

// Defaults of Options.
const (
	DefaultHeartbeat     = 30 * time.Second
	DefaultTaskTimeout   = 24 * time.Hour
	DefaultRecordTimeout = time.Minute
)

// Options configures the workflow and activities Register adds. The zero
// value, or nil, is valid.
type Options struct {
	// Heartbeat is the HeartbeatTimeout of every task's activity. While a
	// task's function runs, the activity heartbeats on its own at a third
	// of it, so a worker that dies is noticed within Heartbeat and the task
	// retried elsewhere, and a cancelled run reaches the function's
	// context. Default DefaultHeartbeat.
	Heartbeat time.Duration
	// TaskTimeout is the StartToCloseTimeout of a task without a timeout
	// (pipeline.Task.Timeout and pipeline.Options.Timeout both 0): Temporal
	// needs one. Default DefaultTaskTimeout.
	TaskTimeout time.Duration
	// RecordTimeout is the StartToCloseTimeout of the activities that write
	// the run record. Default DefaultRecordTimeout.
	RecordTimeout time.Duration
	// RecordRetry is the retry policy of the activities that write the run
	// record. Default: from one second, doubling, at most a minute apart,
	// ten attempts.
	RecordRetry *temporal.RetryPolicy
}

// Input is the argument of a pipeline's workflow.
type Input struct {
	// Params are the run's parameters (pipeline.TaskRun.Param).
	Params map[string]string `json:"params,omitempty"`
	// Trigger is recorded as the run's trigger. Default "manual", as
	// pipeline.Pipeline.Run records it.
	Trigger string `json:"trigger,omitempty"`
	// Concurrency is the most tasks running at once. Default (0) no limit
	// but the workers' activity slots. It travels with the run, not with
	// the worker, so every worker replays the same schedule.
	Concurrency int `json:"concurrency,omitempty"`
}

// taskInput is the argument of a task's activity.
type taskInput struct {
	RunID  string                       `json:"run_id"`
	Params map[string]string            `json:"params,omitempty"`
	Inputs map[string]map[string]string `json:"inputs,omitempty"`
}

// taskOutput is the result of a task's activity.
type taskOutput struct {
	Outputs map[string]string `json:"outputs,omitempty"`
	Attempt int               `json:"attempt"`
	// Error is the previous attempt's error text, for an attempt after a
	// failed one: pipeline.Run keeps it in the record of a task that
	// succeeded on a retry.
	Error string `json:"error,omitempty"`
}

// TaskActivity returns the name of the activity that runs task of pipeline
// p: "<pipeline>/<task>".
func TaskActivity(p, task string) string { return p + "/" + task }

// Names of the activities that record a run's start and end. Neither ':' nor
// '/' may appear in a pipeline's or a task's name, so these never collide
// with a task's activity.
func beginActivity(p string) string  { return p + ":begin" }
func finishActivity(p string) string { return p + ":finish" }

// engine holds what the workflow and activities of one pipeline need.
type engine struct {
	p     *pipeline.Pipeline
	store *pipeline.Store
	tasks []pipeline.Task // declaration order
	index map[string]int
	// ancestors[i] lists the tasks upstream of task i, in declaration order.
	ancestors [][]int
	opts      Options
	// afterRecord, when set (by tests), runs after a record activity wrote
	// its entry and can fail the activity as a lost reply would.
	afterRecord func(ctx context.Context, kind string) error
}

// Register registers p's workflow, named after the pipeline, and one
// activity per task (TaskActivity) plus two that record the run on the
// pipeline's Store (when pipeline.Options.Bucket was set), on a worker.
// Every worker that polls the task queue must register the same pipeline.
func Register(r worker.Registry, p *pipeline.Pipeline, opts *Options) error {
	e, err := newEngine(p, opts)
	if err != nil {
		return err
	}
	e.register(r)
	return nil
}

func newEngine(p *pipeline.Pipeline, opts *Options) (*engine, error) {
	if p == nil {
		return nil, errors.New("temporal: nil pipeline")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Heartbeat < 0 || o.TaskTimeout < 0 || o.RecordTimeout < 0 {
		return nil, errors.New("temporal: negative duration in options")
	}
	if o.Heartbeat == 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.TaskTimeout == 0 {
		o.TaskTimeout = DefaultTaskTimeout
	}
	if o.RecordTimeout == 0 {
		o.RecordTimeout = DefaultRecordTimeout
	}
	if o.RecordRetry == nil {
		o.RecordRetry = &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 10}
	}
	e := &engine{p: p, store: p.Store(), opts: o, index: map[string]int{}}
	for i, name := range p.Tasks() {
		t, _ := p.Task(name)
		e.tasks = append(e.tasks, t)
		e.index[name] = i
	}
	e.ancestors = make([][]int, len(e.tasks))
	for i, t := range e.tasks {
		up, _ := p.Upstream(t.Name)
		for _, name := range up {
			e.ancestors[i] = append(e.ancestors[i], e.index[name])
		}
	}
	return e, nil
}

func (e *engine) register(r worker.Registry) {
	name := e.p.Name()
	r.RegisterWorkflowWithOptions(e.workflow, workflow.RegisterOptions{Name: name})
	for _, t := range e.tasks {
		r.RegisterActivityWithOptions(e.taskActivity(t.Name), activity.RegisterOptions{Name: TaskActivity(name, t.Name)})
	}
	if e.store != nil {
		r.RegisterActivityWithOptions(e.begin, activity.RegisterOptions{Name: beginActivity(name)})
		r.RegisterActivityWithOptions(e.finish, activity.RegisterOptions{Name: finishActivity(name)})
	}
}

// taskActivity returns the activity that runs one attempt of task.
func (e *engine) taskActivity(task string) func(ctx context.Context, in taskInput) (taskOutput, error) {
	return func(ctx context.Context, in taskInput) (taskOutput, error) {
		attempt := int(activity.GetInfo(ctx).Attempt)
		stop := e.heartbeat(ctx, attempt)
		out, err := e.p.RunAttempt(ctx, pipeline.Attempt{
			RunID: in.RunID, Task: task, Attempt: attempt, Params: in.Params, Inputs: in.Inputs,
		})
		stop()
		if err != nil {
			typ := ErrorTypeTask
			permanent := pipeline.IsPermanent(err)
			if permanent {
				typ = ErrorTypePermanent
			}
			return taskOutput{}, temporal.NewApplicationErrorWithOptions(err.Error(), typ, temporal.ApplicationErrorOptions{
				NonRetryable: permanent,
				Details:      []any{attempt},
			})
		}
		res := taskOutput{Outputs: out, Attempt: attempt}
		if attempt > 1 {
			res.Error = e.previousFailure(ctx)
		}
		return res, nil
	}
}

// previousFailure asks the server for the last failure of the running
// activity (that of the attempt before this one). It is only for the
// record: an error asking returns "".
func (e *engine) previousFailure(ctx context.Context) string {
	info := activity.GetInfo(ctx)
	desc, err := activity.GetClient(ctx).DescribeWorkflowExecution(ctx, info.WorkflowExecution.ID, info.WorkflowExecution.RunID)
	if err != nil {
		return ""
	}
	for _, pa := range desc.GetPendingActivities() {
		if pa.GetActivityId() != info.ActivityID || pa.GetLastFailure() == nil {
			continue
		}
		f := pa.GetLastFailure()
		if ti := f.GetTimeoutFailureInfo(); ti != nil {
			i := e.index[info.ActivityID]
			return e.timeoutText(ti.GetTimeoutType(), i)
		}
		return f.GetMessage()
	}
	return ""
}

// heartbeat records a heartbeat (the attempt number) at once and then at a
// third of the heartbeat timeout until stop is called; stop returns once
// the goroutine has.
func (e *engine) heartbeat(ctx context.Context, attempt int) (stop func()) {
	activity.RecordHeartbeat(ctx, attempt)
	quit, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(max(e.opts.Heartbeat/3, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx, attempt)
			}
		}
	}()
	return func() {
		close(quit)
		<-exited
	}
}

func (e *engine) begin(ctx context.Context, rec *pipeline.Record) error {
	if err := e.store.Begin(ctx, rec); err != nil {
		return err
	}
	if e.afterRecord != nil {
		return e.afterRecord(ctx, "begin")
	}
	return nil
}

func (e *engine) finish(ctx context.Context, rec *pipeline.Record) error {
	if err := e.store.Finish(ctx, rec); err != nil {
		return err
	}
	if e.afterRecord != nil {
		return e.afterRecord(ctx, "finish")
	}
	return nil
}

// RunID returns the id of the run record a workflow execution writes: its
// Temporal run id without the dashes (32 hexadecimal digits, the format of
// pipeline.Record.ID).
func RunID(temporalRunID string) string {
	return strings.ReplaceAll(temporalRunID, "-", "")
}

// Start starts a run of the pipeline named pipelineName on Temporal: the
// workflow Register added, with in as its argument. opts.TaskQueue is
// required (the queue the workers poll). The run record's id is
// RunID(run.GetRunID()).
func Start(ctx context.Context, c client.Client, pipelineName string, in Input, opts client.StartWorkflowOptions) (client.WorkflowRun, error) {
	if c == nil {
		return nil, errors.New("temporal: nil client")
	}
	if opts.TaskQueue == "" {
		return nil, errors.New("temporal: start: no task queue")
	}
	run, err := c.ExecuteWorkflow(ctx, opts, pipelineName, in)
	if err != nil {
		return nil, fmt.Errorf("temporal: start %s: %w", pipelineName, err)
	}
	return run, nil
}

// Wait waits for run to end and returns its record, as pipeline.Pipeline.Run
// does: the error is nil when every task succeeded, matches
// pipeline.ErrFailed when a task failed (the record is returned too), and
// context.Canceled when the workflow was cancelled (with the record).
// Another failure of the workflow (it was terminated, timed out, or the
// start record could not be written) returns a nil record and Temporal's
// error.
func Wait(ctx context.Context, run client.WorkflowRun) (*pipeline.Record, error) {
	var rec pipeline.Record
	err := run.Get(ctx, &rec)
	if err == nil {
		return &rec, nil
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == ErrorTypeRunFailed && app.HasDetails() {
		if derr := app.Details(&rec); derr == nil {
			return &rec, &runError{msg: rec.Error, is: pipeline.ErrFailed}
		}
	}
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) && canceled.HasDetails() {
		if derr := canceled.Details(&rec); derr == nil && rec.ID != "" {
			return &rec, &runError{msg: rec.Error, is: context.Canceled}
		}
	}
	return nil, err
}

// Run starts a run and waits for its record (Start, then Wait).
func Run(ctx context.Context, c client.Client, pipelineName string, in Input, opts client.StartWorkflowOptions) (*pipeline.Record, error) {
	run, err := Start(ctx, c, pipelineName, in, opts)
	if err != nil {
		return nil, err
	}
	return Wait(ctx, run)
}

// runError is a run's error rebuilt from its record: the same text as
// pipeline.Pipeline.Run's, matching the same sentinel.
type runError struct {
	msg string
	is  error
}

func (e *runError) Error() string        { return e.msg }
func (e *runError) Is(target error) bool { return target == e.is }
