package pipeline

import (
	"time"
)

// Status is the state of a run or of one task in it.
type Status string

// Statuses of runs and tasks.
const (
	// Pending: not started yet (a task); a run stays pending in the store only
	// if the process running it stopped before the run ended.
	Pending Status = "pending"
	// Running: the run has started and not ended (seen in the store).
	Running Status = "running"
	// Succeeded: every attempt needed has run and the last one returned nil.
	Succeeded Status = "succeeded"
	// Failed: the task's last attempt failed, or (a run) at least one task failed.
	Failed Status = "failed"
	// Skipped: the task did not run because a task it depends on failed.
	Skipped Status = "skipped"
	// Canceled: the run's context ended before the task or run finished.
	Canceled Status = "canceled"
)

// Record is the account of one run: what triggered it, when each task ran, how
// many attempts it took, how it ended and what it produced.
type Record struct {
	Pipeline string            `json:"pipeline"`
	ID       string            `json:"id"`
	Trigger  string            `json:"trigger"`
	Params   map[string]string `json:"params,omitempty"`
	Status   Status            `json:"status"`
	Start    time.Time         `json:"start"`
	End      time.Time         `json:"end,omitzero"`
	// Error is the run's error text when it did not succeed.
	Error string `json:"error,omitempty"`
	// Tasks are in declaration order.
	Tasks []TaskRecord `json:"tasks"`
}

// TaskRecord is the account of one task in a run.
type TaskRecord struct {
	Name   string    `json:"name"`
	Status Status    `json:"status"`
	Start  time.Time `json:"start,omitzero"`
	End    time.Time `json:"end,omitzero"`
	// Attempts counts the attempts started (0 for a task that never ran).
	Attempts int `json:"attempts"`
	// Error is the last attempt's error text, or why the task was skipped.
	Error string `json:"error,omitempty"`
	// Outputs are the values the successful attempt set with TaskRun.Set.
	Outputs map[string]string `json:"outputs,omitempty"`
}

// Task returns the record of the named task.
func (r *Record) Task(name string) (TaskRecord, bool) {
	for _, t := range r.Tasks {
		if t.Name == name {
			return t, true
		}
	}
	return TaskRecord{}, false
}

// Output returns the output key of the named task.
func (r *Record) Output(task, key string) (string, bool) {
	t, ok := r.Task(task)
	if !ok {
		return "", false
	}
	v, ok := t.Outputs[key]
	return v, ok
}

// Duration is End - Start, or 0 for a run that has not ended.
func (r *Record) Duration() time.Duration {
	if r.End.IsZero() {
		return 0
	}
	return r.End.Sub(r.Start)
}
