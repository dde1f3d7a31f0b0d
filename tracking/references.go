package tracking

import (
	"context"
	"slices"

	"github.com/sextant-ml/sextant/artifact"
)

// References calls yield with the digest of every artifact logged on any
// run of any experiment, deleted ones included (they can be restored),
// for artifact.Store.Collect.
func (t *Tracker) References(ctx context.Context, yield func(artifact.Digest) error) error {
	idx, err := t.indexState(ctx)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(idx.exps))
	for id := range idx.exps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	runs, err := t.findRuns(ctx, ids, "", All, nil)
	if err != nil {
		return err
	}
	for _, r := range runs {
		for _, a := range r.Artifacts {
			if err := yield(a.Digest); err != nil {
				return err
			}
		}
	}
	return nil
}
