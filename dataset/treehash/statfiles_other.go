//go:build !linux

package treehash

import (
	"context"
	"fmt"
	"os"
)

// statFiles reads the status of every job without one, in parallel.
func (h *Hasher) statFiles(ctx context.Context, jobs []job) error {
	return h.parallel(ctx, len(jobs), func(i int) error {
		j := &jobs[i]
		if j.statted {
			return nil
		}
		fi, err := os.Lstat(j.abs)
		if err != nil {
			return fmt.Errorf("treehash: hash %s: %w", j.rel, err)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%w: %s is no longer a regular file", ErrChanged, j.rel)
		}
		j.st, j.statted = statOf(fi), true
		return nil
	})
}
