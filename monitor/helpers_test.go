package monitor_test

import (
	"time"

	"github.com/sextant-ml/sextant/monitor/monitortest"
)

// newClock returns a manual clock on a 5-second boundary.
func newClock() *monitortest.Clock {
	return monitortest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
}
