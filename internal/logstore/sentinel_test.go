package logstore_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/dataset/dvc"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/internal/logstore"
	"github.com/sextant-ml/sextant/pipeline"
	"github.com/sextant-ml/sextant/registry"
)

// Every package that keeps a log exports logstore's two errors under its
// own names, so a damaged entry matches whichever name the caller checks.
func TestSentinelsAreShared(t *testing.T) {
	for _, tt := range []struct {
		name string
		want error
		all  []error
	}{
		{"corrupt", logstore.ErrCorrupt, []error{registry.ErrCorruptEntry, dataset.ErrCorruptLog, pipeline.ErrCorrupt, rollout.ErrCorrupt}},
		{"unsupported", logstore.ErrUnsupported, []error{registry.ErrUnsupportedEntry, dataset.ErrUnsupported, pipeline.ErrUnsupported, rollout.ErrUnsupported}},
		{"digest mismatch", artifact.ErrDigestMismatch, []error{dataset.ErrDigestMismatch, dvc.ErrDigestMismatch}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for i, err := range tt.all {
				wrapped := fmt.Errorf("somewhere: %w", err)
				if !errors.Is(wrapped, tt.want) {
					t.Errorf("sentinel %d (%v) does not match logstore's", i, err)
				}
				for _, other := range tt.all {
					if !errors.Is(wrapped, other) {
						t.Errorf("sentinel %d (%v) does not match %v", i, err, other)
					}
				}
			}
			if errors.Is(logstore.ErrCorrupt, logstore.ErrUnsupported) {
				t.Error("corrupt matches unsupported")
			}
		})
	}
}
