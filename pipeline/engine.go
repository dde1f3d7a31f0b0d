package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
)

// The functions of this file let another engine schedule a pipeline's tasks
// (engines/temporal runs them as Temporal activities) while keeping this
// package's semantics: the graph and policies come from Task and Upstream,
// the order and the record from a Plan (plan.go), each attempt runs through
// RunAttempt exactly as Run runs it, and the record goes to the same Store
// through Begin and Finish.

// Task returns the named task as Run runs it: Deps without duplicates,
// Timeout with Options.Timeout applied, and Retry never nil, with
// Options.Retry and the documented defaults applied (Attempts at least 1,
// Backoff, MaxBackoff and Multiplier set).
func (p *Pipeline) Task(name string) (Task, bool) {
	i, ok := p.index[name]
	if !ok {
		return Task{}, false
	}
	n := &p.tasks[i]
	t := n.Task
	t.Deps = make([]string, len(n.deps))
	for k, d := range n.deps {
		t.Deps[k] = p.tasks[d].Name
	}
	t.Timeout = n.timeout
	r := n.retry
	t.Retry = &r
	return t, true
}

// Attempt names one attempt of one task for RunAttempt.
type Attempt struct {
	// RunID is the run's id, returned by TaskRun.RunID (32 hexadecimal digits).
	RunID string
	// Task is the task's name.
	Task string
	// Attempt is the attempt number, from 1.
	Attempt int
	// Params are the run's parameters, returned by TaskRun.Param.
	Params map[string]string
	// Inputs are the outputs of tasks that ran before this one, by task name.
	// TaskRun.Input shows only those of tasks upstream of this one.
	Inputs map[string]map[string]string
}

// RunAttempt runs one attempt of a task outside Run, for an engine that
// schedules the tasks itself: under the task's timeout (an overrun is an
// error matching ErrTimeout), a panic recovered as an error matching ErrPanic,
// with a TaskRun that shows a's run id, attempt, parameters and inputs. It
// returns the outputs the attempt set with TaskRun.Set and the attempt's
// error; whether that error may be retried is IsPermanent's answer. An
// unknown task is a permanent error.
func (p *Pipeline) RunAttempt(ctx context.Context, a Attempt) (map[string]string, error) {
	i, ok := p.index[a.Task]
	if !ok {
		return nil, Permanent(fmt.Errorf("pipeline: %s has no task %q", p.name, a.Task))
	}
	x := &execution{
		p:       p,
		rec:     &Record{Pipeline: p.name, ID: a.RunID, Params: a.Params},
		outputs: make([]map[string]string, len(p.tasks)),
	}
	for name, out := range a.Inputs {
		if j, ok := p.index[name]; ok {
			x.outputs[j] = out
		}
	}
	tr := &TaskRun{run: x, task: i, attempt: max(a.Attempt, 1)}
	err := x.attempt(ctx, &p.tasks[i], tr)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return maps.Clone(tr.out), err
}

// IsPermanent reports whether err, or an error it wraps, was marked by
// Permanent: Run does not retry it, and neither should another engine.
func IsPermanent(err error) bool { return isPermanent(err) }

// errRecorded stops an Append whose entry the log already holds.
var errRecorded = errors.New("pipeline: already recorded")

// Begin records that run rec has started, as Run does before its first task,
// for an engine that runs the pipeline elsewhere. It is idempotent, so an
// engine may retry it after a lost reply: when the store already holds run
// rec.ID, nothing is written.
func (s *Store) Begin(ctx context.Context, rec *Record) error {
	return s.appendOnce(ctx, entryStart, rec, func(_ *Record) bool { return true })
}

// Finish records how run rec ended, as Run does after its last task. It is
// idempotent: when the store already holds an end of run rec.ID (a status
// other than pending or running), nothing is written.
func (s *Store) Finish(ctx context.Context, rec *Record) error {
	return s.appendOnce(ctx, entryEnd, rec, func(old *Record) bool {
		return old.Status != Running && old.Status != Pending
	})
}

// appendOnce appends an entry for rec unless done reports that the stored
// state of the same run already has it. The check runs on the state the
// entry would follow, so two writers racing cannot both append.
func (s *Store) appendOnce(ctx context.Context, typ string, rec *Record, done func(old *Record) bool) error {
	if rec == nil || rec.ID == "" {
		return errors.New("pipeline: record a run: no run id")
	}
	if rec.Pipeline != s.name {
		return fmt.Errorf("pipeline: record a run of %q in the store of %q", rec.Pipeline, s.name)
	}
	data, err := encodeEntry(typ, rec)
	if err != nil {
		return err
	}
	_, _, err = s.log.Append(ctx, func(st *runs) ([]byte, error) {
		if i, ok := st.index[rec.ID]; ok && done(st.list[i]) {
			return nil, errRecorded
		}
		return data, nil
	})
	switch {
	case errors.Is(err, errRecorded):
		return nil
	case err != nil:
		return fmt.Errorf("pipeline: record run %s of %s: %w", rec.ID, s.name, err)
	}
	return nil
}
