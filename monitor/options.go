package monitor

import (
	"fmt"
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultBuckets returns the classic histogram buckets of
// sextant_prediction_duration_seconds, in seconds. They span model latencies
// from a millisecond (a small tree ensemble in process) to ten seconds (a
// large network on a cold accelerator). 0.5 is a bucket boundary because the
// shipped latency SLO alert reads the le="0.5" bucket.
func DefaultBuckets() []float64 {
	return []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
}

// DefaultValueBuckets returns the buckets of sextant_prediction_value:
// tenths of the unit interval, suited to probabilities and scores.
func DefaultValueBuckets() []float64 {
	return []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}
}

// Options configures a metrics set. The zero value (or a nil *Options) is
// ready to use; every field documents its default.
type Options struct {
	// ConstLabels are attached to every metric of the set, for example
	// {"service": "fraud"}. Two sets may share one registry when their
	// const labels differ. Default: none.
	ConstLabels prometheus.Labels

	// Buckets are the classic buckets of the latency histogram, in
	// seconds, strictly increasing. Default: DefaultBuckets().
	Buckets []float64

	// NativeHistogramBucketFactor is the growth factor between native
	// histogram buckets of the latency histogram. Default: 1.1.
	NativeHistogramBucketFactor float64
	// NativeHistogramMaxBuckets caps the native buckets per series.
	// Default: 100.
	NativeHistogramMaxBuckets uint32
	// NativeHistogramMinResetDuration is the shortest time after which a
	// native histogram that exceeded its bucket cap is reset. Default: 1h.
	NativeHistogramMinResetDuration time.Duration
	// DisableNativeHistograms exposes classic buckets only. Default: false.
	DisableNativeHistograms bool

	// ValueBuckets are the buckets of sextant_prediction_value, strictly
	// increasing. Default: DefaultValueBuckets().
	ValueBuckets []float64

	// Classes, when set, is the complete list of class labels allowed in
	// sextant_prediction_class_total; any other class is counted as
	// "other". Default: nil, meaning the first MaxClasses distinct classes
	// seen per model version are admitted.
	Classes []string
	// MaxClasses bounds the distinct class labels per model version when
	// Classes is nil; later classes fold into "other". Default: 32.
	MaxClasses int

	// Window is the span of the in-process sliding window read by
	// Metrics.Window. Default: 60s.
	Window time.Duration
	// WindowSlots is the number of slots the window rotates through; the
	// window advances one slot (Window/WindowSlots) at a time. Each slot
	// takes about 2 KiB per model version. At most 600. Default: 12.
	WindowSlots int
	// WindowSample is the number of latencies kept per slot, chosen
	// uniformly at random among the slot's successful predictions; at
	// most 4096, and WindowSlots × WindowSample at most 262,144.
	// Default: 64.
	WindowSample int

	// Classify maps a predictor's error to an outcome, for Recorder (and
	// so for a deploy.Router that has the metrics as its Observer),
	// Series.Do, and Wrap and WrapFunc when WrapOptions.Classify is not
	// set. Default: the package's Classify.
	Classify func(error) Outcome

	// Now is the clock for latencies and the window. Default: the
	// monotonic clock, read as time.Since of a start time (one clock read
	// instead of time.Now's two).
	Now func() time.Time

	// CostSampleEvery measures CPU time and allocated bytes on one
	// prediction in CostSampleEvery, chosen at random (1 measures every
	// prediction). A negative value turns cost sampling off. Default: 128.
	CostSampleEvery int
	// Prices, when set, enables sextant_prediction_cost_per_thousand.
	// Default: zero prices, no cost gauge.
	Prices Prices
}

// Prices are unit prices in the user's currency, as serverless platforms
// charge them.
type Prices struct {
	// VCPUSecond is the price of one vCPU-second.
	VCPUSecond float64
	// GBSecond is the price of one gigabyte (10^9 bytes) of memory held for
	// one second.
	GBSecond float64
	// MemoryBytes is the memory billed while a prediction runs. Default:
	// the Go runtime's mapped memory (/memory/classes/total:bytes) read on
	// each sampled prediction.
	MemoryBytes float64
	// Request is the price of one request, added once per prediction (AWS
	// Lambda's per-request charge; see LambdaPricing). Default 0.
	Request float64
	// BillingGranularity rounds each sampled prediction's wall time up to
	// a multiple of it before it is multiplied by memory, as platforms
	// that bill duration in increments do (1ms for AWS Lambda). Default 0:
	// no rounding.
	BillingGranularity time.Duration
}

func (p Prices) enabled() bool { return p.VCPUSecond > 0 || p.GBSecond > 0 || p.Request > 0 }

// config is Options with defaults applied.
type config struct {
	Options
	clock func() int64 // nanoseconds on a Unix-epoch time line
}

func (o *Options) withDefaults() config {
	var c config
	if o != nil {
		c.Options = *o
	}
	if len(c.Buckets) == 0 {
		c.Buckets = DefaultBuckets()
	}
	if c.NativeHistogramBucketFactor <= 1 {
		c.NativeHistogramBucketFactor = 1.1
	}
	if c.NativeHistogramMaxBuckets == 0 {
		c.NativeHistogramMaxBuckets = 100
	}
	if c.NativeHistogramMinResetDuration <= 0 {
		c.NativeHistogramMinResetDuration = time.Hour
	}
	if len(c.ValueBuckets) == 0 {
		c.ValueBuckets = DefaultValueBuckets()
	}
	if c.MaxClasses <= 0 {
		c.MaxClasses = 32
	}
	if c.Window <= 0 {
		c.Window = time.Minute
	}
	if c.WindowSlots <= 0 {
		c.WindowSlots = 12
	}
	if c.WindowSample <= 0 {
		c.WindowSample = 64
	}
	if c.Classify == nil {
		c.Classify = Classify
	}
	if c.CostSampleEvery == 0 {
		c.CostSampleEvery = 128
	}
	if now := c.Now; now != nil {
		c.clock = func() int64 { return now().UnixNano() }
	} else {
		base := time.Now()
		unix := base.UnixNano()
		c.clock = func() int64 { return unix + int64(time.Since(base)) }
	}
	return c
}

func (c *config) validate() error {
	if err := increasing("Buckets", c.Buckets); err != nil {
		return err
	}
	if err := increasing("ValueBuckets", c.ValueBuckets); err != nil {
		return err
	}
	if c.WindowSlots > maxWindowSlots {
		return fmt.Errorf("%w: WindowSlots %d exceeds %d", ErrInvalidOptions, c.WindowSlots, maxWindowSlots)
	}
	if c.WindowSample > maxWindowSample {
		return fmt.Errorf("%w: WindowSample %d exceeds %d", ErrInvalidOptions, c.WindowSample, maxWindowSample)
	}
	if c.WindowSlots*c.WindowSample > maxWindowSampled {
		return fmt.Errorf("%w: WindowSlots × WindowSample = %d exceeds %d", ErrInvalidOptions, c.WindowSlots*c.WindowSample, maxWindowSampled)
	}
	if c.Window/time.Duration(c.WindowSlots) < time.Millisecond {
		return fmt.Errorf("%w: Window/WindowSlots must be at least 1ms, got %v", ErrInvalidOptions, c.Window/time.Duration(c.WindowSlots))
	}
	for name, v := range map[string]float64{
		"Prices.VCPUSecond":  c.Prices.VCPUSecond,
		"Prices.GBSecond":    c.Prices.GBSecond,
		"Prices.MemoryBytes": c.Prices.MemoryBytes,
		"Prices.Request":     c.Prices.Request,
	} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %s must be a finite non-negative number, got %v", ErrInvalidOptions, name, v)
		}
	}
	if c.Prices.BillingGranularity < 0 {
		return fmt.Errorf("%w: Prices.BillingGranularity must not be negative, got %v", ErrInvalidOptions, c.Prices.BillingGranularity)
	}
	return nil
}

func increasing(name string, b []float64) error {
	for i, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %s[%d] is %v", ErrInvalidOptions, name, i, v)
		}
		if i > 0 && v <= b[i-1] {
			return fmt.Errorf("%w: %s must be strictly increasing, %v follows %v", ErrInvalidOptions, name, v, b[i-1])
		}
	}
	return nil
}
