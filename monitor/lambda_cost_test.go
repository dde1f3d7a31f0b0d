package monitor_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/monitor"
)

// TestLambdaPricing checks the cost of 1,000 predictions served one per
// invocation as AWS Lambda bills them: configured memory in GB of 1,024 MB
// times the duration rounded up to 1ms, plus the request price.
func TestLambdaPricing(t *testing.T) {
	tests := []struct {
		name    string
		pricing monitor.LambdaPricing
		wall    time.Duration // of each prediction, on the test clock
		// want is computed by hand: 1000 × (GB × billed seconds × price + request).
		want float64
	}{
		{"x86 1024MB, 0.4ms billed as 1ms", monitor.LambdaPricing{MemoryMB: 1024}, 400 * time.Microsecond,
			1000 * (1.0*0.001*0.0000166667 + 0.0000002)},
		{"arm64 512MB, 2.5ms billed as 3ms", monitor.LambdaPricing{MemoryMB: 512, GBSecond: monitor.LambdaArm64GBSecond}, 2500 * time.Microsecond,
			1000 * (0.5*0.003*0.0000133334 + 0.0000002)},
		{"defaults: x86 128MB, exactly 2ms", monitor.LambdaPricing{}, 2 * time.Millisecond,
			1000 * (0.125*0.002*0.0000166667 + 0.0000002)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			prices := tc.pricing.Prices()
			m, reg := newMetrics(t, &monitor.Options{Now: clk.Now, CostSampleEvery: 1, Prices: prices})
			predict := monitor.WrapFunc(m, "m", "1", func(_ context.Context, n int) (int, error) {
				clk.Advance(tc.wall)
				return n, nil
			}, nil)
			for i := range 4 {
				if _, err := predict(context.Background(), i); err != nil {
					t.Fatal(err)
				}
			}
			got := m.Cost("m", "1").PerThousand(prices)
			if math.Abs(got-tc.want) > 1e-12*tc.want+1e-15 {
				t.Errorf("PerThousand = %.12g, want %.12g", got, tc.want)
			}
			if g := gaugeValue(t, reg, monitor.MetricCostPerThousand); math.Abs(g-tc.want) > 1e-12*tc.want+1e-15 {
				t.Errorf("%s = %.12g, want %.12g", monitor.MetricCostPerThousand, g, tc.want)
			}
		})
	}
}

func TestRequestPriceAloneEnablesCost(t *testing.T) {
	m, reg := newMetrics(t, &monitor.Options{CostSampleEvery: 1, Prices: monitor.Prices{Request: 1e-6}})
	m.Series("m", "1").Do(context.Background(), func(context.Context) error { return nil })
	// No CPU or memory price: the cost is the request price alone.
	if g := gaugeValue(t, reg, monitor.MetricCostPerThousand); math.Abs(g-1e-3) > 1e-15 {
		t.Errorf("%s = %v, want 1e-3 (1,000 × the request price)", monitor.MetricCostPerThousand, g)
	}
}

func TestBadLambdaPrices(t *testing.T) {
	tests := []struct {
		name   string
		prices monitor.Prices
	}{
		{"negative request price", monitor.Prices{Request: -1}},
		{"NaN request price", monitor.Prices{Request: math.NaN()}},
		{"negative granularity", monitor.Prices{GBSecond: 1, BillingGranularity: -time.Millisecond}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := monitor.New(prometheus.NewRegistry(), &monitor.Options{Prices: tc.prices}); !errors.Is(err, monitor.ErrInvalidOptions) {
				t.Errorf("New: %v, want ErrInvalidOptions", err)
			}
		})
	}
}
