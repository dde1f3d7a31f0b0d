package pipelinetest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sextant-ml/sextant/pipeline"
	"github.com/sextant-ml/sextant/pipeline/pipelinetest"
)

// Flaky, Fail and Hang are task functions with known failures, for checking
// what a graph does with them: the flaky export is absorbed by its retries,
// the evaluation fails for good and skips the upload downstream, and the
// hanging notification is ended by its timeout.
func ExampleFlaky() {
	p, err := pipeline.New("retrain", []pipeline.Task{
		{Name: "export", Run: pipelinetest.Flaky(2, nil), Retry: &pipeline.Retry{Attempts: 3, Backoff: time.Millisecond}},
		{Name: "evaluate", Deps: []string{"export"}, Run: pipelinetest.Fail()},
		{Name: "upload", Deps: []string{"evaluate"}, Run: func(context.Context, *pipeline.TaskRun) error { return nil }},
		{Name: "notify", Run: pipelinetest.Hang(), Timeout: 10 * time.Millisecond},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := p.Run(context.Background(), nil)
	fmt.Println("run failed:", errors.Is(err, pipeline.ErrFailed))
	statuses := pipelinetest.Statuses(rec)
	for _, name := range []string{"export", "evaluate", "upload", "notify"} {
		t, _ := rec.Task(name)
		fmt.Printf("%s: %s, %d attempts\n", name, statuses[name], t.Attempts)
		if statuses[name] != pipeline.Succeeded {
			fmt.Println("  ", t.Error)
		}
	}
	// Output:
	// run failed: true
	// export: succeeded, 3 attempts
	// evaluate: failed, 1 attempts
	//    pipelinetest: injected failure
	// upload: skipped, 0 attempts
	//    upstream task evaluate failed
	// notify: failed, 1 attempts
	//    pipeline: task timed out after 10ms: context deadline exceeded
}
