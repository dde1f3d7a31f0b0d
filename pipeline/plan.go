package pipeline

import (
	"errors"
	"fmt"
	"time"
)

// A Plan keeps the books of one run of a pipeline: which tasks may start
// now, what each task's end releases or skips, and how the run ended. It
// does no I/O, reads no clock and starts no goroutine, so whatever runs
// the tasks drives it: Run with goroutines, engines/temporal with
// activities inside a workflow, which must decide the same way each time
// its history is replayed. Both then follow the same rules: a task starts
// once every task it depends on has succeeded, tasks become ready in the
// order their last dependency ends (roots in declaration order), at most
// the limit run at once, and a failed task skips every task downstream of
// it while independent branches go on.
//
// A driver calls Next until it returns false and starts each task it
// returns, waits for one of them to end and reports it with End, exactly
// once per task Next returned, and repeats while Finished is false and
// Running is above zero; then it calls Close. After cancellation it stops
// calling Next and reports the tasks still running as they end. A Plan is
// not safe for concurrent use.
type Plan struct {
	p       *Pipeline
	rec     *Record
	limit   int
	indeg   []int
	ready   []int
	started []bool // by Next and not yet ended; the Plan's own, whatever rec says
	running int
	left    int // tasks neither ended nor skipped

	firstFailed int // the failed task first in declaration order, or len(tasks)
	firstErr    error
}

// NewPlan starts the books of run rec: rec.Tasks is set to the pipeline's
// tasks in declaration order, pending, and rec.Status to Running. Task
// indexes in the Plan are indexes into rec.Tasks. At most limit tasks run
// at once; limit <= 0 means no limit.
func (p *Pipeline) NewPlan(rec *Record, limit int) *Plan {
	n := len(p.tasks)
	rec.Status = Running
	rec.Tasks = make([]TaskRecord, n)
	pl := &Plan{p: p, rec: rec, limit: limit, indeg: make([]int, n), ready: append([]int(nil), p.roots...), started: make([]bool, n), left: n, firstFailed: n}
	for i := range p.tasks {
		rec.Tasks[i] = TaskRecord{Name: p.tasks[i].Name, Status: Pending}
		pl.indeg[i] = len(p.tasks[i].deps)
	}
	return pl
}

// Next returns a task that may start now and marks it running in the
// record, or false when none may: none is ready, or limit tasks are
// running.
func (pl *Plan) Next() (int, bool) {
	if len(pl.ready) == 0 || (pl.limit > 0 && pl.running >= pl.limit) {
		return 0, false
	}
	i := pl.ready[0]
	pl.ready = pl.ready[1:]
	pl.rec.Tasks[i].Status = Running
	pl.started[i] = true
	pl.running++
	return i, true
}

// Running returns how many tasks Next has returned that have not ended.
func (pl *Plan) Running() int { return pl.running }

// Finished reports whether every task has ended or been skipped.
func (pl *Plan) Finished() bool { return pl.left == 0 }

// End records how task i, returned by Next, ended: tr replaces its record.
// A task that succeeded makes ready each task that was waiting only for
// it; one that failed skips every pending task downstream of it, and err,
// its error (tr.Error's text when nil), becomes the run's if it is the
// first failed task in declaration order. Any other status (Canceled)
// releases nothing. End panics for a task that Next did not return or
// that has ended already: the books would no longer add up.
func (pl *Plan) End(i int, tr TaskRecord, err error) {
	if i < 0 || i >= len(pl.started) || !pl.started[i] {
		panic(fmt.Sprintf("pipeline: Plan.End(%d) for a task that is not running", i))
	}
	pl.started[i] = false
	if tr.Status == Failed && err == nil {
		err = errors.New(tr.Error)
	}
	pl.rec.Tasks[i] = tr
	pl.running--
	pl.left--
	switch tr.Status {
	case Succeeded:
		for _, d := range pl.p.tasks[i].dependents {
			if pl.indeg[d]--; pl.indeg[d] == 0 && pl.rec.Tasks[d].Status == Pending {
				pl.ready = append(pl.ready, d)
			}
		}
	case Failed:
		if i < pl.firstFailed {
			pl.firstFailed, pl.firstErr = i, err
		}
		pl.left -= pl.skipDownstream(i)
	}
}

// skipDownstream marks every pending task downstream of failed as skipped
// and returns how many it marked.
func (pl *Plan) skipDownstream(failed int) int {
	marked := 0
	stack := append([]int(nil), pl.p.tasks[failed].dependents...)
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		t := &pl.rec.Tasks[i]
		if t.Status != Pending {
			continue
		}
		t.Status = Skipped
		t.Error = "upstream task " + pl.p.tasks[failed].Name + " failed"
		marked++
		stack = append(stack, pl.p.tasks[i].dependents...)
	}
	return marked
}

// Close ends the books at end: every task still pending or running is
// marked canceled, and the run's status, error and end are set. cause is
// why the run stopped early (the context's error), or nil. The error
// returned is the run's: with cause, one that wraps it; else, when a task
// failed, one that matches ErrFailed and wraps the first failed task's
// error; else nil. Its text becomes rec.Error.
func (pl *Plan) Close(end time.Time, cause error) error {
	for i := range pl.rec.Tasks {
		if t := &pl.rec.Tasks[i]; t.Status == Pending || t.Status == Running {
			t.Status = Canceled
		}
	}
	var err error
	switch {
	case cause != nil:
		pl.rec.Status = Canceled
		err = fmt.Errorf("pipeline %s: run %s: %w", pl.p.name, pl.rec.ID, cause)
	case pl.firstFailed < len(pl.p.tasks):
		pl.rec.Status = Failed
		err = fmt.Errorf("%w: %s: %w", ErrFailed, pl.p.tasks[pl.firstFailed].Name, pl.firstErr)
	default:
		pl.rec.Status = Succeeded
	}
	pl.rec.End = end
	if err != nil {
		pl.rec.Error = err.Error()
	}
	return err
}

// Upstream returns the names of the tasks upstream of the named one, whose
// outputs TaskRun.Input shows it, in declaration order; false for an
// unknown task.
func (p *Pipeline) Upstream(name string) ([]string, bool) {
	i, ok := p.index[name]
	if !ok {
		return nil, false
	}
	var up []string
	for j, a := range p.tasks[i].ancestors {
		if a {
			up = append(up, p.tasks[j].Name)
		}
	}
	return up, true
}
