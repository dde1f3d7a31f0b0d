package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/pipeline"
)

// The tests of this file drive a Plan by hand, through the exported API an
// engine outside this module has, so every step is deterministic.

func nop(context.Context, *pipeline.TaskRun) error { return nil }

// graph returns a pipeline of tasks with no functions to speak of; deps
// maps each task, in declaration order, to what it depends on.
func graph(t *testing.T, names []string, deps map[string][]string) *pipeline.Pipeline {
	t.Helper()
	var tasks []pipeline.Task
	for _, n := range names {
		tasks = append(tasks, pipeline.Task{Name: n, Deps: deps[n], Run: nop})
	}
	p, err := pipeline.New("plan", tasks, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startAll takes every task the plan lets start now, by name.
func startAll(pl *pipeline.Plan, rec *pipeline.Record) []string {
	var got []string
	for {
		i, ok := pl.Next()
		if !ok {
			return got
		}
		got = append(got, rec.Tasks[i].Name)
	}
}

// end reports the named task's end with status st.
func end(t *testing.T, pl *pipeline.Plan, rec *pipeline.Record, name string, st pipeline.Status, err error) {
	t.Helper()
	i := slices.IndexFunc(rec.Tasks, func(tr pipeline.TaskRecord) bool { return tr.Name == name })
	if rec.Tasks[i].Status != pipeline.Running {
		t.Fatalf("%s ends while %s", name, rec.Tasks[i].Status)
	}
	tr := pipeline.TaskRecord{Name: name, Status: st, Attempts: 1}
	if err != nil {
		tr.Error = err.Error()
	}
	pl.End(i, tr, err)
}

func statusOf(rec *pipeline.Record) map[string]pipeline.Status {
	m := map[string]pipeline.Status{}
	for _, tr := range rec.Tasks {
		m[tr.Name] = tr.Status
	}
	return m
}

func TestPlanDiamondUnderALimit(t *testing.T) {
	// d is declared first: readiness follows the graph, not the list.
	p := graph(t, []string{"d", "a", "b", "c"}, map[string][]string{"b": {"a"}, "c": {"a"}, "d": {"b", "c"}})
	rec := &pipeline.Record{Pipeline: "plan", ID: "r1"}
	pl := p.NewPlan(rec, 1)
	if rec.Status != pipeline.Running || len(rec.Tasks) != 4 || rec.Tasks[0].Name != "d" || rec.Tasks[0].Status != pipeline.Pending {
		t.Fatalf("new plan: record %+v", rec)
	}
	steps := [][]string{}
	for !pl.Finished() {
		started := startAll(pl, rec)
		steps = append(steps, started)
		if len(started) == 0 {
			t.Fatalf("nothing can start with %d running: %v", pl.Running(), statusOf(rec))
		}
		if pl.Running() > 1 {
			t.Fatalf("%d running under a limit of 1", pl.Running())
		}
		end(t, pl, rec, started[0], pipeline.Succeeded, nil)
	}
	if want := [][]string{{"a"}, {"b"}, {"c"}, {"d"}}; !slices.EqualFunc(steps, want, slices.Equal) {
		t.Fatalf("started %v, want %v", steps, want)
	}
	at := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	if err := pl.Close(at, nil); err != nil || rec.Status != pipeline.Succeeded || !rec.End.Equal(at) || rec.Error != "" {
		t.Fatalf("Close = %v; record %s, end %v, error %q", err, rec.Status, rec.End, rec.Error)
	}
}

func TestPlanWithoutLimitStartsEveryReadyTask(t *testing.T) {
	p := graph(t, []string{"a", "b", "c", "join"}, map[string][]string{"join": {"a", "b", "c"}})
	rec := &pipeline.Record{}
	pl := p.NewPlan(rec, 0)
	if got := startAll(pl, rec); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("started %v, want the three roots in declaration order", got)
	}
	end(t, pl, rec, "b", pipeline.Succeeded, nil)
	end(t, pl, rec, "a", pipeline.Succeeded, nil)
	if got := startAll(pl, rec); got != nil {
		t.Fatalf("join started (%v) before c ended", got)
	}
	end(t, pl, rec, "c", pipeline.Succeeded, nil)
	if got := startAll(pl, rec); !slices.Equal(got, []string{"join"}) {
		t.Fatalf("started %v, want join", got)
	}
}

func TestPlanFailureSkipsDownstreamOnly(t *testing.T) {
	// a -> b -> c, and x on its own.
	p := graph(t, []string{"a", "b", "c", "x"}, map[string][]string{"b": {"a"}, "c": {"b"}})
	rec := &pipeline.Record{Pipeline: "plan", ID: "r2"}
	pl := p.NewPlan(rec, 0)
	startAll(pl, rec)
	boom := errors.New("bad rows")
	end(t, pl, rec, "a", pipeline.Failed, boom)
	if got := statusOf(rec); got["b"] != pipeline.Skipped || got["c"] != pipeline.Skipped || got["x"] != pipeline.Running {
		t.Fatalf("after a failed: %v", got)
	}
	if pl.Finished() {
		t.Fatal("finished while x runs")
	}
	if tr := rec.Tasks[1]; tr.Error != "upstream task a failed" {
		t.Fatalf("b's error %q", tr.Error)
	}
	end(t, pl, rec, "x", pipeline.Succeeded, nil)
	if !pl.Finished() || pl.Running() != 0 {
		t.Fatalf("finished %v with %d running", pl.Finished(), pl.Running())
	}
	err := pl.Close(time.Now(), nil)
	if !errors.Is(err, pipeline.ErrFailed) || !errors.Is(err, boom) || rec.Status != pipeline.Failed || rec.Error != err.Error() {
		t.Fatalf("Close = %v; record %s %q", err, rec.Status, rec.Error)
	}
}

func TestPlanReportsTheFirstFailedTaskInDeclarationOrder(t *testing.T) {
	p := graph(t, []string{"first", "second"}, nil)
	rec := &pipeline.Record{}
	pl := p.NewPlan(rec, 0)
	startAll(pl, rec)
	e1, e2 := errors.New("one"), errors.New("two")
	end(t, pl, rec, "second", pipeline.Failed, e2) // ends first
	end(t, pl, rec, "first", pipeline.Failed, e1)
	if err := pl.Close(time.Now(), nil); !errors.Is(err, e1) || errors.Is(err, e2) {
		t.Fatalf("Close = %v, want first's error", err)
	}
}

func TestPlanCloseAfterCancel(t *testing.T) {
	p := graph(t, []string{"a", "b", "c"}, map[string][]string{"c": {"a"}})
	rec := &pipeline.Record{Pipeline: "plan", ID: "r3"}
	pl := p.NewPlan(rec, 1)
	startAll(pl, rec) // a
	// The driver's context ends: a reports canceled, nothing else starts.
	end(t, pl, rec, "a", pipeline.Canceled, context.Canceled)
	if pl.Finished() {
		t.Fatal("finished with b and c never run")
	}
	err := pl.Close(time.Now(), context.Canceled)
	if !errors.Is(err, context.Canceled) || errors.Is(err, pipeline.ErrFailed) || rec.Status != pipeline.Canceled {
		t.Fatalf("Close = %v; record %s", err, rec.Status)
	}
	for _, tr := range rec.Tasks {
		if tr.Status != pipeline.Canceled {
			t.Fatalf("%s is %s after a cancelled run", tr.Name, tr.Status)
		}
	}
}

func TestPlanEndRefusesTasksNotRunning(t *testing.T) {
	p := graph(t, []string{"a", "b"}, map[string][]string{"b": {"a"}})
	rec := &pipeline.Record{}
	pl := p.NewPlan(rec, 1)
	mustPanic := func(what string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", what)
			}
		}()
		f()
	}
	mustPanic("End of a task Next did not return", func() { pl.End(1, pipeline.TaskRecord{Name: "b", Status: pipeline.Succeeded}, nil) })
	mustPanic("End of an index out of range", func() { pl.End(7, pipeline.TaskRecord{}, nil) })
	startAll(pl, rec)
	pl.End(0, pipeline.TaskRecord{Name: "a", Status: pipeline.Failed, Error: "broken"}, nil)
	mustPanic("a second End", func() { pl.End(0, pipeline.TaskRecord{Name: "a", Status: pipeline.Failed}, nil) })
	// A failure reported without an error carries its record's text.
	if err := pl.Close(time.Now(), nil); err == nil || err.Error() != "pipeline: task failed: a: broken" {
		t.Fatalf("Close = %v", err)
	}
}

func TestUpstream(t *testing.T) {
	p := graph(t, []string{"report", "load", "clean", "fit", "other"}, map[string][]string{
		"clean": {"load"}, "fit": {"clean"}, "report": {"fit", "load"},
	})
	for name, want := range map[string][]string{
		"report": {"load", "clean", "fit"},
		"fit":    {"load", "clean"},
		"load":   nil,
		"other":  nil,
	} {
		if got, ok := p.Upstream(name); !ok || !slices.Equal(got, want) {
			t.Errorf("Upstream(%s) = %v, %v; want %v", name, got, ok, want)
		}
	}
	if _, ok := p.Upstream("nope"); ok {
		t.Error("Upstream of an unknown task reports true")
	}
}

// An engine of one's own: a Plan decides what runs, RunAttempt runs it,
// here one task at a time on the calling goroutine.
func ExamplePlan() {
	say := func(ctx context.Context, tr *pipeline.TaskRun) error {
		fmt.Println("run", tr.Task())
		return nil
	}
	p, _ := pipeline.New("etl", []pipeline.Task{
		{Name: "report", Deps: []string{"train"}, Run: say},
		{Name: "load", Run: say},
		{Name: "train", Deps: []string{"load"}, Run: say},
	}, nil)
	ctx := context.Background()
	rec := &pipeline.Record{Pipeline: p.Name(), ID: "0123456789abcdef0123456789abcdef", Start: time.Now()}
	pl := p.NewPlan(rec, 1)
	for !pl.Finished() {
		i, ok := pl.Next()
		if !ok {
			break
		}
		tr := rec.Tasks[i]
		out, err := p.RunAttempt(ctx, pipeline.Attempt{RunID: rec.ID, Task: tr.Name, Attempt: 1})
		tr.Status, tr.Attempts, tr.Outputs = pipeline.Succeeded, 1, out
		if err != nil {
			tr.Status, tr.Error = pipeline.Failed, err.Error()
		}
		pl.End(i, tr, err)
	}
	fmt.Println(pl.Close(time.Now(), nil), rec.Status)
	// Output:
	// run load
	// run train
	// run report
	// <nil> succeeded
}
