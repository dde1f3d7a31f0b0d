package pipeline

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"
)

func TestTaskAppliesDefaults(t *testing.T) {
	p, err := New("graph", []Task{
		{Name: "a", Run: noop},
		{Name: "b", Deps: []string{"a", "a"}, Run: noop, Timeout: time.Minute, Retry: &Retry{Attempts: 3}},
	}, &Options{Timeout: time.Second, Retry: Retry{Attempts: 2, Backoff: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	a, ok := p.Task("a")
	if !ok {
		t.Fatal("Task(a) not found")
	}
	if a.Timeout != time.Second || *a.Retry != (Retry{Attempts: 2, Backoff: time.Millisecond, MaxBackoff: 5 * time.Minute, Multiplier: 2}) || len(a.Deps) != 0 {
		t.Errorf("Task(a) = timeout %v retry %+v deps %v", a.Timeout, *a.Retry, a.Deps)
	}
	b, _ := p.Task("b")
	if b.Timeout != time.Minute || *b.Retry != (Retry{Attempts: 3, Backoff: time.Second, MaxBackoff: 5 * time.Minute, Multiplier: 2}) {
		t.Errorf("Task(b) = timeout %v retry %+v", b.Timeout, *b.Retry)
	}
	if diff := cmp.Diff([]string{"a"}, b.Deps); diff != "" {
		t.Errorf("Task(b).Deps (-want +got):\n%s", diff)
	}
	if _, ok := p.Task("c"); ok {
		t.Error("Task(c) found")
	}
}

func TestRunAttempt(t *testing.T) {
	p, err := New("attempts", []Task{
		{Name: "up", Run: noop},
		{Name: "side", Run: noop},
		{Name: "down", Deps: []string{"up"}, Timeout: 20 * time.Millisecond, Run: func(ctx context.Context, tr *TaskRun) error {
			up, okUp := tr.Input("up", "v")
			_, okSide := tr.Input("side", "v")
			tr.Set("seen", strings.Join([]string{tr.RunID(), tr.Param("p"), up, tr.Task(), tr.Pipeline()}, ","))
			switch {
			case !okUp || okSide:
				return errors.New("inputs beyond the task's ancestors are visible")
			case tr.Attempt() == 2:
				<-ctx.Done()
				return ctx.Err()
			case tr.Attempt() == 3:
				panic("boom")
			case tr.Attempt() == 4:
				return Permanent(errFlaky)
			}
			return nil
		}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := Attempt{
		RunID: "0123456789abcdef0123456789abcdef", Task: "down", Attempt: 1,
		Params: map[string]string{"p": "x"},
		Inputs: map[string]map[string]string{"up": {"v": "1"}, "side": {"v": "2"}},
	}
	out, err := p.RunAttempt(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"seen": "0123456789abcdef0123456789abcdef,x,1,down,attempts"}, out); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	a.Attempt = 2
	if _, err := p.RunAttempt(t.Context(), a); !errors.Is(err, ErrTimeout) || IsPermanent(err) {
		t.Errorf("attempt 2: err = %v, want ErrTimeout, retryable", err)
	}
	a.Attempt = 3
	if _, err := p.RunAttempt(t.Context(), a); !errors.Is(err, ErrPanic) || IsPermanent(err) {
		t.Errorf("attempt 3: err = %v, want ErrPanic, retryable", err)
	}
	a.Attempt = 4
	if _, err := p.RunAttempt(t.Context(), a); !errors.Is(err, errFlaky) || !IsPermanent(err) {
		t.Errorf("attempt 4: err = %v, want permanent errFlaky", err)
	}
	a.Task = "nope"
	if _, err := p.RunAttempt(t.Context(), a); err == nil || !IsPermanent(err) {
		t.Errorf("unknown task: err = %v, want a permanent error", err)
	}
}

func TestBeginFinishIdempotent(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			b := open(t)
			s, err := OpenStore(b, "elsewhere")
			if err != nil {
				t.Fatal(err)
			}
			start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			rec := &Record{Pipeline: "elsewhere", ID: "00000000000000000000000000000001", Trigger: "manual", Status: Running, Start: start,
				Tasks: []TaskRecord{{Name: "a", Status: Pending}}}
			// Retries after lost replies, some of them concurrent.
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(func() {
					if err := s.Begin(ctx, rec); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if got, err := s.Get(ctx, rec.ID); err != nil || got.Status != Running {
				t.Fatalf("after Begin: %+v, %v", got, err)
			}
			end := *rec
			end.Status, end.End = Succeeded, start.Add(time.Minute)
			end.Tasks = []TaskRecord{{Name: "a", Status: Succeeded, Attempts: 1, Outputs: map[string]string{"k": "v"}}}
			for range 3 {
				wg.Go(func() {
					if err := s.Finish(ctx, &end); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			// A late Begin retry after the end changes nothing either.
			if err := s.Begin(ctx, rec); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, rec.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(end, got); diff != "" {
				t.Errorf("stored record (-want +got):\n%s", diff)
			}
			n := 0
			if err := b.List(ctx, "pipelines/elsewhere/log/", func(string, *blob.ListObject) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
			if n != 2 {
				t.Errorf("log holds %d entries, want 2 (one start, one end)", n)
			}
			if err := s.Finish(ctx, &Record{Pipeline: "other", ID: rec.ID}); err == nil {
				t.Error("Finish accepted a record of another pipeline")
			}
		})
	}
}
