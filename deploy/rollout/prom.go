package rollout

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"text/template"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// PromCheck is a check that runs one PromQL query through the Prometheus
// HTTP API. Every replica of a service that runs the same query at the
// same instant gets the same answer, so replicas judge alike.
//
// The query is a text/template; it may use {{.Model}}, {{.Stable}},
// {{.Canary}} and {{.Window}} (the analysis window as a PromQL
// duration, for example "1m"), for example
//
//	sum(rate(sextant_predictions_total{model="{{.Model}}",version="{{.Canary}}",outcome="error"}[{{.Window}}]))
//	  / sum(rate(sextant_predictions_total{model="{{.Model}}",version="{{.Canary}}"}[{{.Window}}]))
//
// The query must return one number (a scalar or a one-series vector).
// An empty result or NaN (as 0/0 gives when there was no traffic) is
// Inconclusive; a failed query or several series is Error.
type PromCheck struct {
	name string
	api  PromQuerier
	tmpl *template.Template
	pass func(float64) bool

	samples    *template.Template // see RequireSamples; nil when not set
	minSamples float64
}

// PromQuerier runs an instant query; the promv1.API made by
// promv1.NewAPI satisfies it.
type PromQuerier interface {
	Query(ctx context.Context, query string, ts time.Time, opts ...promv1.Option) (model.Value, promv1.Warnings, promv1.Infos, error)
}

// NewPromCheck parses query and returns a check that passes when
// pass(value) is true and fails otherwise.
func NewPromCheck(name string, api PromQuerier, query string, pass func(v float64) bool) (*PromCheck, error) {
	if name == "" || api == nil || pass == nil {
		return nil, fmt.Errorf("%w: prometheus check needs a name, an API client and a pass function", ErrInvalid)
	}
	t, err := template.New(name).Option("missingkey=error").Parse(query)
	if err != nil {
		return nil, fmt.Errorf("%w: prometheus check %q: %v", ErrInvalid, name, err)
	}
	return &PromCheck{name: name, api: api, tmpl: t, pass: pass}, nil
}

// RequireSamples makes the check Inconclusive, whatever the main query
// says, unless query (a template like the main one) counts at least min
// samples in the window, for example
//
//	sum(increase(sextant_predictions_total{model="{{.Model}}",version="{{.Canary}}"}[{{.Window}}]))
//
// A query of a rate or a sum of errors alone gives 0, a pass, for a
// window without traffic; the sample count tells that apart from a
// window of good traffic. Call it before the check is used.
func (c *PromCheck) RequireSamples(query string, min float64) error {
	if !(min > 0) || math.IsInf(min, 0) {
		return fmt.Errorf("%w: prometheus check %q: minimum samples %v", ErrInvalid, c.name, min)
	}
	t, err := template.New(c.name + "-samples").Option("missingkey=error").Parse(query)
	if err != nil {
		return fmt.Errorf("%w: prometheus check %q: samples query: %v", ErrInvalid, c.name, err)
	}
	c.samples, c.minSamples = t, min
	return nil
}

// Name returns the check's name.
func (c *PromCheck) Name() string { return c.name }

// Query renders the query for env.
func (c *PromCheck) Query(env Env) (string, error) {
	return c.render(c.tmpl, env)
}

func (c *PromCheck) render(tmpl *template.Template, env Env) (string, error) {
	var b bytes.Buffer
	err := tmpl.Execute(&b, struct{ Model, Stable, Canary, Window string }{
		env.Model, env.Stable, env.Canary, model.Duration(env.To.Sub(env.From)).String(),
	})
	if err != nil {
		return "", fmt.Errorf("%w: prometheus check %q: %v", ErrInvalid, c.name, err)
	}
	return b.String(), nil
}

// Measure evaluates the query at env.To (after the samples query, when
// RequireSamples set one).
func (c *PromCheck) Measure(ctx context.Context, env Env) Measurement {
	if c.samples != nil {
		m := c.measure(ctx, env, c.samples)
		switch {
		case m.Outcome == Error:
			m.Reason = "samples " + m.Reason
			return m
		case math.IsNaN(m.Value) || m.Value < c.minSamples:
			return Measurement{Check: c.name, Outcome: Inconclusive, Value: math.NaN(),
				Reason: fmt.Sprintf("%g samples in the window, fewer than %g", nanToZero(m.Value), c.minSamples)}
		}
	}
	m := c.measure(ctx, env, c.tmpl)
	switch {
	case m.Outcome == Error:
	case math.IsNaN(m.Value):
		m.Outcome = Inconclusive
	case c.pass(m.Value):
		m.Outcome, m.Reason = Pass, fmt.Sprintf("value %g passes%s", m.Value, m.Reason)
	default:
		m.Outcome, m.Reason = Fail, fmt.Sprintf("value %g fails%s", m.Value, m.Reason)
	}
	return m
}

func nanToZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// measure runs one query: an Error, or a Value (NaN with a reason when
// there was no data) and a Reason holding only the warnings.
func (c *PromCheck) measure(ctx context.Context, env Env, tmpl *template.Template) Measurement {
	m := Measurement{Check: c.name, Value: math.NaN()}
	q, err := c.render(tmpl, env)
	if err != nil {
		m.Outcome, m.Reason = Error, err.Error()
		return m
	}
	val, warnings, _, err := c.api.Query(ctx, q, env.To, promv1.WithTimeout(30*time.Second))
	if err != nil {
		m.Outcome, m.Reason = Error, fmt.Sprintf("query failed: %v", err)
		return m
	}
	var note string
	if len(warnings) > 0 {
		note = " (warnings: " + strings.Join(warnings, "; ") + ")"
	}
	switch v := val.(type) {
	case *model.Scalar:
		m.Value = float64(v.Value)
	case model.Vector:
		switch len(v) {
		case 0:
			m.Reason = "query returned no data" + note
			return m
		case 1:
			m.Value = float64(v[0].Value)
		default:
			m.Outcome, m.Reason = Error, fmt.Sprintf("query returned %d series, want one%s", len(v), note)
			return m
		}
	default:
		m.Outcome, m.Reason = Error, fmt.Sprintf("query returned a %s, want a scalar or a vector%s", val.Type(), note)
		return m
	}
	if math.IsNaN(m.Value) {
		m.Reason = "query returned NaN (no data)" + note
	} else {
		m.Reason = note
	}
	return m
}
