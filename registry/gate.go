package registry

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sextant-ml/sextant/rbac"
)

// MetricThreshold is one metric's criterion for promotion, with the semantics
// of MLflow's MetricThreshold:
//
//   - Threshold: the candidate's value must be >= Threshold when greater is
//     better, <= Threshold otherwise.
//   - MinAbsoluteChange (positive): the candidate must be >= baseline +
//     change when greater is better, <= baseline - change otherwise.
//   - MinRelativeChange (0 to 1): (candidate - baseline) / |baseline| must be
//     at least the change when greater is better, (baseline - candidate) /
//     |baseline| otherwise. Dividing by the magnitude keeps the direction
//     right for negative baselines (log-likelihood, R², profit), where
//     dividing by the signed baseline would reward a worse candidate. When
//     the baseline is 0 the check falls back to the candidate being better
//     than the baseline by 1e-10.
//
// The baseline is the version the alias points at when the gate runs. When
// the alias is not set yet, the change criteria are skipped (there is nothing
// to compare with) and only Threshold applies. When the baseline lacks the
// metric, a change criterion fails, as MLflow's does. A nil field is not checked.
type MetricThreshold struct {
	Threshold         *float64
	MinAbsoluteChange *float64
	MinRelativeChange *float64
	GreaterIsBetter   bool
}

// Gate maps metric names to their thresholds.
type Gate map[string]MetricThreshold

// Float returns a pointer to v, for filling MetricThreshold fields.
func Float(v float64) *float64 { return &v }

// Validate applies MLflow's construction rules: at least one criterion,
// finite values, a positive absolute change, a relative change in [0, 1].
func (g Gate) Validate() error {
	for name, t := range g {
		if name == "" {
			return fmt.Errorf("%w: gate with an empty metric name", ErrInvalidArgument)
		}
		if t.Threshold == nil && t.MinAbsoluteChange == nil && t.MinRelativeChange == nil {
			return fmt.Errorf("%w: gate metric %q: no threshold was specified", ErrInvalidArgument, name)
		}
		for _, p := range []*float64{t.Threshold, t.MinAbsoluteChange, t.MinRelativeChange} {
			if p != nil && (math.IsNaN(*p) || math.IsInf(*p, 0)) {
				return fmt.Errorf("%w: gate metric %q: values must be finite", ErrInvalidArgument, name)
			}
		}
		if p := t.MinAbsoluteChange; p != nil && *p <= 0 {
			return fmt.Errorf("%w: gate metric %q: min absolute change must be positive, got %v", ErrInvalidArgument, name, *p)
		}
		if p := t.MinRelativeChange; p != nil && (*p < 0 || *p > 1) {
			return fmt.Errorf("%w: gate metric %q: min relative change must be between 0 and 1, got %v", ErrInvalidArgument, name, *p)
		}
	}
	return nil
}

// Check names the criterion a metric failed.
type Check string

// Criteria a metric can fail.
const (
	CheckMissingCandidate  Check = "missing_candidate"
	CheckMissingBaseline   Check = "missing_baseline"
	CheckThreshold         Check = "threshold"
	CheckMinAbsoluteChange Check = "min_absolute_change"
	CheckMinRelativeChange Check = "min_relative_change"
)

// MetricFailure is one failed criterion.
type MetricFailure struct {
	Metric    string
	Check     Check
	Candidate float64 // the candidate's value (0 when missing)
	Baseline  float64 // the baseline's value, for change criteria
	// Required is the bound the candidate had to reach: the threshold, the
	// baseline moved by the absolute change, or the relative change itself.
	Required float64
	// Actual is what was measured against Required: the candidate's value, or
	// the relative change for CheckMinRelativeChange.
	Actual float64
	// Shortfall is how far Actual is from Required, positive.
	Shortfall float64
}

func (f MetricFailure) String() string {
	switch f.Check {
	case CheckMissingCandidate:
		return fmt.Sprintf("metric %q missing from the candidate", f.Metric)
	case CheckMissingBaseline:
		return fmt.Sprintf("metric %q missing from the baseline", f.Metric)
	case CheckMinRelativeChange:
		return fmt.Sprintf("metric %q %s: relative change %s (candidate %s, baseline %s) is short of %s by %s",
			f.Metric, f.Check, num(f.Actual), num(f.Candidate), num(f.Baseline), num(f.Required), num(f.Shortfall))
	case CheckMinAbsoluteChange:
		return fmt.Sprintf("metric %q %s: candidate %s against baseline %s misses the required %s by %s",
			f.Metric, f.Check, num(f.Candidate), num(f.Baseline), num(f.Required), num(f.Shortfall))
	}
	return fmt.Sprintf("metric %q %s: candidate %s misses the threshold %s by %s",
		f.Metric, f.Check, num(f.Candidate), num(f.Required), num(f.Shortfall))
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// GateError reports a rejected promotion; errors.Is(err, ErrGateFailed) holds.
type GateError struct {
	Model     string
	Alias     string
	Candidate int // version being promoted
	Baseline  int // version holding the alias, 0 if none
	Failures  []MetricFailure
}

func (e *GateError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "registry: promotion gate failed for %s/%d to %q", e.Model, e.Candidate, e.Alias)
	if e.Baseline > 0 {
		fmt.Fprintf(&b, " (baseline version %d)", e.Baseline)
	}
	for i, f := range e.Failures {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.String())
	}
	return b.String()
}

// Is reports ErrGateFailed.
func (e *GateError) Is(target error) bool { return target == ErrGateFailed }

// Evaluate checks candidate metrics against the gate; baseline is nil when
// there is no baseline. Failures are sorted by metric name, then criterion.
func (g Gate) Evaluate(candidate, baseline map[string]float64) []MetricFailure {
	var out []MetricFailure
	names := make([]string, 0, len(g))
	for name := range g {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		out = append(out, g[name].evaluate(name, candidate, baseline)...)
	}
	return out
}

func (t MetricThreshold) evaluate(name string, candidate, baseline map[string]float64) []MetricFailure {
	c, ok := candidate[name]
	if !ok {
		return []MetricFailure{{Metric: name, Check: CheckMissingCandidate}}
	}
	better := func(a, b float64) bool { // a is at least as good as b
		if t.GreaterIsBetter {
			return a >= b
		}
		return a <= b
	}
	move := func(b, d float64) float64 {
		if t.GreaterIsBetter {
			return b + d
		}
		return b - d
	}
	var out []MetricFailure
	if t.Threshold != nil && !better(c, *t.Threshold) {
		out = append(out, MetricFailure{Metric: name, Check: CheckThreshold, Candidate: c,
			Required: *t.Threshold, Actual: c, Shortfall: math.Abs(*t.Threshold - c)})
	}
	if baseline == nil || (t.MinAbsoluteChange == nil && t.MinRelativeChange == nil) {
		return out
	}
	b, ok := baseline[name]
	if !ok {
		return append(out, MetricFailure{Metric: name, Check: CheckMissingBaseline, Candidate: c})
	}
	if t.MinAbsoluteChange != nil {
		if req := move(b, *t.MinAbsoluteChange); !better(c, req) {
			out = append(out, MetricFailure{Metric: name, Check: CheckMinAbsoluteChange, Candidate: c, Baseline: b,
				Required: req, Actual: c, Shortfall: math.Abs(req - c)})
		}
	}
	if t.MinRelativeChange != nil {
		if b == 0 {
			if req := move(b, 1e-10); !better(c, req) {
				out = append(out, MetricFailure{Metric: name, Check: CheckMinRelativeChange, Candidate: c, Baseline: b,
					Required: req, Actual: c, Shortfall: math.Abs(req - c)})
			}
		} else {
			// Against |baseline|, so that an improvement on a negative
			// baseline (a log-likelihood, R², a profit) counts as one.
			rel := (c - b) / math.Abs(b)
			if !t.GreaterIsBetter {
				rel = (b - c) / math.Abs(b)
			}
			if rel < *t.MinRelativeChange {
				out = append(out, MetricFailure{Metric: name, Check: CheckMinRelativeChange, Candidate: c, Baseline: b,
					Required: *t.MinRelativeChange, Actual: rel, Shortfall: *t.MinRelativeChange - rel})
			}
		}
	}
	return out
}

// Promote points alias at the version ref names if its metrics pass gate
// against the version the alias points at now. Like UpdateVersion, it
// resolves ref against the log, not the cache. The check and the move are
// one log entry: if the alias moves concurrently, the gate is evaluated again
// against the new holder before anything is written. A rejection is a
// *GateError. A nil or empty gate promotes unconditionally.
//
// With Options.TrustedKeys set, the metrics the gate reads must be signed
// evidence: the candidate, and the version holding the alias (the baseline),
// must each carry a signature by a trusted key whose statement covers its
// current metrics, or Promote fails with ErrSignature (a *BindingError when
// the metrics changed after signing) and moves nothing. Only the statements
// are checked here; the files are checked as they are read (Load,
// OpenFile) or by Verify.
func (r *Registry) Promote(ctx context.Context, ref, alias string, gate Gate) (*Version, error) {
	if err := gate.Validate(); err != nil {
		return nil, err
	}
	if err := ValidateAlias(alias); err != nil {
		return nil, err
	}
	p, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	if err := r.authorize(ctx, rbac.VerbPromote, rbac.ResourceModelAliases, p.Model); err != nil {
		return nil, err
	}
	var n int
	st, err := r.write(ctx, p.Model, func(s *state) (*record, error) {
		var err error
		if n, err = s.resolveOnce(p, n); err != nil {
			return nil, err
		}
		rec, err := s.aliasRecord(alias, n)
		if err != nil {
			return nil, err
		}
		var baseline map[string]float64
		if rec.Previous > 0 {
			baseline = s.versions[rec.Previous-1].Metrics
			if baseline == nil {
				baseline = map[string]float64{}
			}
		}
		if err := r.checkEvidence(ctx, s, n, rec.Previous); err != nil {
			return nil, err
		}
		if fails := gate.Evaluate(s.versions[n-1].Metrics, baseline); len(fails) > 0 {
			return nil, &GateError{Model: s.name, Alias: alias, Candidate: n, Baseline: rec.Previous, Failures: fails}
		}
		return rec, nil
	})
	if err != nil {
		return nil, err
	}
	return st.view(n), nil
}

// checkEvidence verifies, with TrustedKeys set, the signatures of the
// candidate n and the baseline (0 for none) against their current metrics.
func (r *Registry) checkEvidence(ctx context.Context, s *state, n, baseline int) error {
	if len(r.trusted) == 0 {
		return nil
	}
	for _, m := range []int{n, baseline} {
		if m == 0 {
			continue
		}
		if _, err := r.verifySignatures(ctx, s.versions[m-1], r.trusted); err != nil {
			return fmt.Errorf("registry: promote %s/%d: evidence of version %d: %w", s.name, n, m, err)
		}
	}
	return nil
}
