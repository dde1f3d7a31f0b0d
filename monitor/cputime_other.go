//go:build !linux

package monitor

import "time"

const threadCPUSupported = false

func threadCPUTime() (time.Duration, bool) { return 0, false }
