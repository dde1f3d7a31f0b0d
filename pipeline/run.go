package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"sync"
	"time"
)

// TaskRun is what a task's function sees of its run: parameters, upstream
// outputs, and a place for its own outputs. Its methods are safe for
// concurrent use by the goroutines of one task.
type TaskRun struct {
	run     *execution
	task    int
	attempt int

	mu  sync.Mutex
	out map[string]string
}

// RunID returns the run's identifier (32 hexadecimal digits), the value to
// record as lineage of whatever the run produces.
func (t *TaskRun) RunID() string { return t.run.rec.ID }

// Pipeline returns the pipeline's name.
func (t *TaskRun) Pipeline() string { return t.run.p.name }

// Task returns the task's name.
func (t *TaskRun) Task() string { return t.run.p.tasks[t.task].Name }

// Attempt returns the attempt number, from 1.
func (t *TaskRun) Attempt() int { return t.attempt }

// Param returns a run parameter ("" if absent).
func (t *TaskRun) Param(key string) string { return t.run.rec.Params[key] }

// Input returns output key of an upstream task: one this task depends on,
// directly or through others. Other tasks' outputs are not visible (they may
// not have run yet), and neither are keys the task did not set.
func (t *TaskRun) Input(task, key string) (string, bool) {
	j, ok := t.run.p.index[task]
	if !ok || !t.run.p.tasks[t.task].ancestors[j] {
		return "", false
	}
	v, ok := t.run.outputs[j][key]
	return v, ok
}

// Set records an output of this task. Outputs of an attempt that fails are
// discarded; those of the successful attempt go into the run record.
func (t *TaskRun) Set(key, value string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.out == nil {
		t.out = make(map[string]string)
	}
	t.out[key] = value
}

// execution is the state of one run.
type execution struct {
	p       *Pipeline
	rec     *Record
	outputs []map[string]string // outputs[i] written by task i's goroutine before it reports done
}

type taskResult struct {
	i   int
	rec TaskRecord
	err error // the last attempt's error, nil on success
	out map[string]string
}

// Run runs the pipeline once with the given parameters (which may be nil) and
// returns its record. Tasks start as soon as their dependencies have
// succeeded, at most Options.Concurrency at a time. A failed task skips every
// task downstream of it; independent branches run to the end. When ctx ends,
// no task starts any more, running tasks see their context cancelled, and Run
// returns once they have returned.
//
// The error is nil when every task succeeded. Otherwise it matches ErrFailed
// and wraps the first failed task's error, or wraps ctx's error when the run
// was cancelled. With a Bucket, the record is written to the store when the
// run starts and again when it ends; if the first write fails no task runs and
// the record is nil.
func (p *Pipeline) Run(ctx context.Context, params map[string]string) (*Record, error) {
	return p.run(ctx, "manual", params)
}

func (p *Pipeline) run(ctx context.Context, trigger string, params map[string]string) (*Record, error) {
	id, err := newID()
	if err != nil {
		return nil, err
	}
	rec := &Record{
		Pipeline: p.name,
		ID:       id,
		Trigger:  trigger,
		Params:   maps.Clone(params),
		Start:    time.Now().UTC(),
	}
	pl := p.NewPlan(rec, p.limit)
	if p.store != nil {
		if err := p.store.Begin(ctx, rec); err != nil {
			return nil, err
		}
	}
	p.log.InfoContext(ctx, "pipeline run started", "pipeline", p.name, "run", id, "trigger", trigger)

	x := &execution{p: p, rec: rec, outputs: make([]map[string]string, len(p.tasks))}
	x.schedule(ctx, pl)
	runErr := pl.Close(time.Now().UTC(), ctx.Err())
	p.log.InfoContext(ctx, "pipeline run ended", "pipeline", p.name, "run", id, "status", rec.Status, "duration", rec.Duration())
	if p.store != nil {
		// The end of the run is recorded even when ctx has been cancelled.
		if err := p.store.Finish(context.WithoutCancel(ctx), rec); err != nil {
			runErr = errors.Join(runErr, err)
		}
	}
	return rec, runErr
}

// schedule runs the tasks pl lets start, each on its own goroutine, until
// every task has ended or, once ctx ends, until those running have.
func (x *execution) schedule(ctx context.Context, pl *Plan) {
	// Buffered for every task so a finishing goroutine never blocks.
	done := make(chan taskResult, len(x.p.tasks))
	for !pl.Finished() {
		for ctx.Err() == nil {
			i, ok := pl.Next()
			if !ok {
				break
			}
			go func() { done <- x.runTask(ctx, i) }()
		}
		if pl.Running() == 0 {
			break // cancelled: what is left never starts
		}
		r := <-done
		x.outputs[r.i] = r.out
		pl.End(r.i, r.rec, r.err)
	}
}

// runTask runs the attempts of task i.
func (x *execution) runTask(ctx context.Context, i int) taskResult {
	n := &x.p.tasks[i]
	res := taskResult{i: i, rec: TaskRecord{Name: n.Name, Start: time.Now().UTC()}}
	if ctx.Err() != nil {
		// Cancelled before it could start.
		res.rec.Status = Canceled
		res.rec.End = res.rec.Start
		return res
	}
	for attempt := 1; ; attempt++ {
		res.rec.Attempts = attempt
		if x.p.log.Enabled(ctx, slog.LevelDebug) {
			x.p.log.DebugContext(ctx, "task attempt started", "pipeline", x.p.name, "run", x.rec.ID, "task", n.Name, "attempt", attempt)
		}
		tr := &TaskRun{run: x, task: i, attempt: attempt}
		err := x.attempt(ctx, n, tr)
		if err == nil {
			res.rec.Status = Succeeded
			res.out = tr.out
			res.rec.Outputs = maps.Clone(tr.out)
			break
		}
		res.err = err
		res.rec.Error = err.Error()
		if ctx.Err() != nil {
			res.rec.Status = Canceled
			break
		}
		if attempt >= n.retry.Attempts || isPermanent(err) {
			res.rec.Status = Failed
			x.p.log.WarnContext(ctx, "task failed", "pipeline", x.p.name, "run", x.rec.ID, "task", n.Name, "attempt", attempt, "err", err)
			break
		}
		wait := x.p.wait(n.retry, attempt)
		x.p.log.InfoContext(ctx, "task attempt failed, retrying", "pipeline", x.p.name, "run", x.rec.ID, "task", n.Name, "attempt", attempt, "wait", wait, "err", err)
		if !sleep(ctx, wait) {
			res.rec.Status = Canceled
			break
		}
	}
	res.rec.End = time.Now().UTC()
	return res
}

// attempt runs one attempt with the task's timeout and turns a panic into an
// error.
func (x *execution) attempt(ctx context.Context, n *node, tr *TaskRun) (err error) {
	actx := ctx
	if n.timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, n.timeout)
		defer cancel()
	}
	defer func() {
		if v := recover(); v != nil {
			x.p.log.ErrorContext(ctx, "task panicked", "pipeline", x.p.name, "task", n.Name, "panic", v, "stack", string(debug.Stack()))
			err = fmt.Errorf("%w: %v", ErrPanic, v)
		}
	}()
	err = n.Run(actx, tr)
	if err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("%w after %v: %w", ErrTimeout, n.timeout, err)
	}
	return err
}

// sleep waits for d or until ctx ends; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// permanent marks an error that must not be retried.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so the task fails at once instead of being retried
// (for example on invalid input, which no retry will fix). The error text and
// errors.Is matches are those of err.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

func isPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("pipeline: run id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
