package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func noop(context.Context, *TaskRun) error { return nil }

// sleepTask returns a task function that waits d or until ctx ends.
func sleepTask(d time.Duration) Func {
	return func(ctx context.Context, _ *TaskRun) error {
		if !sleep(ctx, d) {
			return ctx.Err()
		}
		return nil
	}
}

func mustNew(t *testing.T, tasks []Task, opts *Options) *Pipeline {
	t.Helper()
	p, err := New("test", tasks, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

func statuses(rec *Record) map[string]Status {
	m := map[string]Status{}
	for _, t := range rec.Tasks {
		m[t.Name] = t.Status
	}
	return m
}

func TestNewRejectsBadGraphs(t *testing.T) {
	tests := []struct {
		name    string
		pipe    string
		tasks   []Task
		opts    *Options
		want    error
		message string // substring of the error text
	}{
		{name: "empty pipeline name", pipe: "", want: ErrInvalidName},
		{name: "slash in pipeline name", pipe: "a/b", want: ErrInvalidName},
		{name: "dot-dot pipeline name", pipe: "..", want: ErrInvalidName},
		{name: "empty task name", pipe: "p", tasks: []Task{{Name: "", Run: noop}}, want: ErrInvalidName},
		{name: "space in task name", pipe: "p", tasks: []Task{{Name: "a b", Run: noop}}, want: ErrInvalidName},
		{name: "long task name", pipe: "p", tasks: []Task{{Name: strings.Repeat("a", 129), Run: noop}}, want: ErrInvalidName},
		{
			name: "duplicate", pipe: "p",
			tasks: []Task{{Name: "a", Run: noop}, {Name: "b", Run: noop}, {Name: "a", Run: noop}},
			want:  ErrDuplicateTask, message: `"a"`,
		},
		{
			name: "missing dependency", pipe: "p",
			tasks: []Task{{Name: "a", Run: noop}, {Name: "b", Deps: []string{"a", "ghost"}, Run: noop}},
			want:  ErrMissingDependency, message: `b needs "ghost"`,
		},
		{
			name: "self dependency", pipe: "p",
			tasks: []Task{{Name: "a", Deps: []string{"a"}, Run: noop}},
			want:  ErrCycle, message: "a -> a",
		},
		{
			name: "three cycle", pipe: "p",
			tasks: []Task{
				{Name: "a", Deps: []string{"c"}, Run: noop},
				{Name: "b", Deps: []string{"a"}, Run: noop},
				{Name: "c", Deps: []string{"b"}, Run: noop},
			},
			want: ErrCycle, message: "a -> b -> c -> a",
		},
		{
			name: "cycle behind a valid prefix", pipe: "p",
			tasks: []Task{
				{Name: "root", Run: noop},
				{Name: "tail", Deps: []string{"x"}, Run: noop},
				{Name: "x", Deps: []string{"root", "y"}, Run: noop},
				{Name: "y", Deps: []string{"x"}, Run: noop},
			},
			want: ErrCycle, message: "x -> y -> x",
		},
		{name: "no function", pipe: "p", tasks: []Task{{Name: "a"}}, want: ErrInvalidTask},
		{name: "negative timeout", pipe: "p", tasks: []Task{{Name: "a", Run: noop, Timeout: -1}}, want: ErrInvalidTask},
		{name: "jitter above one", pipe: "p", tasks: []Task{{Name: "a", Run: noop, Retry: &Retry{Jitter: 1.5}}}, want: ErrInvalidTask},
		{name: "NaN jitter", pipe: "p", tasks: []Task{{Name: "a", Run: noop, Retry: &Retry{Jitter: math.NaN()}}}, want: ErrInvalidTask},
		{name: "multiplier below one", pipe: "p", tasks: []Task{{Name: "a", Run: noop, Retry: &Retry{Multiplier: 0.5}}}, want: ErrInvalidTask},
		{name: "negative attempts", pipe: "p", opts: &Options{Retry: Retry{Attempts: -1}}, want: ErrInvalidTask},
		{name: "negative concurrency", pipe: "p", opts: &Options{Concurrency: -1}, want: ErrInvalidTask},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.pipe, tt.tasks, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("New error = %v, want %v", err, tt.want)
			}
			if p != nil {
				t.Errorf("New returned a pipeline with error %v", err)
			}
			if !strings.HasPrefix(err.Error(), "pipeline: ") || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q: want prefix %q and %q in it", err, "pipeline: ", tt.message)
			}
		})
	}
}

func TestRunOrderAndOutputs(t *testing.T) {
	// A diamond with a tail and an independent task:
	//   load -> {features, labels} -> train -> register;  lint
	var (
		mu    sync.Mutex
		clock int
		start = map[string]int{}
		end   = map[string]int{}
	)
	deps := map[string][]string{
		"load":     nil,
		"features": {"load"},
		"labels":   {"load"},
		"train":    {"features", "labels"},
		"register": {"train"},
		"lint":     nil,
	}
	order := []string{"register", "train", "labels", "features", "load", "lint"} // declared backwards on purpose
	var tasks []Task
	for _, name := range order {
		tasks = append(tasks, Task{Name: name, Deps: deps[name], Run: func(ctx context.Context, tr *TaskRun) error {
			mu.Lock()
			clock++
			start[name] = clock
			mu.Unlock()
			tr.Set("by", name)
			switch name {
			case "train":
				// An ancestor two levels up, a direct one, and an
				// unrelated task, whose outputs must stay invisible.
				a, okA := tr.Input("load", "by")
				b, okB := tr.Input("features", "by")
				_, okC := tr.Input("lint", "by")
				_, okD := tr.Input("register", "by")
				tr.Set("seen", fmt.Sprintf("%s %v %s %v %v %v", a, okA, b, okB, okC, okD))
			case "register":
				tr.Set("run", tr.RunID())
				tr.Set("param", tr.Param("model"))
			}
			if !sleep(ctx, time.Duration(len(name))*time.Second) {
				return ctx.Err()
			}
			mu.Lock()
			clock++
			end[name] = clock
			mu.Unlock()
			return nil
		}})
	}
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, tasks, &Options{Concurrency: 4})
		rec, err := p.Run(t.Context(), map[string]string{"model": "churn"})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		for name, ds := range deps {
			for _, d := range ds {
				if start[name] < end[d] {
					t.Errorf("%s started at %d before its dependency %s ended at %d", name, start[name], d, end[d])
				}
			}
		}
		// load and lint start together; features and labels overlap.
		if start["labels"] > end["features"] || start["features"] > end["labels"] {
			t.Errorf("features and labels did not run in parallel: start %v end %v", start, end)
		}
		if got, want := rec.Status, Succeeded; got != want {
			t.Errorf("status %s, want %s", got, want)
		}
		if got, _ := rec.Output("train", "seen"); got != "load true features true false false" {
			t.Errorf("train saw inputs %q", got)
		}
		if got, _ := rec.Output("register", "run"); got != rec.ID || len(got) != 32 {
			t.Errorf("register saw run id %q, record id %q", got, rec.ID)
		}
		if got, _ := rec.Output("register", "param"); got != "churn" {
			t.Errorf("param = %q", got)
		}
		if diff := cmp.Diff(order, p.Tasks()); diff != "" {
			t.Errorf("Tasks() (-want +got):\n%s", diff)
		}
		for i, tr := range rec.Tasks {
			if tr.Name != order[i] || tr.Attempts != 1 {
				t.Errorf("task record %d = %+v", i, tr)
			}
		}
		// Critical path: load (4s) + features (8s) + train (5s) + register (8s).
		if got, want := rec.Duration(), 25*time.Second; got != want {
			t.Errorf("run took %v, want %v", got, want)
		}
	})
}

func TestRunConcurrencyLimit(t *testing.T) {
	for _, tt := range []struct {
		limit, tasks int
		wantPeak     int
		wantTime     time.Duration
	}{
		{limit: 1, tasks: 5, wantPeak: 1, wantTime: 5 * time.Second},
		{limit: 3, tasks: 10, wantPeak: 3, wantTime: 4 * time.Second},
		{limit: 16, tasks: 10, wantPeak: 10, wantTime: time.Second},
	} {
		t.Run(fmt.Sprintf("limit=%d/tasks=%d", tt.limit, tt.tasks), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				cur, peak := 0, 0
				var tasks []Task
				for i := range tt.tasks {
					tasks = append(tasks, Task{Name: fmt.Sprint("t", i), Run: func(ctx context.Context, _ *TaskRun) error {
						mu.Lock()
						cur++
						peak = max(peak, cur)
						mu.Unlock()
						defer func() { mu.Lock(); cur--; mu.Unlock() }()
						return sleepTask(time.Second)(ctx, nil)
					}})
				}
				rec, err := mustNew(t, tasks, &Options{Concurrency: tt.limit}).Run(t.Context(), nil)
				if err != nil {
					t.Fatal(err)
				}
				if peak != tt.wantPeak {
					t.Errorf("peak concurrency %d, want %d", peak, tt.wantPeak)
				}
				if rec.Duration() != tt.wantTime {
					t.Errorf("run took %v, want %v", rec.Duration(), tt.wantTime)
				}
			})
		})
	}
}

var errFlaky = errors.New("flaky")

func TestRetryBackoff(t *testing.T) {
	tests := []struct {
		name      string
		retry     Retry
		failures  int // attempts that fail before one succeeds
		permanent bool
		rand      float64
		wantGaps  []time.Duration // between attempt starts
		wantState Status
	}{
		{
			name:     "exponential with cap and jitter",
			retry:    Retry{Attempts: 5, Backoff: time.Second, Multiplier: 2, MaxBackoff: 3 * time.Second, Jitter: 0.5},
			failures: 3, rand: 0.5,
			// 1s, 2s, min(4s, 3s), each shortened by 0.5 × 0.5.
			wantGaps:  []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 2250 * time.Millisecond},
			wantState: Succeeded,
		},
		{
			name:      "defaults double from one second",
			retry:     Retry{Attempts: 4},
			failures:  10,
			wantGaps:  []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
			wantState: Failed,
		},
		{
			name:      "full jitter bound",
			retry:     Retry{Attempts: 2, Backoff: 10 * time.Second, Jitter: 1},
			failures:  10,
			rand:      0.75,
			wantGaps:  []time.Duration{2500 * time.Millisecond},
			wantState: Failed,
		},
		{
			name:      "permanent error is not retried",
			retry:     Retry{Attempts: 5},
			failures:  10,
			permanent: true,
			wantState: Failed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var starts []time.Time
				task := Task{Name: "flaky", Retry: &tt.retry, Run: func(ctx context.Context, tr *TaskRun) error {
					starts = append(starts, time.Now())
					if tr.Attempt() != len(starts) {
						t.Errorf("Attempt() = %d at call %d", tr.Attempt(), len(starts))
					}
					tr.Set("attempt", fmt.Sprint(tr.Attempt()))
					if len(starts) <= tt.failures {
						if tt.permanent {
							return Permanent(errFlaky)
						}
						return errFlaky
					}
					return nil
				}}
				p := mustNew(t, []Task{task}, &Options{Rand: func() float64 { return tt.rand }})
				rec, err := p.Run(t.Context(), nil)
				var gaps []time.Duration
				for i := 1; i < len(starts); i++ {
					gaps = append(gaps, starts[i].Sub(starts[i-1]))
				}
				if diff := cmp.Diff(tt.wantGaps, gaps); diff != "" {
					t.Errorf("waits between attempts (-want +got):\n%s", diff)
				}
				tr, _ := rec.Task("flaky")
				if tr.Status != tt.wantState || tr.Attempts != len(starts) {
					t.Errorf("task record %+v, want status %s after %d attempts", tr, tt.wantState, len(starts))
				}
				if tt.wantState == Succeeded {
					if err != nil || tr.Outputs["attempt"] != fmt.Sprint(len(starts)) {
						t.Errorf("err %v, outputs %v: want the last attempt's outputs only", err, tr.Outputs)
					}
					return
				}
				if !errors.Is(err, ErrFailed) || !errors.Is(err, errFlaky) {
					t.Errorf("Run error %v, want ErrFailed wrapping errFlaky", err)
				}
				if tr.Outputs != nil {
					t.Errorf("failed task kept outputs %v", tr.Outputs)
				}
			})
		})
	}
}

func TestRetryDelayDoesNotOverflow(t *testing.T) {
	r, err := Retry{Backoff: time.Hour, MaxBackoff: 1 << 62, Multiplier: 1e9}.normalize()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2, 10, 1000} {
		if d := r.delay(n); d <= 0 || d > 1<<62 {
			t.Errorf("delay(%d) = %v", n, d)
		}
	}
}

func TestTaskTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var attempts []time.Time
		tasks := []Task{
			{Name: "hang", Timeout: 2 * time.Second, Retry: &Retry{Attempts: 2, Backoff: time.Second},
				Run: func(ctx context.Context, _ *TaskRun) error {
					attempts = append(attempts, time.Now())
					<-ctx.Done()
					return ctx.Err()
				}},
			{Name: "after", Deps: []string{"hang"}, Run: noop},
			// The pipeline's default timeout applies to tasks without their own.
			{Name: "slow", Run: sleepTask(time.Minute)},
			{Name: "quick", Run: sleepTask(time.Second)},
		}
		p := mustNew(t, tasks, &Options{Timeout: 10 * time.Second})
		rec, err := p.Run(t.Context(), nil)
		if !errors.Is(err, ErrFailed) || !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Run error %v, want ErrFailed, ErrTimeout and DeadlineExceeded", err)
		}
		want := map[string]Status{"hang": Failed, "after": Skipped, "slow": Failed, "quick": Succeeded}
		if diff := cmp.Diff(want, statuses(rec)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		hang, _ := rec.Task("hang")
		if hang.Attempts != 2 || hang.End.Sub(hang.Start) != 5*time.Second {
			t.Errorf("hang: %d attempts in %v, want 2 in 5s", hang.Attempts, hang.End.Sub(hang.Start))
		}
		if !strings.Contains(hang.Error, "timed out after 2s") {
			t.Errorf("hang error %q", hang.Error)
		}
		slow, _ := rec.Task("slow")
		if slow.End.Sub(slow.Start) != 10*time.Second {
			t.Errorf("slow ran %v, want the default timeout of 10s", slow.End.Sub(slow.Start))
		}
	})
}

func TestRunCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(3*time.Second, cancel)
		calls := map[string]int{}
		var mu sync.Mutex
		counted := func(name string, f Func) Task {
			return Task{Name: name, Run: func(ctx context.Context, tr *TaskRun) error {
				mu.Lock()
				calls[name]++
				mu.Unlock()
				return f(ctx, tr)
			}}
		}
		long := counted("long", sleepTask(10*time.Second))
		long.Retry = &Retry{Attempts: 3}
		next := counted("next", noop)
		next.Deps = []string{"long"}
		waiting := counted("waiting", noop) // gets the only slot after cancellation
		quick := counted("quick", sleepTask(time.Second))
		p := mustNew(t, []Task{quick, long, next, waiting}, &Options{Concurrency: 1})
		start := time.Now()
		rec, err := p.Run(ctx, nil)
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrFailed) {
			t.Fatalf("Run error %v, want context.Canceled only", err)
		}
		if time.Since(start) != 3*time.Second || rec.Status != Canceled {
			t.Errorf("run ended after %v with status %s, want 3s and canceled", time.Since(start), rec.Status)
		}
		want := map[string]Status{"quick": Succeeded, "long": Canceled, "next": Canceled, "waiting": Canceled}
		if diff := cmp.Diff(want, statuses(rec)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		// long was not retried after cancellation; next and waiting never ran.
		if diff := cmp.Diff(map[string]int{"quick": 1, "long": 1}, calls); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
		if w, _ := rec.Task("waiting"); w.Attempts != 0 {
			t.Errorf("waiting, which never had a slot, made %d attempts", w.Attempts)
		}
	})
}

func TestRunCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	p := mustNew(t, []Task{{Name: "a", Run: func(context.Context, *TaskRun) error { ran = true; return nil }}}, nil)
	rec, err := p.Run(ctx, nil)
	if !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("err %v, ran %v", err, ran)
	}
	if got := rec.Tasks[0]; got.Status != Canceled || got.Attempts != 0 {
		t.Errorf("task %+v", got)
	}
}

func TestFailureSkipsDownstreamOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errBroken := errors.New("broken input")
		tasks := []Task{
			{Name: "a", Run: func(context.Context, *TaskRun) error { return errBroken }},
			{Name: "b", Deps: []string{"a"}, Run: noop},
			{Name: "c", Deps: []string{"b"}, Run: noop},
			{Name: "x", Run: sleepTask(5 * time.Second)}, // still running when a fails
			{Name: "y", Deps: []string{"x"}, Run: sleepTask(time.Second)},
			{Name: "d", Deps: []string{"y", "a"}, Run: noop}, // joins both branches
			{Name: "e", Run: func(context.Context, *TaskRun) error { return errors.New("second failure") }},
		}
		rec, err := mustNew(t, tasks, &Options{Concurrency: 4}).Run(t.Context(), nil)
		if !errors.Is(err, ErrFailed) || !errors.Is(err, errBroken) {
			t.Fatalf("Run error %v, want ErrFailed wrapping the first task's error", err)
		}
		if !strings.Contains(err.Error(), ": a: broken input") {
			t.Errorf("error %q does not name task a", err)
		}
		want := map[string]Status{"a": Failed, "b": Skipped, "c": Skipped, "x": Succeeded, "y": Succeeded, "d": Skipped, "e": Failed}
		if diff := cmp.Diff(want, statuses(rec)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		for _, name := range []string{"b", "c", "d"} {
			if tr, _ := rec.Task(name); tr.Attempts != 0 || tr.Error != "upstream task a failed" {
				t.Errorf("%s: %+v", name, tr)
			}
		}
		if rec.Status != Failed || rec.Duration() != 6*time.Second {
			t.Errorf("run %s after %v, want failed after 6s", rec.Status, rec.Duration())
		}
	})
}

func TestPanicBecomesError(t *testing.T) {
	p := mustNew(t, []Task{{Name: "p", Run: func(context.Context, *TaskRun) error { panic("boom") }}}, nil)
	rec, err := p.Run(t.Context(), nil)
	if !errors.Is(err, ErrPanic) || rec.Tasks[0].Status != Failed || !strings.Contains(rec.Tasks[0].Error, "boom") {
		t.Fatalf("err %v, task %+v", err, rec.Tasks[0])
	}
}

func TestEmptyPipelineSucceeds(t *testing.T) {
	rec, err := mustNew(t, nil, nil).Run(t.Context(), nil)
	if err != nil || rec.Status != Succeeded {
		t.Fatalf("err %v, status %s", err, rec.Status)
	}
}

func TestCancelCutsBackoffShort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(10*time.Second, cancel)
		calls := 0
		task := Task{Name: "flaky", Retry: &Retry{Attempts: 3, Backoff: time.Hour},
			Run: func(context.Context, *TaskRun) error { calls++; return errFlaky }}
		start := time.Now()
		rec, err := mustNew(t, []Task{task}, nil).Run(ctx, nil)
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrFailed) {
			t.Fatalf("Run error %v, want context.Canceled only", err)
		}
		// The hour's wait after the first failure ends with the context.
		if got := time.Since(start); got != 10*time.Second {
			t.Errorf("run ended after %v, want 10s", got)
		}
		tr, _ := rec.Task("flaky")
		if calls != 1 || tr.Attempts != 1 || tr.Status != Canceled || rec.Status != Canceled {
			t.Errorf("%d calls, task %+v, run %s: want one attempt, then canceled", calls, tr, rec.Status)
		}
		if !strings.Contains(tr.Error, "flaky") {
			t.Errorf("task error %q: want the failed attempt's error kept", tr.Error)
		}
	})
}

// TestConcurrentRunsShareNothing runs one pipeline several times at once:
// each run sees its own parameters and upstream outputs, never another's.
func TestConcurrentRunsShareNothing(t *testing.T) {
	tasks := []Task{
		{Name: "a", Run: func(ctx context.Context, tr *TaskRun) error {
			tr.Set("v", tr.Param("n"))
			return sleepTask(time.Millisecond)(ctx, tr)
		}},
		{Name: "b", Deps: []string{"a"}, Run: func(_ context.Context, tr *TaskRun) error {
			v, _ := tr.Input("a", "v")
			tr.Set("v", v+"/"+tr.RunID())
			return nil
		}},
	}
	p := mustNew(t, tasks, &Options{Concurrency: 2})
	const runs = 8
	recs := make([]*Record, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			rec, err := p.Run(t.Context(), map[string]string{"n": fmt.Sprint(i)})
			if err != nil {
				t.Error(err)
			}
			recs[i] = rec
		})
	}
	wg.Wait()
	ids := map[string]bool{}
	for i, rec := range recs {
		if rec == nil {
			continue
		}
		ids[rec.ID] = true
		if got, want := mustOutputOf(rec, "b", "v"), fmt.Sprintf("%d/%s", i, rec.ID); got != want {
			t.Errorf("run %d: b's output %q, want %q", i, got, want)
		}
	}
	if len(ids) != runs {
		t.Errorf("%d distinct run ids for %d runs", len(ids), runs)
	}
}

func mustOutputOf(rec *Record, task, key string) string {
	v, _ := rec.Output(task, key)
	return v
}

// TestBackoffKeepsSlot checks the documented rule that a task waiting out a
// backoff holds its slot: with one slot, an independent task starts only
// after the retried one has finished.
func TestBackoffKeepsSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := time.Now()
		var bStart time.Duration
		tasks := []Task{
			{Name: "a", Run: failFirst(1), Retry: &Retry{Attempts: 2, Backoff: 10 * time.Second}},
			{Name: "b", Run: func(context.Context, *TaskRun) error { bStart = time.Since(base); return nil }},
		}
		rec, err := mustNew(t, tasks, &Options{Concurrency: 1}).Run(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if a, _ := rec.Task("a"); a.Attempts != 2 || bStart != 10*time.Second {
			t.Errorf("a took %d attempts; b started at %v, want after a's 10s backoff", a.Attempts, bStart)
		}
	})
}

// failFirst fails the first n calls.
func failFirst(n int) Func {
	calls := 0
	return func(context.Context, *TaskRun) error {
		if calls++; calls <= n {
			return errFlaky
		}
		return nil
	}
}
