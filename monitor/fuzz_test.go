package monitor_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sextant-ml/sextant/monitor"
)

// FuzzLabelValues feeds arbitrary strings to every method that takes a
// label value: nothing may panic, the registry must stay gatherable and
// lint-clean, and class series must stay bounded.
func FuzzLabelValues(f *testing.F) {
	f.Add("fraud", "v1", "legit", "amount", "psi", "progressing")
	f.Add("", "", "", "", "", "")
	f.Add("\xff\xfe", "v\x00", "other", "a\nb", "\"quoted\"", "é")
	f.Add("m", "1", string(make([]byte, 300)), "f", "ks", "p")
	f.Fuzz(func(t *testing.T, model, version, class, feature, method, phase string) {
		reg := prometheus.NewPedanticRegistry()
		m, err := monitor.New(reg, &monitor.Options{MaxClasses: 2})
		if err != nil {
			t.Fatal(err)
		}
		s := m.Series(model, version)
		s.Observe(monitor.OutcomeOK, time.Millisecond)
		for _, c := range []string{class, class + "x", class + "y", model, feature} {
			s.ObserveClass(c)
		}
		s.ObserveValue(0.5)
		m.SetDrift(model, feature, method, 0.1, true)
		m.SetModelInfo(model, version, class)
		m.SetRolloutWeight(model, version, 50)
		m.SetRolloutPhase(model, phase)
		if _, err := reg.Gather(); err != nil {
			t.Fatalf("gather: %v", err)
		}
		if n, _ := testutil.GatherAndCount(reg, monitor.MetricClass); n > 3 {
			t.Fatalf("%d class series with MaxClasses 2", n)
		}
		if got := m.Window(model, version).Requests; got != 1 {
			t.Fatalf("window of (%q, %q) = %d requests, want 1", model, version, got)
		}
		if p, ok := m.RolloutPhase(model); !ok || p == "" && phase != "" {
			t.Fatalf("phase of %q = %q, %v", model, p, ok)
		}
	})
}
