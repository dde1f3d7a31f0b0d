package monitortest_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/monitor/monitortest"
)

func TestClockZeroValue(t *testing.T) {
	epoch := time.Unix(0, 0).UTC()
	cases := []struct {
		name string
		run  func(c *monitortest.Clock) time.Time
		want time.Time
	}{
		{"now", func(c *monitortest.Clock) time.Time { return c.Now() }, epoch},
		{"advance", func(c *monitortest.Clock) time.Time { c.Advance(90 * time.Second); return c.Now() }, epoch.Add(90 * time.Second)},
		{"advance twice", func(c *monitortest.Clock) time.Time {
			c.Advance(time.Second)
			c.Advance(time.Minute)
			return c.Now()
		}, epoch.Add(61 * time.Second)},
		{"NewClock of the zero time", func(*monitortest.Clock) time.Time { return monitortest.NewClock(time.Time{}).Now() }, epoch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var clock monitortest.Clock
			if got := c.run(&clock); !got.Equal(c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

// A zero Clock drives monitor's latencies and window as NewClock's does.
func TestClockZeroValueDrivesMetrics(t *testing.T) {
	var clock monitortest.Clock
	m, err := monitor.New(prometheus.NewPedanticRegistry(), &monitor.Options{Now: clock.Now, CostSampleEvery: -1, Window: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	predict := monitor.WrapFunc(m, "fraud", "v1",
		monitortest.Scripted[int](&clock, monitortest.Script{Latency: 40 * time.Millisecond, FailEvery: 4}, 0.5), nil)
	for range 20 {
		_, _ = predict(context.Background(), 0)
	}
	st := m.Window("fraud", "v1")
	if st.Requests != 20 || st.Errors != 5 {
		t.Fatalf("window: %d requests, %d errors; want 20, 5", st.Requests, st.Errors)
	}
	if p50, ok := st.Quantile(0.5); !ok || p50 != 40*time.Millisecond {
		t.Errorf("p50 = %v, %v; want 40ms", p50, ok)
	}
	clock.Advance(2 * time.Minute)
	if st := m.Window("fraud", "v1"); st.Requests != 0 {
		t.Errorf("window after 2m holds %d requests, want 0", st.Requests)
	}
}
