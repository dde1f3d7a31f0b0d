package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"
)

// Errors returned by Scheduler.Run.
var (
	// ErrSchedulerStarted is returned by a second call of Scheduler.Run.
	ErrSchedulerStarted = errors.New("pipeline: scheduler already running")
	// ErrInvalidSchedule is returned by Scheduler.Run for a scheduler
	// without a pipeline or with a negative interval.
	ErrInvalidSchedule = errors.New("pipeline: invalid schedule")
)

// SchedulerOptions configures a Scheduler. The zero value, or nil, is valid.
type SchedulerOptions struct {
	// Interval between scheduled runs, the first one Interval after Run
	// starts; negative is an error. Default (0): no schedule, runs only on
	// events.
	Interval time.Duration
	// Events, when set, is read while Run runs: each value received is
	// handled as Fire(value); a closed channel is no longer read. It suits a
	// detector that reports on a channel. Default none: events come through
	// Fire only.
	Events <-chan string
	// Params are passed to every run; an event's reason is added as the
	// parameter "reason". Default none.
	Params map[string]string
	// OnRun is called after each run with its record and error, from the
	// scheduler's goroutine (the next run waits for it). The record is nil
	// when the run could not be recorded and so did not start. Default none.
	OnRun func(rec *Record, err error)
}

// Stats counts what a Scheduler has done.
type Stats struct {
	// Scheduled and Triggered count the runs started by the schedule and by
	// events.
	Scheduled, Triggered int
	// Succeeded and Failed count finished runs by outcome (a cancelled run
	// counts as neither; a run whose record could not be written, as failed).
	Succeeded, Failed int
	// SkippedTicks counts schedule ticks that came while a run was in
	// progress and so started nothing.
	SkippedTicks int
	// CoalescedEvents counts events folded into a run already waiting to start.
	CoalescedEvents int
}

// Scheduler starts runs of one pipeline on a schedule and on events, never
// two at a time: a tick that comes while a run is in progress is skipped and
// counted, and events that come while a run is in progress start one more
// run after it (however many they are), so a change signalled during a run is
// never lost. Its methods are safe for concurrent use.
type Scheduler struct {
	p       *Pipeline
	opts    SchedulerOptions
	started atomic.Bool
	wake    chan struct{}

	mu      sync.Mutex
	pending bool   // an event is waiting for a run
	reason  string // the first waiting event's reason
	stats   Stats
}

// NewScheduler returns a scheduler for p. Nothing runs until Run is called.
func NewScheduler(p *Pipeline, opts *SchedulerOptions) *Scheduler {
	s := &Scheduler{p: p, wake: make(chan struct{}, 1)}
	if opts != nil {
		s.opts = *opts
		s.opts.Params = maps.Clone(opts.Params)
	}
	return s
}

// Fire asks for a run, for example from a drift detector; it never blocks.
// The run starts at once if none is in progress, otherwise when the current
// one ends. Events before Run is called wait for it.
func (s *Scheduler) Fire(reason string) {
	s.mu.Lock()
	if s.pending {
		s.stats.CoalescedEvents++
	} else {
		s.pending, s.reason = true, reason
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // a wake-up is already queued
	}
}

// Stats returns the counts so far.
func (s *Scheduler) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

type runResult struct {
	rec *Record
	err error
}

// Run starts runs until ctx ends, then waits for the run in progress (which
// sees ctx cancelled) and returns ctx's error. It may be called once. A
// scheduler without a pipeline or with a negative interval returns an error
// matching ErrInvalidSchedule at once.
func (s *Scheduler) Run(ctx context.Context) error {
	switch {
	case s.p == nil:
		return fmt.Errorf("%w: no pipeline", ErrInvalidSchedule)
	case s.opts.Interval < 0:
		return fmt.Errorf("%w: negative interval %v", ErrInvalidSchedule, s.opts.Interval)
	}
	if !s.started.CompareAndSwap(false, true) {
		return ErrSchedulerStarted
	}
	var tick <-chan time.Time
	if s.opts.Interval > 0 {
		t := time.NewTicker(s.opts.Interval)
		defer t.Stop()
		tick = t.C
	}
	events := s.opts.Events
	done := make(chan runResult, 1)
	running := false
	start := func(trigger string, params map[string]string) {
		running = true
		go func() {
			rec, err := s.p.run(ctx, trigger, params)
			done <- runResult{rec, err}
		}()
	}
	startPending := func() {
		s.mu.Lock()
		ok, reason := s.pending, s.reason
		s.pending, s.reason = false, ""
		if ok {
			s.stats.Triggered++
		}
		s.mu.Unlock()
		if ok {
			params := maps.Clone(s.opts.Params)
			if params == nil {
				params = map[string]string{}
			}
			params["reason"] = reason
			start("event", params)
		}
	}
	for {
		select {
		case <-ctx.Done():
			if running {
				s.finished(<-done)
			}
			return ctx.Err()
		case <-tick:
			s.mu.Lock()
			if running {
				s.stats.SkippedTicks++
			} else {
				s.stats.Scheduled++
			}
			s.mu.Unlock()
			if running {
				s.p.log.InfoContext(ctx, "scheduled run skipped: previous run still in progress", "pipeline", s.p.name)
			} else {
				start("schedule", maps.Clone(s.opts.Params))
			}
		case reason, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			s.Fire(reason)
		case <-s.wake:
			if !running {
				startPending()
			}
		case r := <-done:
			running = false
			s.finished(r)
			startPending()
		}
	}
}

func (s *Scheduler) finished(r runResult) {
	s.mu.Lock()
	switch {
	case r.err == nil:
		s.stats.Succeeded++
	case r.rec == nil || r.rec.Status != Canceled:
		s.stats.Failed++
	}
	s.mu.Unlock()
	if s.opts.OnRun != nil {
		s.opts.OnRun(r.rec, r.err)
	}
}
