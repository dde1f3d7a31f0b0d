package registry

import (
	"context"
	"fmt"

	"github.com/sextant-ml/sextant/rbac"
)

// History returns every change recorded for model, oldest first, read from
// the log itself (not from the cache or a checkpoint). At a damaged entry it
// returns the events before it and the error naming the entry.
func (r *Registry) History(ctx context.Context, model string) ([]Event, error) {
	if err := r.authorize(ctx, rbac.VerbGet, rbac.ResourceModels, model); err != nil {
		return nil, err
	}
	h, err := r.handle(model)
	if err != nil {
		return nil, err
	}
	entries, err := h.log.Read(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("registry: read log of %q: %w", model, err)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%w: model %q", ErrNotFound, model)
	}
	out := make([]Event, 0, len(entries))
	for _, e := range entries {
		rec, err := decodeRecord(model, e.Seq, e.Data)
		if err != nil {
			return out, err
		}
		out = append(out, rec.event(e.Seq))
	}
	return out, nil
}
