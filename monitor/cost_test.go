package monitor_test

import (
	"context"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sextant-ml/sextant/monitor"
)

func TestCost(t *testing.T) {
	clk := newClock()
	prices := monitor.Prices{VCPUSecond: 2, GBSecond: 3, MemoryBytes: 2e9}
	m, reg := newMetrics(t, &monitor.Options{Now: clk.Now, CostSampleEvery: 1, Prices: prices})
	var sink []byte
	predict := monitor.WrapFunc(m, "m", "1", func(_ context.Context, n int) (int, error) {
		// Five million dependent multiply-adds (a few ms of CPU on this
		// goroutine, however busy the machine) and 1 MiB allocated.
		x := uint64(n)
		for range 5_000_000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		sink = make([]byte, 1<<20)
		clk.Advance(100 * time.Millisecond)
		return int(x >> 1), nil
	}, nil)
	var slowest time.Duration
	for i := range 3 {
		start := time.Now()
		if _, err := predict(context.Background(), i); err != nil {
			t.Fatal(err)
		}
		slowest = max(slowest, time.Since(start))
	}
	_ = sink
	st := m.Cost("m", "1")
	if st.Samples != 3 {
		t.Fatalf("samples = %d, want all 3", st.Samples)
	}
	if runtime.GOOS == "linux" {
		// One thread cannot use more CPU than the wall time of the call.
		if cpu := st.CPUPerPrediction(); cpu < 0.001 || cpu > slowest.Seconds() {
			t.Errorf("CPU per prediction = %vs, want between 1ms and the slowest call's %v", cpu, slowest)
		}
	}
	if b := st.AllocatedBytesPerPrediction(); b < 1<<20 {
		t.Errorf("allocated per prediction = %v, want at least 1 MiB", b)
	}
	// 2 GB held for 0.1s of (test clock) wall time per prediction.
	if got := st.GBSeconds / float64(st.Samples); math.Abs(got-0.2) > 1e-12 {
		t.Errorf("GB-seconds per prediction = %v, want 0.2", got)
	}
	want := 1000 * (st.CPUPerPrediction()*2 + 0.2*3)
	if got := st.PerThousand(prices); math.Abs(got-want) > 1e-9 {
		t.Errorf("PerThousand = %v, want %v", got, want)
	}
	if got := testutil.ToFloat64(counter(t, reg, monitor.MetricCostSamples, "model", "m")); got != 3 {
		t.Errorf("%s = %v, want 3", monitor.MetricCostSamples, got)
	}
	if got := gaugeValue(t, reg, monitor.MetricCostPerThousand); math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %v, want %v", monitor.MetricCostPerThousand, got, want)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) != 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestCostOff(t *testing.T) {
	m, reg := newMetrics(t, &monitor.Options{CostSampleEvery: -1})
	m.Series("m", "1").Do(context.Background(), func(context.Context) error { return nil })
	if st := m.Cost("m", "1"); st != (monitor.CostStats{}) || st.PerThousand(monitor.Prices{VCPUSecond: 1}) != 0 {
		t.Fatalf("cost with sampling off: %+v", st)
	}
	if n, _ := testutil.GatherAndCount(reg, monitor.MetricCostPerThousand); n != 0 {
		t.Fatal("cost gauge exported without prices")
	}
}
