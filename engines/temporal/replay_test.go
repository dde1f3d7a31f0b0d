package temporal

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/sextant-ml/sextant/pipeline"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// A workflow's code must decide as it did when a history was written, or
// a run in flight fails on the next worker that replays it. The histories
// in testdata were recorded by an earlier release of the workflow
// (replayHistories names it); TestReplayRecordedHistories replays them
// with this one. To record them again, against a Temporal server started
// in the test:
//
//	cd engines/temporal && SEXTANT_RECORD_HISTORY=1 go test -run TestReplayRecordedHistories
//
// Record only with a release whose histories runs in flight may hold.

// replayHistories are the recorded histories, by the Input each ran with:
// recorded with the workflow of commit af12d5e, which scheduled tasks
// with its own loop before both drivers shared pipeline.Plan.
var replayHistories = map[string]Input{
	"limit-1.json":       {Concurrency: 1, Params: map[string]string{"rows": "10"}},
	"unlimited.json":     {Params: map[string]string{"rows": "10"}},
	"limit-2-drift.json": {Concurrency: 2, Trigger: "drift", Params: map[string]string{"rows": "3"}},
}

// replayPipeline has independent roots, a diamond, a permanent failure
// that skips its downstream, and tasks declared before their
// dependencies, so that the order in which tasks are scheduled depends on
// every rule the workflow follows.
func replayPipeline(t *testing.T) *pipeline.Pipeline {
	ok := func(key string) pipeline.Func {
		return func(ctx context.Context, tr *pipeline.TaskRun) error {
			tr.Set(key, tr.Task()+"/"+tr.Param("rows"))
			return nil
		}
	}
	tasks := []pipeline.Task{
		{Name: "report", Deps: []string{"join", "audit"}, Run: ok("r")},
		{Name: "join", Deps: []string{"left", "right"}, Run: ok("j")},
		{Name: "left", Deps: []string{"load"}, Run: ok("l")},
		{Name: "load", Run: ok("data")},
		{Name: "right", Deps: []string{"load"}, Run: ok("r")},
		{Name: "audit", Run: func(context.Context, *pipeline.TaskRun) error {
			return pipeline.Permanent(errors.New("audit rules missing"))
		}},
		{Name: "after-audit", Deps: []string{"audit"}, Run: ok("a")},
		{Name: "lone", Run: ok("x")},
	}
	p, err := pipeline.New("replay", tasks, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReplayRecordedHistories(t *testing.T) {
	p := replayPipeline(t)
	if os.Getenv("SEXTANT_RECORD_HISTORY") != "" {
		recordHistories(t, p)
		return
	}
	e, err := newEngine(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name := range replayHistories {
		t.Run(name, func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(e.workflow, workflow.RegisterOptions{Name: p.Name()})
			quiet := tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))
			if err := r.ReplayWorkflowHistoryFromJSONFile(quiet, filepath.Join("testdata", name)); err != nil {
				t.Fatalf("replay of a history the earlier workflow wrote: %v", err)
			}
		})
	}
}

// recordHistories runs each Input of replayHistories and writes its
// history to testdata.
func recordHistories(t *testing.T, p *pipeline.Pipeline) {
	e := newEnv(t)
	e.worker(t, "replay", p, nil)
	for name, in := range replayHistories {
		_, run, err := e.run(t, "replay", p, in)
		if !errors.Is(err, pipeline.ErrFailed) {
			t.Fatalf("%s: run ended with %v, want the audit task's failure", name, err)
		}
		var h historypb.History
		it := e.c.GetWorkflowHistory(t.Context(), run.GetID(), run.GetRunID(), false, 0)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			h.Events = append(h.Events, ev)
		}
		b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(&h)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", name), append(bytes.TrimSpace(b), '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
