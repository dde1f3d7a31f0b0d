package pipelinetest_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/pipeline"
	"github.com/sextant-ml/sextant/pipeline/pipelinetest"
)

// A user's test of a retraining graph: the export is flaky, the retry policy
// must absorb two failures, and the upload must not hang. Under synctest the
// backoffs (1s, 2s) and the timeout take no real time.
func TestRetrainingSurvivesAFlakyExport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pipelinetest.New(t, "retrain", []pipeline.Task{
			{Name: "export", Run: pipelinetest.Flaky(2, nil), Retry: &pipeline.Retry{Attempts: 3}},
			{Name: "train", Deps: []string{"export"}, Run: func(context.Context, *pipeline.TaskRun) error { return nil }},
			{Name: "upload", Run: pipelinetest.Hang(), Timeout: 10 * time.Second},
		}, nil)
		start := time.Now()
		rec, err := p.Run(t.Context(), nil)
		if !errors.Is(err, pipeline.ErrTimeout) {
			t.Fatalf("Run: %v, want the upload's timeout", err)
		}
		want := map[string]pipeline.Status{"export": pipeline.Succeeded, "train": pipeline.Succeeded, "upload": pipeline.Failed}
		if diff := cmp.Diff(want, pipelinetest.Statuses(rec)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		if export, _ := rec.Task("export"); export.Attempts != 3 {
			t.Errorf("export took %d attempts, want 3", export.Attempts)
		}
		if time.Since(start) != 10*time.Second {
			t.Errorf("run took %v of fake time, want 10s", time.Since(start))
		}
		stored, err := p.Store().Get(t.Context(), rec.ID)
		if err != nil || stored.Status != pipeline.Failed {
			t.Errorf("stored run %+v, %v", stored, err)
		}
	})
}

func TestFailAlwaysFails(t *testing.T) {
	p := pipelinetest.New(t, "p", []pipeline.Task{{Name: "a", Run: pipelinetest.Fail(), Retry: &pipeline.Retry{Attempts: 2, Backoff: time.Millisecond}}}, nil)
	rec, err := p.Run(t.Context(), nil)
	if !errors.Is(err, pipelinetest.ErrInjected) || rec.Tasks[0].Attempts != 2 {
		t.Fatalf("err %v, attempts %d", err, rec.Tasks[0].Attempts)
	}
}
