package pipeline

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// overlapProbe is a task that takes d and records the most runs in progress
// at once.
type overlapProbe struct {
	mu         sync.Mutex
	cur, peak  int
	d          time.Duration
	startTimes []time.Duration // since base
	base       time.Time
	reasons    []string
}

func (o *overlapProbe) task() Task {
	return Task{Name: "train", Run: func(ctx context.Context, tr *TaskRun) error {
		o.mu.Lock()
		o.cur++
		o.peak = max(o.peak, o.cur)
		o.startTimes = append(o.startTimes, time.Since(o.base))
		o.reasons = append(o.reasons, tr.Param("reason"))
		o.mu.Unlock()
		defer func() { o.mu.Lock(); o.cur--; o.mu.Unlock() }()
		if !sleep(ctx, o.d) {
			return ctx.Err()
		}
		return nil
	}}
}

func TestSchedulerSkipsTicksWhileRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		probe := &overlapProbe{d: 150 * time.Second, base: time.Now()}
		p := mustNew(t, []Task{probe.task()}, nil)
		var triggers []string
		s := NewScheduler(p, &SchedulerOptions{
			Interval: time.Minute,
			OnRun:    func(rec *Record, _ error) { triggers = append(triggers, rec.Trigger+"/"+string(rec.Status)) },
		})
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute+30*time.Second)
		defer cancel()
		if err := s.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Run returned %v", err)
		}
		// Ticks every minute; a run takes 2.5 minutes: runs start at 1, 4,
		// 7 and 10 minutes, the ticks at 2, 3, 5, 6, 8 and 9 are skipped,
		// and the last run is cancelled at 10.5 minutes.
		want := []time.Duration{time.Minute, 4 * time.Minute, 7 * time.Minute, 10 * time.Minute}
		if diff := cmp.Diff(want, probe.startTimes); diff != "" {
			t.Errorf("run starts (-want +got):\n%s", diff)
		}
		if probe.peak != 1 {
			t.Errorf("%d runs overlapped", probe.peak)
		}
		wantStats := Stats{Scheduled: 4, Succeeded: 3, SkippedTicks: 6}
		if diff := cmp.Diff(wantStats, s.Stats()); diff != "" {
			t.Errorf("stats (-want +got):\n%s", diff)
		}
		wantTriggers := []string{"schedule/succeeded", "schedule/succeeded", "schedule/succeeded", "schedule/canceled"}
		if diff := cmp.Diff(wantTriggers, triggers); diff != "" {
			t.Errorf("runs (-want +got):\n%s", diff)
		}
		if err := s.Run(t.Context()); !errors.Is(err, ErrSchedulerStarted) {
			t.Errorf("second Run: %v, want ErrSchedulerStarted", err)
		}
	})
}

func TestSchedulerEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		probe := &overlapProbe{d: time.Minute, base: time.Now()}
		p := mustNew(t, []Task{probe.task()}, nil)
		s := NewScheduler(p, &SchedulerOptions{Params: map[string]string{"model": "pm"}})
		s.Fire("before start") // waits for Run
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()

		time.Sleep(30 * time.Second) // first run in progress
		s.Fire("drift: temperature")
		s.Fire("drift: vibration")
		s.Fire("drift: pressure")
		time.Sleep(5 * time.Minute) // both runs done, idle
		s.Fire("drift: rotation")   // starts at once
		time.Sleep(30 * time.Second)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v", err)
		}
		wantStarts := []time.Duration{0, time.Minute, 330 * time.Second}
		if diff := cmp.Diff(wantStarts, probe.startTimes); diff != "" {
			t.Errorf("run starts (-want +got):\n%s", diff)
		}
		wantReasons := []string{"before start", "drift: temperature", "drift: rotation"}
		if diff := cmp.Diff(wantReasons, probe.reasons); diff != "" {
			t.Errorf("reasons (-want +got):\n%s", diff)
		}
		wantStats := Stats{Triggered: 3, Succeeded: 2, CoalescedEvents: 2}
		if diff := cmp.Diff(wantStats, s.Stats()); diff != "" {
			t.Errorf("stats (-want +got):\n%s", diff)
		}
		if probe.peak != 1 {
			t.Errorf("%d runs overlapped", probe.peak)
		}
	})
}

func TestSchedulerCountsFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, []Task{{Name: "bad", Run: func(context.Context, *TaskRun) error { return errFlaky }}}, nil)
		var errs []error
		s := NewScheduler(p, &SchedulerOptions{Interval: time.Second, OnRun: func(_ *Record, err error) { errs = append(errs, err) }})
		ctx, cancel := context.WithTimeout(t.Context(), 3500*time.Millisecond)
		defer cancel()
		_ = s.Run(ctx)
		if got := s.Stats(); got.Failed != 3 || got.Scheduled != 3 {
			t.Errorf("stats %+v, want 3 scheduled and failed", got)
		}
		for _, err := range errs {
			if !errors.Is(err, ErrFailed) || !errors.Is(err, errFlaky) {
				t.Errorf("OnRun got %v", err)
			}
		}
	})
}

func TestSchedulerEventChannel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		probe := &overlapProbe{d: time.Minute, base: time.Now()}
		p := mustNew(t, []Task{probe.task()}, nil)
		events := make(chan string)
		s := NewScheduler(p, &SchedulerOptions{Events: events})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		events <- "drift: pressure"
		time.Sleep(10 * time.Second)
		events <- "drift: again" // during the run: one more run after it
		close(events)            // no longer read; Fire still works
		time.Sleep(5 * time.Minute)
		s.Fire("by hand")
		time.Sleep(2 * time.Minute)
		cancel()
		<-done
		want := []string{"drift: pressure", "drift: again", "by hand"}
		if diff := cmp.Diff(want, probe.reasons); diff != "" {
			t.Errorf("reasons (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]time.Duration{0, time.Minute, 310 * time.Second}, probe.startTimes); diff != "" {
			t.Errorf("run starts (-want +got):\n%s", diff)
		}
	})
}

func TestSchedulerRejectsBadOptions(t *testing.T) {
	p := mustNew(t, []Task{{Name: "t", Run: noop}}, nil)
	for name, s := range map[string]*Scheduler{
		"no pipeline":       NewScheduler(nil, nil),
		"negative interval": NewScheduler(p, &SchedulerOptions{Interval: -time.Second}),
	} {
		t.Run(name, func(t *testing.T) {
			if err := s.Run(t.Context()); !errors.Is(err, ErrInvalidSchedule) {
				t.Errorf("Run: %v, want ErrInvalidSchedule", err)
			}
		})
	}
}
