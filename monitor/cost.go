package monitor

import (
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const (
	metricAllocs = "/gc/heap/allocs:bytes"
	metricMemory = "/memory/classes/total:bytes"
)

// costMeter samples CPU time and allocated bytes on one prediction in every.
type costMeter struct {
	every       uint64
	overhead    time.Duration // CPU of an empty measurement, subtracted
	fixedMemory float64       // Prices.MemoryBytes; 0 means read the runtime
	granularity time.Duration // Prices.BillingGranularity; 0 means none

	samples    prometheus.Counter
	cpuSeconds prometheus.Counter
	allocBytes prometheus.Counter

	mu  sync.Mutex
	tot CostStats

	readMu sync.Mutex
	buf    [2]metrics.Sample // reused by read, so sampling does not allocate
}

// read returns the process's cumulative heap allocations and, when
// withMemory, its mapped memory.
func (c *costMeter) read(withMemory bool) (allocs, memory uint64) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	c.buf[0].Name, c.buf[1].Name = metricAllocs, metricMemory
	if withMemory {
		metrics.Read(c.buf[:2])
		return c.buf[0].Value.Uint64(), c.buf[1].Value.Uint64()
	}
	metrics.Read(c.buf[:1])
	return c.buf[0].Value.Uint64(), 0
}

// costMark is taken before a sampled prediction.
type costMark struct {
	on     bool
	cpuOK  bool
	cpu    time.Duration
	allocs uint64
}

func newCostMeter(m *Metrics, model, version string) *costMeter {
	return &costMeter{
		every:       uint64(m.cfg.CostSampleEvery),
		fixedMemory: m.cfg.Prices.MemoryBytes,
		granularity: m.cfg.Prices.BillingGranularity,
		overhead:    m.costOverhead,
		samples:     m.costSamples.WithLabelValues(model, version),
		cpuSeconds:  m.cpuSeconds.WithLabelValues(model, version),
		allocBytes:  m.allocBytes.WithLabelValues(model, version),
	}
}

func (c *costMeter) begin() costMark {
	// A random draw, not a shared call counter: an atomic increment on
	// every call would cost more than the draw.
	if c.every > 1 && rand.Uint64N(c.every) != 0 {
		return costMark{}
	}
	mk := costMark{on: true}
	// Allocations first and CPU last, so the thread clock brackets the
	// prediction and not the runtime/metrics reads.
	mk.allocs, _ = c.read(false)
	if threadCPUSupported {
		// Pin the goroutine so the thread clock measures its work only.
		runtime.LockOSThread()
		mk.cpu, mk.cpuOK = threadCPUTime()
		if !mk.cpuOK {
			runtime.UnlockOSThread()
		}
	}
	return mk
}

func (c *costMeter) end(mk costMark, wall time.Duration) {
	var cpu time.Duration
	if mk.cpuOK {
		now, ok := threadCPUTime()
		runtime.UnlockOSThread()
		if ok && now-mk.cpu > c.overhead {
			cpu = now - mk.cpu - c.overhead
		}
	}
	allocs, memory := c.read(c.fixedMemory == 0)
	var alloc uint64
	if allocs > mk.allocs {
		alloc = allocs - mk.allocs
	}
	mem := c.fixedMemory
	if mem == 0 {
		mem = float64(memory)
	}
	if g := c.granularity; g > 0 {
		wall = (wall + g - 1) / g * g
	}
	c.samples.Inc()
	c.cpuSeconds.Add(cpu.Seconds())
	c.allocBytes.Add(float64(alloc))
	c.mu.Lock()
	c.tot.Samples++
	c.tot.CPUSeconds += cpu.Seconds()
	c.tot.AllocatedBytes += float64(alloc)
	c.tot.GBSeconds += mem / 1e9 * wall.Seconds()
	c.mu.Unlock()
}

// measureOverhead returns the least thread CPU time an empty measurement
// takes: the thread clock read twice around the two latency clock reads
// every prediction makes. It is subtracted from each sample.
func measureOverhead(clock func() int64) time.Duration {
	if !threadCPUSupported {
		return 0
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	best := time.Duration(math.MaxInt64)
	for range 16 {
		a, ok1 := threadCPUTime()
		_, _ = clock(), clock()
		b, ok2 := threadCPUTime()
		if ok1 && ok2 && b >= a {
			best = min(best, b-a)
		}
	}
	if best == math.MaxInt64 {
		return 0
	}
	return best
}

// CostStats are the totals over sampled predictions of one model version,
// since it was first seen.
type CostStats struct {
	// Samples is the number of predictions measured.
	Samples uint64
	// CPUSeconds is the thread CPU time of the sampled predictions. On
	// systems without a per-thread clock (anything but Linux) it is zero.
	CPUSeconds float64
	// AllocatedBytes is the heap allocated by the whole process while the
	// sampled predictions ran; under concurrency it includes other
	// goroutines' allocations.
	AllocatedBytes float64
	// GBSeconds is memory (Prices.MemoryBytes, or the Go runtime's mapped
	// memory) in gigabytes times wall time, summed over the samples.
	GBSeconds float64
}

// CPUPerPrediction returns the mean CPU seconds per sampled prediction.
func (c CostStats) CPUPerPrediction() float64 { return c.per(c.CPUSeconds) }

// AllocatedBytesPerPrediction returns the mean bytes allocated per sampled
// prediction.
func (c CostStats) AllocatedBytesPerPrediction() float64 { return c.per(c.AllocatedBytes) }

// PerThousand returns the estimated cost of 1,000 predictions at prices p:
// 1000 × (CPU seconds × VCPUSecond + GB-seconds × GBSecond + Request) per
// prediction. It is zero when nothing was sampled.
func (c CostStats) PerThousand(p Prices) float64 {
	if c.Samples == 0 {
		return 0
	}
	return 1000 * (c.per(c.CPUSeconds)*p.VCPUSecond + c.per(c.GBSeconds)*p.GBSecond + p.Request)
}

// AWS Lambda's on-demand prices in US East (N. Virginia), first tier, in
// USD, as published on https://aws.amazon.com/lambda/pricing/ (read on
// 2026-12-03): duration per GB-second for x86 and for Arm (Graviton)
// functions, and the price of one request ($0.20 per million). Lambda's
// GB is 1,024 MB of configured memory. Prices differ by region and fall in
// higher tiers; check the page and pass your own in LambdaPricing.
const (
	LambdaX86GBSecond   = 0.0000166667
	LambdaArm64GBSecond = 0.0000133334
	LambdaRequest       = 0.20 / 1e6
)

// LambdaPricing describes how AWS Lambda bills one invocation: the
// configured memory times the duration rounded up to the millisecond, at a
// price per GB-second, plus a price per request. It bills configured
// memory, not memory used, and wall time, not CPU time.
type LambdaPricing struct {
	// MemoryMB is the function's configured memory in MB (MiB: Lambda
	// counts 1,024 MB to the GB). Default 128, Lambda's smallest.
	MemoryMB int
	// GBSecond is the price of one GB-second. Default LambdaX86GBSecond;
	// LambdaArm64GBSecond for arm64 functions.
	GBSecond float64
	// Request is the price of one request. Default LambdaRequest.
	Request float64
}

// Prices returns the Prices that estimate a Lambda function's cost of
// predictions served one per invocation: no CPU price, the configured
// memory, the GB-second price converted from Lambda's GB of 2^30 bytes to
// Prices' 10^9, the request price and 1ms billing granularity. The
// estimate covers the prediction's own wall time; the time an invocation
// spends decoding the event and encoding the answer is billed too but
// not measured here, so on Lambda the estimate is a lower bound.
func (l LambdaPricing) Prices() Prices {
	if l.MemoryMB <= 0 {
		l.MemoryMB = 128
	}
	if l.GBSecond == 0 {
		l.GBSecond = LambdaX86GBSecond
	}
	if l.Request == 0 {
		l.Request = LambdaRequest
	}
	const gib = 1 << 30
	return Prices{
		GBSecond:           l.GBSecond * 1e9 / gib,
		MemoryBytes:        float64(l.MemoryMB) * (1 << 20),
		Request:            l.Request,
		BillingGranularity: time.Millisecond,
	}
}

func (c CostStats) per(v float64) float64 {
	if c.Samples == 0 {
		return 0
	}
	return v / float64(c.Samples)
}

// Cost returns the cost totals of a model version. A version never seen,
// or a set with cost sampling off, returns zero totals.
func (m *Metrics) Cost(model, version string) CostStats {
	s := m.lookup(model, version)
	if s == nil || s.cost == nil {
		return CostStats{}
	}
	return s.cost.stats()
}

func (c *costMeter) stats() CostStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tot
}

// costCollector exports sextant_prediction_cost_per_thousand at scrape time.
type costCollector struct {
	m      *Metrics
	desc   *prometheus.Desc
	prices Prices
}

func newCostCollector(m *Metrics, cl prometheus.Labels) *costCollector {
	return &costCollector{
		m:      m,
		prices: m.cfg.Prices,
		desc: prometheus.NewDesc(MetricCostPerThousand,
			"Estimated cost of 1,000 predictions from sampled CPU and memory use at the configured unit prices.",
			[]string{"model", "version"}, cl),
	}
}

func (c *costCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *costCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.m.allSeries() {
		if s.cost == nil {
			continue
		}
		st := s.cost.stats()
		if st.Samples == 0 {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, st.PerThousand(c.prices), s.model, s.version)
	}
}
