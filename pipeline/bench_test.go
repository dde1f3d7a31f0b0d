package pipeline

import (
	"context"
	"fmt"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
)

// benchTasks builds n no-op tasks, each depending on the one before when
// chain is set, otherwise all independent.
func benchTasks(n int, chain bool) []Task {
	tasks := make([]Task, n)
	for i := range tasks {
		tasks[i] = Task{Name: fmt.Sprint("t", i), Run: noop}
		if chain && i > 0 {
			tasks[i].Deps = []string{tasks[i-1].Name}
		}
	}
	return tasks
}

// BenchmarkSchedule measures the runner's overhead per task: scheduling,
// goroutine, record keeping, with tasks that do nothing. "direct" calls the
// same functions in a loop, the floor any runner is compared with.
func BenchmarkSchedule(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	for _, shape := range []struct {
		name  string
		chain bool
	}{{"wide", false}, {"chain", true}} {
		b.Run(shape.name, func(b *testing.B) {
			p, err := New("bench", benchTasks(n, shape.chain), nil)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := p.Run(ctx, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
		})
	}
	b.Run("direct", func(b *testing.B) {
		tasks := benchTasks(n, false)
		for b.Loop() {
			for i := range tasks {
				if err := tasks[i].Run(ctx, &TaskRun{}); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
	})
}

// BenchmarkRecordedRun measures a one-task run whose record goes to a
// bucket (two log entries), the fixed cost of auditing a run.
func BenchmarkRecordedRun(b *testing.B) {
	ctx := context.Background()
	for _, backend := range []string{"mem", "file"} {
		b.Run(backend, func(b *testing.B) {
			url := "mem://"
			if backend == "file" {
				url = "file://" + b.TempDir()
			}
			bk, err := artifact.OpenBucket(ctx, url)
			if err != nil {
				b.Fatal(err)
			}
			defer bk.Close()
			p, err := New("bench", benchTasks(1, false), &Options{Bucket: bk})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := p.Run(ctx, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
