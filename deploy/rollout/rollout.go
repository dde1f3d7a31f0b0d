package rollout

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sextant-ml/sextant/internal/errkind"
	"github.com/sextant-ml/sextant/rbac"
)

// Sentinel errors. Every error returned by this package matches one of
// them with errors.Is, or wraps the error of a user-supplied dependency.
var (
	// ErrInvalid reports a bad argument, configuration or saved state.
	ErrInvalid = errkind.New("rollout: invalid argument", fs.ErrInvalid)
	// ErrFinished reports an operation on a rollout that already ended.
	ErrFinished = errors.New("rollout: already finished")
	// ErrRunning reports a second concurrent Run of one rollout.
	ErrRunning = errors.New("rollout: already running")
)

// Traffic is what a rollout steers: *deploy.Router satisfies it.
type Traffic interface {
	// SetCanary routes percent (0 to 100) of the traffic to canary and
	// the rest to stable.
	SetCanary(stable, canary string, percent float64) error
}

// AliasSetter moves a model registry alias. Promotion calls it with the
// promoted version's name as the router knows it; an adapter over a
// registry whose versions are numbers converts that name (for example
// with strconv.Atoi).
type AliasSetter interface {
	SetAlias(ctx context.Context, model, alias, version string) error
}

// NumberedAliasSetter moves an alias to a version known by its number;
// *registry.Registry satisfies it.
type NumberedAliasSetter interface {
	SetAlias(ctx context.Context, model, alias string, version int) error
}

// NumberedAliases adapts a registry whose versions are numbers to
// AliasSetter: the router's version names are those numbers in decimal
// ("3"). A name that is not one is refused with ErrInvalid and the alias
// does not move.
func NumberedAliases(s NumberedAliasSetter) AliasSetter { return numbered{s} }

type numbered struct{ s NumberedAliasSetter }

func (n numbered) SetAlias(ctx context.Context, model, alias, version string) error {
	v, err := strconv.Atoi(version)
	if err != nil || v < 1 || strconv.Itoa(v) != version {
		return fmt.Errorf("%w: version %q of model %q is not a registry version number", ErrInvalid, version, model)
	}
	return n.s.SetAlias(ctx, model, alias, v)
}

// MetricsSink receives a rollout's traffic weights (percent, 0 to 100)
// and phase on every transition, for a metrics system to expose.
type MetricsSink interface {
	SetRolloutWeight(model, version string, weight float64)
	SetRolloutPhase(model, phase string)
}

// Authorizer decides whether the subject in ctx may act; nil error
// means allowed. rbac's compiled authorizer satisfies it.
type Authorizer = rbac.Checker

// Phase is where a rollout is.
type Phase string

const (
	// Progressing: steps are being carried out.
	Progressing Phase = "progressing"
	// Paused: waiting for Resume (a pause step, an inconclusive analysis
	// or a manual pause).
	Paused Phase = "paused"
	// Promoted: the canary took all traffic; final.
	Promoted Phase = "promoted"
	// RolledBack: analysis failed and all traffic went back to stable; final.
	RolledBack Phase = "rolled-back"
	// Aborted: stopped by hand, all traffic back to stable; final.
	Aborted Phase = "aborted"
)

// Final reports whether the phase ends the rollout.
func (p Phase) Final() bool { return p == Promoted || p == RolledBack || p == Aborted }

type stepKind int

const (
	stepWeight stepKind = iota + 1
	stepPause
	stepAnalysis
)

// Step is one step of a rollout: SetWeight, Pause or Analyze.
type Step struct {
	kind     stepKind
	weight   float64
	pause    time.Duration
	analysis *Analysis
}

// SetWeight routes percent (0 to 100) of the traffic to the canary.
func SetWeight(percent float64) Step { return Step{kind: stepWeight, weight: percent} }

// Pause waits for d, or until Resume when d <= 0.
func Pause(d time.Duration) Step { return Step{kind: stepPause, pause: d} }

// Analyze measures the canary until the analysis passes, fails or is
// inconclusive; see Analysis.
func Analyze(a Analysis) Step { return Step{kind: stepAnalysis, analysis: &a} }

func (s Step) String() string {
	switch s.kind {
	case stepWeight:
		return fmt.Sprintf("set weight %g%%", s.weight)
	case stepPause:
		if s.pause <= 0 {
			return "pause until resumed"
		}
		return fmt.Sprintf("pause %s", s.pause)
	case stepAnalysis:
		return fmt.Sprintf("analyze %d×%s", s.analysis.count(), s.analysis.interval())
	}
	return "invalid step"
}

// Analysis measures a canary every Interval, Count times at most, with
// every check, and decides:
//   - Fail (roll back) when more than FailureLimit measurements failed,
//     or ConsecutiveFailureLimit failed in a row;
//   - Error (roll back) when more than ConsecutiveErrorLimit measurements
//     in a row could not be taken;
//   - Pass (next step) after ConsecutiveSuccessLimit passes in a row, or
//     after Count measurements when at least one passed and at most
//     InconclusiveLimit were inconclusive or errors;
//   - otherwise Inconclusive (pause for a human, who may resume or abort).
//
// A measurement passes only when every check passes, so a window
// without traffic is never a pass.
type Analysis struct {
	Checks []Check
	// Interval between measurements; each measurement covers the last
	// Interval. Default 1 minute.
	Interval time.Duration
	// Count of measurements. Default 5.
	Count int
	// FailureLimit is how many failed measurements are tolerated. Default 0.
	FailureLimit int
	// ConsecutiveFailureLimit fails the analysis at this many failures
	// in a row. Default 0: off.
	ConsecutiveFailureLimit int
	// ConsecutiveSuccessLimit passes the analysis early at this many
	// passes in a row. Default 0: off.
	ConsecutiveSuccessLimit int
	// InconclusiveLimit is how many inconclusive (or error) measurements
	// still allow a pass at the end. Default 0.
	InconclusiveLimit int
	// ConsecutiveErrorLimit: more errors in a row than this end the
	// analysis with Error. Default 4.
	ConsecutiveErrorLimit int
}

func (a *Analysis) interval() time.Duration {
	if a.Interval <= 0 {
		return time.Minute
	}
	return a.Interval
}

func (a *Analysis) count() int {
	if a.Count <= 0 {
		return 5
	}
	return a.Count
}

func (a *Analysis) errorLimit() int {
	if a.ConsecutiveErrorLimit <= 0 {
		return 4
	}
	return a.ConsecutiveErrorLimit
}

// AnalysisState counts the measurements of the current analysis step.
type AnalysisState struct {
	Measurements         int `json:"measurements"`
	Passes               int `json:"passes"`
	Failures             int `json:"failures"`
	Inconclusives        int `json:"inconclusives"`
	Errors               int `json:"errors"`
	ConsecutiveFailures  int `json:"consecutiveFailures"`
	ConsecutiveSuccesses int `json:"consecutiveSuccesses"`
	ConsecutiveErrors    int `json:"consecutiveErrors"`
	// Last is the end of the last measured window.
	Last time.Time `json:"last,omitzero"`
}

// State is a rollout's persisted state.
type State struct {
	Model  string `json:"model"`
	Stable string `json:"stable"`
	Canary string `json:"canary"`
	Phase  Phase  `json:"phase"`
	// Step is the index of the current step; len(steps) when all done.
	Step int `json:"step"`
	// Weight is the canary's share of traffic, in percent.
	Weight      float64   `json:"weight"`
	StepStarted time.Time `json:"stepStarted"`
	// ResumeAdvances is set while paused at the end of a step (a pause
	// step or an inconclusive analysis): Resume then moves to the next step.
	ResumeAdvances bool          `json:"resumeAdvances,omitempty"`
	Analysis       AnalysisState `json:"analysis"`
	Reason         string        `json:"reason"`
	// Revision increases with every transition.
	Revision int64     `json:"revision"`
	Updated  time.Time `json:"updated"`
}

// valid checks a restored state against a rollout of n steps, so that
// a damaged or foreign state object is refused rather than acted on.
func (st *State) valid(n int) error {
	switch st.Phase {
	case Progressing, Paused, Promoted, RolledBack, Aborted:
	default:
		return fmt.Errorf("%w: saved rollout state has unknown phase %q", ErrInvalid, st.Phase)
	}
	if st.Step < 0 || st.Step > n {
		return fmt.Errorf("%w: saved rollout state is at step %d of a rollout of %d steps", ErrInvalid, st.Step, n)
	}
	if !(st.Weight >= 0 && st.Weight <= 100) {
		return fmt.Errorf("%w: saved rollout state has weight %v", ErrInvalid, st.Weight)
	}
	return nil
}

// Event types.
const (
	EventStarted     = "started"
	EventRestored    = "restored"
	EventWeight      = "weight"
	EventStepDone    = "step-done"
	EventMeasurement = "measurement"
	EventPaused      = "paused"
	EventResumed     = "resumed"
	EventPromoted    = "promoted"
	EventRolledBack  = "rolled-back"
	EventAborted     = "aborted"
	EventRetried     = "retried"
)

// Event reports one transition of a rollout, with the reason for it.
type Event struct {
	Time   time.Time
	Model  string
	Type   string
	Phase  Phase
	Step   int
	Weight float64
	Reason string
	// Outcome and Measurements are set on measurement events.
	Outcome      Outcome
	Measurements []Measurement
}

// Spec says what to roll out.
type Spec struct {
	Model  string
	Stable string
	Canary string
	Steps  []Step
}

// Options configures a Rollout. The zero value is usable.
type Options struct {
	// Store persists state so that a restart resumes. Default none: a
	// restart starts over.
	Store Store
	// Source gives the windowed statistics that the checks ErrorRate,
	// LatencyQuantile and Judge read; a *monitor.Metrics fed by the
	// router (RouterOptions.Observer) is one. Default none: those checks
	// are Error.
	Source Source
	// Aliases moves Alias to the canary on promotion. Default none.
	Aliases AliasSetter
	// Alias is the alias promotion moves. Default "production".
	Alias string
	// Metrics receives weights and phase. Default none.
	Metrics MetricsSink
	// OnEvent is called, synchronously and in order, with every event.
	// It must not call the rollout's methods. Default none.
	OnEvent func(Event)
	// BeforePromote runs before promotion; an error rolls back instead.
	// It must not call the rollout's methods. Default none.
	BeforePromote func(ctx context.Context, st State) error
	// AfterRollback runs after a rollback or an abort. It must not call
	// the rollout's methods. Default none.
	AfterRollback func(ctx context.Context, st State)
	// Logger receives every event at info level. Default discards.
	Logger *slog.Logger
	// Authorizer, when set, is asked before every manual operation on
	// resource "deployments" named after the model: verb "promote" for
	// Promote, "rollback" for Abort, "update" for Pause and Resume,
	// "deploy" for Retry.
	// Default none: everything is allowed.
	Authorizer Authorizer
}

// Rollout moves traffic from a stable version to a canary step by step,
// promoting it when the evidence is good and rolling back when it is bad.
type Rollout struct {
	spec    Spec
	traffic Traffic
	opts    Options
	log     *slog.Logger
	kick    chan struct{}
	running atomic.Bool

	mu     sync.Mutex
	loaded bool
	st     State
}

// New validates spec and returns a rollout; nothing happens until Run or
// a manual operation. opts may be nil.
func New(traffic Traffic, spec Spec, opts *Options) (*Rollout, error) {
	if traffic == nil {
		return nil, fmt.Errorf("%w: rollout needs a traffic splitter", ErrInvalid)
	}
	if spec.Model == "" || spec.Stable == "" || spec.Canary == "" || spec.Stable == spec.Canary {
		return nil, fmt.Errorf("%w: rollout needs a model and two distinct versions", ErrInvalid)
	}
	for i, s := range spec.Steps {
		switch s.kind {
		case stepWeight:
			if !(s.weight >= 0 && s.weight <= 100) {
				return nil, fmt.Errorf("%w: step %d: weight %v not in [0, 100]", ErrInvalid, i, s.weight)
			}
		case stepPause:
		case stepAnalysis:
			a := s.analysis
			if len(a.Checks) == 0 {
				return nil, fmt.Errorf("%w: step %d: analysis without checks", ErrInvalid, i)
			}
			if slices.Contains(a.Checks, nil) {
				return nil, fmt.Errorf("%w: step %d: nil check", ErrInvalid, i)
			}
			if min(a.FailureLimit, a.ConsecutiveFailureLimit, a.ConsecutiveSuccessLimit, a.InconclusiveLimit, a.ConsecutiveErrorLimit) < 0 {
				return nil, fmt.Errorf("%w: step %d: negative analysis limit", ErrInvalid, i)
			}
		default:
			return nil, fmt.Errorf("%w: step %d is not made by SetWeight, Pause or Analyze", ErrInvalid, i)
		}
	}
	r := &Rollout{spec: spec, traffic: traffic, kick: make(chan struct{}, 1)}
	if opts != nil {
		r.opts = *opts
	}
	if r.opts.Alias == "" {
		r.opts.Alias = "production"
	}
	r.log = r.opts.Logger
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r, nil
}

// State returns a copy of the current state. Before Run or another
// method has started the rollout (or restored its saved state), it holds
// the Spec's model, stable and canary and an empty Phase: a status page
// served beside Run can show which rollout is set up from the first
// request.
func (r *Rollout) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current()
}

// current is State with r.mu held.
func (r *Rollout) current() State {
	if !r.loaded {
		return State{Model: r.spec.Model, Stable: r.spec.Stable, Canary: r.spec.Canary}
	}
	return r.st
}

// load restores the saved state once; r.mu must be held.
func (r *Rollout) load(ctx context.Context) error {
	if r.loaded {
		return nil
	}
	now := time.Now()
	if r.opts.Store != nil {
		st, err := r.opts.Store.Load(ctx)
		switch {
		case errors.Is(err, ErrNoState):
		case err != nil:
			return err
		case st.Model == r.spec.Model && st.Stable == r.spec.Stable && st.Canary == r.spec.Canary:
			if err := st.valid(len(r.spec.Steps)); err != nil {
				return err
			}
			// Restored only once the traffic is where the state says, so
			// that a failed attempt is made again by the next call.
			if err := r.traffic.SetCanary(st.Stable, st.Canary, st.Weight); err != nil {
				return err
			}
			r.st = st
			r.loaded = true
			r.emit(EventRestored, fmt.Sprintf("restored at step %d (revision %d)", st.Step, st.Revision), nil)
			return nil
		}
	}
	if err := r.traffic.SetCanary(r.spec.Stable, r.spec.Canary, 0); err != nil {
		return err
	}
	r.st = State{Model: r.spec.Model, Stable: r.spec.Stable, Canary: r.spec.Canary, Phase: Progressing, StepStarted: now}
	r.loaded = true
	return r.commit(ctx, EventStarted, fmt.Sprintf("rolling %s out over %s in %d steps", r.spec.Canary, r.spec.Stable, len(r.spec.Steps)), nil)
}

// commit saves the state with a new revision and emits the event;
// r.mu must be held.
func (r *Rollout) commit(ctx context.Context, typ, reason string, m *measured) error {
	err := r.save(ctx, reason)
	r.emit(typ, reason, m)
	return err
}

// save persists the state with a new revision without an event; r.mu
// must be held.
func (r *Rollout) save(ctx context.Context, reason string) error {
	r.st.Revision++
	r.st.Updated = time.Now()
	r.st.Reason = reason
	if r.opts.Store != nil {
		return r.opts.Store.Save(ctx, r.st)
	}
	return nil
}

type measured struct {
	outcome Outcome
	ms      []Measurement
}

func (r *Rollout) emit(typ, reason string, m *measured) {
	ev := Event{Time: time.Now(), Model: r.st.Model, Type: typ, Phase: r.st.Phase, Step: r.st.Step, Weight: r.st.Weight, Reason: reason}
	if m != nil {
		ev.Outcome, ev.Measurements = m.outcome, m.ms
	}
	r.log.Info("rollout: "+typ, "model", ev.Model, "phase", ev.Phase, "step", ev.Step, "weight", ev.Weight, "reason", reason)
	if s := r.opts.Metrics; s != nil {
		s.SetRolloutWeight(r.st.Model, r.st.Stable, 100-r.st.Weight)
		s.SetRolloutWeight(r.st.Model, r.st.Canary, r.st.Weight)
		s.SetRolloutPhase(r.st.Model, string(r.st.Phase))
	}
	if r.opts.OnEvent != nil {
		r.opts.OnEvent(ev)
	}
}

func (r *Rollout) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run carries the rollout out until it is promoted, rolled back or
// aborted (returning the final state and nil), ctx is done, or a
// dependency fails. A rollout restored from its store continues where
// it was. Only one Run may be active at a time.
func (r *Rollout) Run(ctx context.Context) (State, error) {
	if !r.running.CompareAndSwap(false, true) {
		return r.State(), ErrRunning
	}
	defer r.running.Store(false)
	for {
		r.mu.Lock()
		if err := r.load(ctx); err != nil {
			st := r.current()
			r.mu.Unlock()
			return st, err
		}
		wait, job, err := r.advance(ctx)
		st := r.st
		r.mu.Unlock()
		if err != nil || st.Phase.Final() {
			return st, err
		}
		if job != nil {
			outcome, ms := measure(ctx, job.checks, job.env)
			if ctx.Err() != nil { // cancelled while measuring: not evidence
				return r.State(), ctx.Err()
			}
			r.mu.Lock()
			if r.st.Revision == job.revision { // nothing changed by hand meanwhile
				err = r.record(ctx, job, measured{outcome, ms})
			}
			st = r.st
			r.mu.Unlock()
			if err != nil || st.Phase.Final() {
				return st, err
			}
			continue
		}
		if wait == 0 {
			continue
		}
		var timer <-chan time.Time
		var t *time.Timer
		if wait > 0 {
			t = time.NewTimer(wait)
			timer = t.C
		}
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-r.kick:
		case <-timer:
		}
		if t != nil {
			t.Stop()
		}
		if err != nil {
			return r.State(), err
		}
	}
}

type analysisJob struct {
	revision int64
	step     *Analysis
	checks   []Check
	env      Env
}

// advance makes at most one transition. It returns how long to wait
// before the next (negative: until woken), or a measurement to take
// without the lock. r.mu must be held.
func (r *Rollout) advance(ctx context.Context) (time.Duration, *analysisJob, error) {
	st := &r.st
	if st.Phase == Paused {
		return -1, nil, nil
	}
	if st.Step >= len(r.spec.Steps) {
		return 0, nil, r.promote(ctx, "all steps completed")
	}
	now := time.Now()
	s := r.spec.Steps[st.Step]
	switch s.kind {
	case stepWeight:
		if err := r.traffic.SetCanary(st.Stable, st.Canary, s.weight); err != nil {
			return 0, nil, err
		}
		st.Weight = s.weight
		r.next(now)
		return 0, nil, r.commit(ctx, EventWeight, fmt.Sprintf("step %d: canary weight %g%%", st.Step-1, s.weight), nil)
	case stepPause:
		if s.pause <= 0 {
			st.Phase, st.ResumeAdvances = Paused, true
			return -1, nil, r.commit(ctx, EventPaused, fmt.Sprintf("step %d: paused until resumed", st.Step), nil)
		}
		if left := st.StepStarted.Add(s.pause).Sub(now); left > 0 {
			return left, nil, nil
		}
		r.next(now)
		return 0, nil, r.commit(ctx, EventStepDone, fmt.Sprintf("step %d: paused %s", st.Step-1, s.pause), nil)
	}
	a := s.analysis
	iv := a.interval()
	due := st.StepStarted
	if st.Analysis.Last.After(due) {
		due = st.Analysis.Last
	}
	due = due.Add(iv)
	if left := due.Sub(now); left > 0 {
		return left, nil, nil
	}
	if now.Sub(due) > iv {
		// Fell behind (the process was down): the missed windows may hold
		// no observations, so measure a full window from now on instead.
		st.Analysis.Last = now
		return iv, nil, nil
	}
	return 0, &analysisJob{revision: st.Revision, step: a, checks: a.Checks, env: Env{
		Model: st.Model, Stable: st.Stable, Canary: st.Canary, From: due.Add(-iv), To: due, Source: r.opts.Source,
	}}, nil
}

// next moves to the next step; r.mu must be held.
func (r *Rollout) next(now time.Time) {
	r.st.Step++
	r.st.StepStarted = now
	r.st.Analysis = AnalysisState{}
	r.st.ResumeAdvances = false
}

// record applies one measurement; r.mu must be held.
func (r *Rollout) record(ctx context.Context, job *analysisJob, m measured) error {
	a, as := job.step, &r.st.Analysis
	as.Measurements++
	as.Last = job.env.To
	switch m.outcome {
	case Pass:
		as.Passes++
		as.ConsecutiveSuccesses++
		as.ConsecutiveFailures, as.ConsecutiveErrors = 0, 0
	case Fail:
		as.Failures++
		as.ConsecutiveFailures++
		as.ConsecutiveSuccesses, as.ConsecutiveErrors = 0, 0
	case Error:
		as.Errors++
		as.ConsecutiveErrors++
		as.ConsecutiveSuccesses, as.ConsecutiveFailures = 0, 0
	default:
		as.Inconclusives++
		as.ConsecutiveSuccesses, as.ConsecutiveFailures, as.ConsecutiveErrors = 0, 0, 0
	}
	step := r.st.Step
	summary := fmt.Sprintf("step %d: measurement %d/%d %s (%d pass, %d fail, %d inconclusive, %d error)",
		step, as.Measurements, a.count(), m.outcome, as.Passes, as.Failures, as.Inconclusives, as.Errors)
	r.emit(EventMeasurement, summary+": "+reasons(m.ms), &m)
	switch {
	case as.Failures > a.FailureLimit:
		return r.rollback(ctx, RolledBack, fmt.Sprintf("step %d: analysis failed: %d failed measurements, limit %d: %s", step, as.Failures, a.FailureLimit, reasons(m.ms)))
	case a.ConsecutiveFailureLimit > 0 && as.ConsecutiveFailures >= a.ConsecutiveFailureLimit:
		return r.rollback(ctx, RolledBack, fmt.Sprintf("step %d: analysis failed: %d failures in a row: %s", step, as.ConsecutiveFailures, reasons(m.ms)))
	case as.ConsecutiveErrors > a.errorLimit():
		return r.rollback(ctx, RolledBack, fmt.Sprintf("step %d: analysis error: %d measurements in a row could not be taken: %s", step, as.ConsecutiveErrors, reasons(m.ms)))
	case a.ConsecutiveSuccessLimit > 0 && as.ConsecutiveSuccesses >= a.ConsecutiveSuccessLimit:
		r.next(time.Now())
		return r.commit(ctx, EventStepDone, fmt.Sprintf("step %d: analysis passed: %d passes in a row", step, a.ConsecutiveSuccessLimit), nil)
	case as.Measurements < a.count():
		return r.save(ctx, summary)
	case as.Passes > 0 && as.Inconclusives+as.Errors <= a.InconclusiveLimit:
		r.next(time.Now())
		return r.commit(ctx, EventStepDone, "analysis passed: "+summary, nil)
	}
	r.st.Phase, r.st.ResumeAdvances = Paused, true
	return r.commit(ctx, EventPaused, "analysis inconclusive, resume to continue or abort: "+summary, nil)
}

func reasons(ms []Measurement) string {
	var s string
	for i, m := range ms {
		if i > 0 {
			s += "; "
		}
		s += m.Check + " " + m.Outcome.String() + ": " + m.Reason
	}
	return s
}

// promote sends all traffic to the canary and moves the alias; r.mu
// must be held.
func (r *Rollout) promote(ctx context.Context, reason string) error {
	if h := r.opts.BeforePromote; h != nil {
		if err := h(ctx, r.st); err != nil {
			return r.rollback(ctx, RolledBack, "before-promote hook refused: "+err.Error())
		}
	}
	if err := r.traffic.SetCanary(r.st.Stable, r.st.Canary, 100); err != nil {
		return err
	}
	if r.opts.Aliases != nil {
		if err := r.opts.Aliases.SetAlias(ctx, r.st.Model, r.opts.Alias, r.st.Canary); err != nil {
			return fmt.Errorf("rollout: promoting %s: moving alias %q: %w", r.st.Canary, r.opts.Alias, err)
		}
	}
	r.st.Phase, r.st.Weight, r.st.ResumeAdvances = Promoted, 100, false
	return r.commit(ctx, EventPromoted, reason, nil)
}

// rollback sends all traffic to stable; r.mu must be held.
func (r *Rollout) rollback(ctx context.Context, phase Phase, reason string) error {
	terr := r.traffic.SetCanary(r.st.Stable, r.st.Canary, 0)
	r.st.Phase, r.st.Weight, r.st.ResumeAdvances = phase, 0, false
	typ := EventRolledBack
	if phase == Aborted {
		typ = EventAborted
	}
	err := errors.Join(terr, r.commit(ctx, typ, reason, nil))
	if h := r.opts.AfterRollback; h != nil {
		h(ctx, r.st)
	}
	return err
}

// manual runs a manual operation on a rollout that has not finished.
func (r *Rollout) manual(ctx context.Context, verb string, f func() error) error {
	if a := r.opts.Authorizer; a != nil {
		if err := a.Authorize(ctx, verb, rbac.ResourceDeployments, r.spec.Model); err != nil {
			return fmt.Errorf("rollout: %s rollout of %q: %w", verb, r.spec.Model, err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.load(ctx); err != nil {
		return err
	}
	if r.st.Phase.Final() {
		return fmt.Errorf("%w: %s", ErrFinished, r.st.Phase)
	}
	err := f()
	r.wake()
	return err
}

// Promote promotes the canary now, skipping the remaining steps (the
// BeforePromote hook still runs).
func (r *Rollout) Promote(ctx context.Context, reason string) error {
	return r.manual(ctx, rbac.VerbPromote, func() error { return r.promote(ctx, "promoted by hand: "+reason) })
}

// Abort sends all traffic back to stable and ends the rollout.
func (r *Rollout) Abort(ctx context.Context, reason string) error {
	return r.manual(ctx, rbac.VerbRollback, func() error { return r.rollback(ctx, Aborted, "aborted by hand: "+reason) })
}

// Pause stops the rollout where it is until Resume.
func (r *Rollout) Pause(ctx context.Context, reason string) error {
	return r.manual(ctx, rbac.VerbUpdate, func() error {
		if r.st.Phase == Paused {
			return nil
		}
		r.st.Phase = Paused
		return r.commit(ctx, EventPaused, "paused by hand: "+reason, nil)
	})
}

// Resume continues a paused rollout. When it was paused at the end of a
// step (a pause step, an inconclusive analysis), it goes to the next step.
func (r *Rollout) Resume(ctx context.Context, reason string) error {
	return r.manual(ctx, rbac.VerbUpdate, func() error {
		if r.st.Phase != Paused {
			return nil
		}
		r.st.Phase = Progressing
		if r.st.ResumeAdvances {
			r.next(time.Now())
		}
		return r.commit(ctx, EventResumed, "resumed by hand: "+reason, nil)
	})
}

// Retry starts a rolled-back or aborted rollout again from its first
// step; call Run to carry it out. A promoted rollout cannot be retried.
func (r *Rollout) Retry(ctx context.Context, reason string) error {
	if a := r.opts.Authorizer; a != nil {
		if err := a.Authorize(ctx, rbac.VerbDeploy, rbac.ResourceDeployments, r.spec.Model); err != nil {
			return fmt.Errorf("rollout: deploy rollout of %q: %w", r.spec.Model, err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.load(ctx); err != nil {
		return err
	}
	if r.st.Phase != RolledBack && r.st.Phase != Aborted {
		return fmt.Errorf("%w: only a rolled-back or aborted rollout can be retried, this one is %s", ErrInvalid, r.st.Phase)
	}
	r.st.Phase, r.st.Weight, r.st.Step = Progressing, 0, -1
	r.next(time.Now())
	err := r.commit(ctx, EventRetried, "retried by hand: "+reason, nil)
	r.wake()
	return err
}
