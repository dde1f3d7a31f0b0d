package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sextant-ml/sextant/internal/stats"
	"github.com/sextant-ml/sextant/monitor"
)

func nan() float64 { return math.NaN() }

// Outcome is the verdict of one check, one measurement or one analysis.
// The zero value is Inconclusive, so nothing passes by default.
type Outcome int

const (
	// Inconclusive: not enough evidence either way (no data, too few
	// samples). Never treated as a pass.
	Inconclusive Outcome = iota
	// Pass: the evidence says the canary is good.
	Pass
	// Fail: the evidence says the canary is bad.
	Fail
	// Error: the check could not measure (a query failed).
	Error
)

func (o Outcome) String() string {
	switch o {
	case Inconclusive:
		return "inconclusive"
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	case Error:
		return "error"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// MarshalText encodes the outcome by name.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText decodes a name written by MarshalText.
func (o *Outcome) UnmarshalText(b []byte) error {
	for c := Inconclusive; c <= Error; c++ {
		if c.String() == string(b) {
			*o = c
			return nil
		}
	}
	return fmt.Errorf("%w: outcome %q", ErrInvalid, b)
}

// Env is what a check measures: the canary against the stable version
// of a model, over the window [From, To).
type Env struct {
	Model, Stable, Canary string
	From, To              time.Time
	// Source gives windowed statistics; nil when the rollout has none.
	// The checks of one measurement share its reads: each version's
	// statistics are read once and the same slices handed to every
	// check, so checks must not modify them.
	Source Source
}

// Source gives the statistics of a model version's predictions that
// finished in [from, to). *monitor.Metrics satisfies it (Metrics.Range):
// give the router the Metrics as its Observer and the rollout the same
// Metrics as its Source, and one window serves both. monitor's window
// counts at the resolution of a slot and keeps only its last
// Options.Window, so keep that at least an analysis Interval plus one
// slot; a range is rounded out to whole slots.
//
// Checks read Requests, Errors (the outcomes error and timeout),
// ByOutcome[monitor.OutcomeOK] and Latencies (a sample of successful
// latencies, or all of them); a Source of your own may fill just those.
type Source interface {
	Range(model, version string, from, to time.Time) monitor.WindowStats
}

// successes is the number of successful requests st counts: ByOutcome,
// or the latencies when a hand-made WindowStats left ByOutcome empty.
func successes(st *monitor.WindowStats) int {
	return max(int(st.ByOutcome[monitor.OutcomeOK]), len(st.Latencies))
}

// complete reports whether st's latencies are every successful one,
// not a sample.
func complete(st *monitor.WindowStats) bool {
	return len(st.Latencies) == successes(st)
}

// secondsOf converts latencies to seconds.
func secondsOf(ds []time.Duration) []float64 {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = d.Seconds()
	}
	return xs
}

// Measurement is the result of one check.
type Measurement struct {
	Check   string  `json:"check"`
	Outcome Outcome `json:"outcome"`
	// Value is the measured quantity (an error rate, a latency in
	// seconds, a p-value, a query result); NaN when none.
	Value  float64 `json:"value"`
	Reason string  `json:"reason"`
}

// MarshalJSON writes a NaN value as null.
func (m Measurement) MarshalJSON() ([]byte, error) {
	type plain Measurement
	v := struct {
		plain
		Value *float64 `json:"value"`
	}{plain: plain(m)}
	if !math.IsNaN(m.Value) && !math.IsInf(m.Value, 0) {
		v.Value = &m.Value
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads a null value as NaN.
func (m *Measurement) UnmarshalJSON(b []byte) error {
	type plain Measurement
	var v struct {
		plain
		Value *float64 `json:"value"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = Measurement(v.plain)
	m.Value = math.NaN()
	if v.Value != nil {
		m.Value = *v.Value
	}
	return nil
}

// Check measures one aspect of a canary.
type Check interface {
	Name() string
	Measure(ctx context.Context, env Env) Measurement
}

// CheckFunc makes a Check of a name and a function.
func CheckFunc(name string, f func(ctx context.Context, env Env) Measurement) Check {
	return funcCheck{name, f}
}

type funcCheck struct {
	name string
	f    func(context.Context, Env) Measurement
}

func (c funcCheck) Name() string { return c.name }
func (c funcCheck) Measure(ctx context.Context, env Env) Measurement {
	m := c.f(ctx, env)
	m.Check = c.name
	return m
}

func observe(env Env, version string) (monitor.WindowStats, *Measurement) {
	if env.Source == nil {
		return monitor.WindowStats{}, &Measurement{Outcome: Error, Value: nan(), Reason: "no observation source configured"}
	}
	return env.Source.Range(env.Model, version, env.From, env.To), nil
}

// ErrorRate fails when the canary's error rate exceeds Max.
type ErrorRate struct {
	// Max is the highest acceptable error rate, in [0, 1].
	Max float64
	// MinSamples is the fewest requests to judge on; fewer is
	// Inconclusive. Values below 1 mean 1.
	MinSamples int64
}

// Name returns "error-rate".
func (ErrorRate) Name() string { return "error-rate" }

// Measure reads the canary's requests in the window.
func (c ErrorRate) Measure(ctx context.Context, env Env) Measurement {
	if !(c.Max >= 0 && c.Max <= 1) {
		return misconfigured(c.Name(), fmt.Sprintf("maximum error rate %v not in [0, 1]", c.Max))
	}
	o, bad := observe(env, env.Canary)
	if bad != nil {
		bad.Check = c.Name()
		return *bad
	}
	m := Measurement{Check: c.Name(), Value: o.ErrorRate()}
	switch {
	case int64(o.Requests) < max(c.MinSamples, 1):
		m.Reason = fmt.Sprintf("%d requests, fewer than %d", o.Requests, max(c.MinSamples, 1))
	case m.Value > c.Max:
		m.Outcome, m.Reason = Fail, fmt.Sprintf("error rate %.4g above %.4g (%d of %d)", m.Value, c.Max, o.Errors, o.Requests)
	default:
		m.Outcome, m.Reason = Pass, fmt.Sprintf("error rate %.4g within %.4g (%d of %d)", m.Value, c.Max, o.Errors, o.Requests)
	}
	return m
}

// LatencyQuantile fails when a quantile of the canary's latency of
// successful requests exceeds Max. While the Source holds every
// successful latency of the window, the quantile is the linearly
// interpolated sample quantile (NumPy's default); beyond that it is
// monitor.WindowStats.Quantile, read from log-scale buckets within 1/8
// of the true value.
type LatencyQuantile struct {
	// Quantile in (0, 1), for example 0.99.
	Quantile float64
	Max      time.Duration
	// MinSamples is the fewest successful requests to judge on; fewer is
	// Inconclusive. Values below 1 mean 1.
	MinSamples int
}

// Name returns for example "latency-p99".
func (c LatencyQuantile) Name() string {
	return fmt.Sprintf("latency-p%g", c.Quantile*100)
}

// Measure reads the canary's requests in the window.
func (c LatencyQuantile) Measure(ctx context.Context, env Env) Measurement {
	if !(c.Quantile > 0 && c.Quantile < 1) {
		return misconfigured(c.Name(), fmt.Sprintf("quantile %v not in (0, 1)", c.Quantile))
	}
	if c.Max <= 0 {
		return misconfigured(c.Name(), fmt.Sprintf("maximum latency %s is not positive", c.Max))
	}
	o, bad := observe(env, env.Canary)
	if bad != nil {
		bad.Check = c.Name()
		return *bad
	}
	m := Measurement{Check: c.Name(), Value: nan()}
	n := successes(&o)
	if n < max(c.MinSamples, 1) {
		m.Reason = fmt.Sprintf("%d successful requests, fewer than %d", n, max(c.MinSamples, 1))
		return m
	}
	if complete(&o) {
		m.Value = quantile(secondsOf(o.Latencies), c.Quantile)
	} else if d, ok := o.Quantile(c.Quantile); ok {
		m.Value = d.Seconds()
	} else {
		m.Reason = "no latency quantile in the window"
		return m
	}
	limit := c.Max.Seconds()
	if m.Value > limit {
		m.Outcome, m.Reason = Fail, fmt.Sprintf("p%g latency %s above %s", c.Quantile*100, seconds(m.Value), c.Max)
	} else {
		m.Outcome, m.Reason = Pass, fmt.Sprintf("p%g latency %s within %s", c.Quantile*100, seconds(m.Value), c.Max)
	}
	return m
}

// misconfigured is the measurement of a check whose settings make no
// sense: an Error, so that a mistake in the settings never passes.
func misconfigured(check, reason string) Measurement {
	return Measurement{Check: check, Outcome: Error, Value: nan(), Reason: "misconfigured: " + reason}
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// quantile is the linearly interpolated sample quantile (NumPy's default).
func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	i := int(pos)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}

// Judge compares the canary with the stable version over the same
// window, as Kayenta does: latency by a two-sided Mann-Whitney U test,
// errors by a two-proportion z-test. A difference fails only when it is
// both significant and larger than the tolerance, so a statistically
// detectable but harmless change passes.
type Judge struct {
	// Alpha is the significance level. Default 0.05.
	Alpha float64
	// LatencyTolerance is the relative increase of the canary's median
	// latency over the baseline's that is acceptable. Default 0.1 (10 %).
	LatencyTolerance float64
	// ErrorTolerance is the absolute increase of the canary's error rate
	// over the baseline's that is acceptable. Default 0.01.
	ErrorTolerance float64
	// MinSamples is the fewest requests on each side to judge on; fewer
	// is Inconclusive. Default 30.
	MinSamples int
}

// Name returns "judge".
func (Judge) Name() string { return "judge" }

func (j Judge) withDefaults() Judge {
	if j.Alpha <= 0 {
		j.Alpha = 0.05
	}
	if j.LatencyTolerance <= 0 {
		j.LatencyTolerance = 0.1
	}
	if j.ErrorTolerance <= 0 {
		j.ErrorTolerance = 0.01
	}
	if j.MinSamples <= 0 {
		j.MinSamples = 30
	}
	return j
}

// Measure compares canary and stable in the window. Value is the
// smaller of the two p-values.
func (j Judge) Measure(ctx context.Context, env Env) Measurement {
	j = j.withDefaults()
	switch {
	case !(j.Alpha < 1):
		return misconfigured(j.Name(), fmt.Sprintf("significance level %v not in (0, 1)", j.Alpha))
	case math.IsNaN(j.LatencyTolerance) || math.IsInf(j.LatencyTolerance, 0):
		return misconfigured(j.Name(), fmt.Sprintf("latency tolerance %v", j.LatencyTolerance))
	case !(j.ErrorTolerance < 1):
		return misconfigured(j.Name(), fmt.Sprintf("error tolerance %v not below 1", j.ErrorTolerance))
	}
	m := Measurement{Check: j.Name(), Value: nan()}
	canary, bad := observe(env, env.Canary)
	if bad == nil {
		var base monitor.WindowStats
		base, bad = observe(env, env.Stable)
		if bad == nil {
			return j.compare(canary, base)
		}
	}
	bad.Check = m.Check
	return *bad
}

func (j Judge) compare(canary, base monitor.WindowStats) Measurement {
	m := Measurement{Check: j.Name(), Value: nan()}
	n := uint64(j.MinSamples)
	if canary.Requests < n || base.Requests < n {
		m.Reason = fmt.Sprintf("canary %d and baseline %d requests, fewer than %d on a side", canary.Requests, base.Requests, n)
		return m
	}
	_, pErr, err := stats.TwoProportionZ(int64(canary.Errors), int64(canary.Requests), int64(base.Errors), int64(base.Requests))
	if err != nil {
		m.Outcome, m.Reason = Error, err.Error()
		return m
	}
	cr, br := canary.ErrorRate(), base.ErrorRate()
	var reasons []string
	m.Outcome, m.Value = Pass, pErr
	if pErr < j.Alpha && cr-br > j.ErrorTolerance {
		m.Outcome = Fail
		reasons = append(reasons, fmt.Sprintf("error rate %.4g above baseline %.4g beyond tolerance (p=%.3g)", cr, br, pErr))
	} else {
		reasons = append(reasons, fmt.Sprintf("error rate %.4g vs baseline %.4g ok (p=%.3g)", cr, br, pErr))
	}
	if len(canary.Latencies) < j.MinSamples || len(base.Latencies) < j.MinSamples {
		if m.Outcome == Pass {
			m.Outcome = Inconclusive
		}
		reasons = append(reasons, fmt.Sprintf("latency: %d and %d successful requests, fewer than %d on a side", len(canary.Latencies), len(base.Latencies), j.MinSamples))
		m.Reason = strings.Join(reasons, "; ")
		return m
	}
	cl, bl := secondsOf(canary.Latencies), secondsOf(base.Latencies)
	mw, err := stats.MannWhitneyU(cl, bl)
	if err != nil {
		m.Outcome, m.Reason = Error, err.Error()
		return m
	}
	m.Value = min(m.Value, mw.P)
	// The effect size is the ratio of medians: one stall of the process
	// (a GC pause, a preempted thread) moves a mean by its whole length and
	// a median hardly at all, and the rank test above is about location.
	ratio := quantile(cl, 0.5) / quantile(bl, 0.5)
	if mw.P < j.Alpha && mw.Z > 0 && ratio > 1+j.LatencyTolerance {
		m.Outcome = Fail
		reasons = append(reasons, fmt.Sprintf("latency %.3gx baseline beyond tolerance (p=%.3g)", ratio, mw.P))
	} else {
		reasons = append(reasons, fmt.Sprintf("latency %.3gx baseline ok (p=%.3g)", ratio, mw.P))
	}
	m.Reason = strings.Join(reasons, "; ")
	return m
}

// measure runs every check and combines them: any Fail fails the
// measurement, else any Error errs, else any Inconclusive makes it
// inconclusive; it passes only when every check passes.
func measure(ctx context.Context, checks []Check, env Env) (Outcome, []Measurement) {
	if env.Source != nil {
		env.Source = &readOnce{src: env.Source, got: map[readKey]monitor.WindowStats{}}
	}
	ms := make([]Measurement, len(checks))
	worst := Pass
	for i, c := range checks {
		ms[i] = c.Measure(ctx, env)
		if ms[i].Check == "" {
			ms[i].Check = c.Name()
		}
		if severity(ms[i].Outcome) > severity(worst) {
			worst = ms[i].Outcome
			if severity(worst) == 2 {
				worst = Error
			}
		}
	}
	if len(checks) == 0 {
		worst = Inconclusive
	}
	return worst, ms
}

// readOnce is a Source that reads each version's statistics once: the
// checks of one measurement all ask for the same window, and reading it
// sums every slot and copies its latency sample.
type readOnce struct {
	src Source
	mu  sync.Mutex
	got map[readKey]monitor.WindowStats
}

type readKey struct {
	model, version string
	from, to       int64 // unix nanoseconds
}

func (r *readOnce) Range(model, version string, from, to time.Time) monitor.WindowStats {
	k := readKey{model, version, from.UnixNano(), to.UnixNano()}
	r.mu.Lock()
	defer r.mu.Unlock()
	if o, ok := r.got[k]; ok {
		return o
	}
	o := r.src.Range(model, version, from, to)
	r.got[k] = o
	return o
}

// severity orders outcomes for combining; an unknown outcome counts as
// an error, never as a pass.
func severity(o Outcome) int {
	switch o {
	case Pass:
		return 0
	case Inconclusive:
		return 1
	case Fail:
		return 3
	}
	return 2
}
