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

	"golang.org/x/sync/errgroup"
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
		Status:   Running,
		Start:    time.Now().UTC(),
		Tasks:    make([]TaskRecord, len(p.tasks)),
	}
	for i, n := range p.tasks {
		rec.Tasks[i] = TaskRecord{Name: n.Name, Status: Pending}
	}
	if p.store != nil {
		if err := p.store.Begin(ctx, rec); err != nil {
			return nil, err
		}
	}
	p.log.InfoContext(ctx, "pipeline run started", "pipeline", p.name, "run", id, "trigger", trigger)

	x := &execution{p: p, rec: rec, outputs: make([]map[string]string, len(p.tasks))}
	runErr := x.schedule(ctx)

	rec.End = time.Now().UTC()
	switch {
	case ctx.Err() != nil:
		rec.Status = Canceled
	case runErr != nil:
		rec.Status = Failed
	default:
		rec.Status = Succeeded
	}
	if runErr != nil {
		rec.Error = runErr.Error()
	}
	p.log.InfoContext(ctx, "pipeline run ended", "pipeline", p.name, "run", id, "status", rec.Status, "duration", rec.Duration())
	if p.store != nil {
		// The end of the run is recorded even when ctx has been cancelled.
		if err := p.store.Finish(context.WithoutCancel(ctx), rec); err != nil {
			runErr = errors.Join(runErr, err)
		}
	}
	return rec, runErr
}

// schedule runs the graph and fills x.rec.Tasks.
func (x *execution) schedule(ctx context.Context) error {
	p := x.p
	n := len(p.tasks)
	indeg := make([]int, n)
	for i := range p.tasks {
		indeg[i] = len(p.tasks[i].deps)
	}
	ready := append([]int(nil), p.roots...)
	// Buffered for every task so a finishing goroutine never blocks, even
	// while the loop below waits in g.Go for a free slot.
	done := make(chan taskResult, n)
	var g errgroup.Group
	g.SetLimit(p.limit)

	var firstErr error
	firstFailed := n
	running, left := 0, n
	for left > 0 {
		for len(ready) > 0 && ctx.Err() == nil {
			i := ready[0]
			ready = ready[1:]
			x.rec.Tasks[i].Status = Running
			running++
			g.Go(func() error {
				done <- x.runTask(ctx, i)
				return nil
			})
		}
		if running == 0 {
			break // cancelled: what is left never starts
		}
		r := <-done
		running--
		left--
		x.rec.Tasks[r.i] = r.rec
		x.outputs[r.i] = r.out
		switch r.rec.Status {
		case Succeeded:
			for _, d := range p.tasks[r.i].dependents {
				if indeg[d]--; indeg[d] == 0 && x.rec.Tasks[d].Status == Pending {
					ready = append(ready, d)
				}
			}
		case Failed:
			if r.i < firstFailed {
				firstFailed, firstErr = r.i, r.err
			}
			left -= x.skipDownstream(r.i)
		}
	}
	_ = g.Wait() // every goroutine has reported; this only joins them
	for i := range x.rec.Tasks {
		if t := &x.rec.Tasks[i]; t.Status == Pending || t.Status == Running {
			t.Status = Canceled
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pipeline %s: run %s: %w", p.name, x.rec.ID, err)
	}
	if firstErr != nil {
		return fmt.Errorf("%w: %s: %w", ErrFailed, p.tasks[firstFailed].Name, firstErr)
	}
	return nil
}

// skipDownstream marks every pending task downstream of failed as skipped and
// returns how many it marked.
func (x *execution) skipDownstream(failed int) int {
	marked := 0
	stack := append([]int(nil), x.p.tasks[failed].dependents...)
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		t := &x.rec.Tasks[i]
		if t.Status != Pending {
			continue
		}
		t.Status = Skipped
		t.Error = "upstream task " + x.p.tasks[failed].Name + " failed"
		marked++
		stack = append(stack, x.p.tasks[i].dependents...)
	}
	return marked
}

// runTask runs the attempts of task i.
func (x *execution) runTask(ctx context.Context, i int) taskResult {
	n := &x.p.tasks[i]
	res := taskResult{i: i, rec: TaskRecord{Name: n.Name, Start: time.Now().UTC()}}
	if ctx.Err() != nil {
		// Cancelled while waiting for a slot.
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
