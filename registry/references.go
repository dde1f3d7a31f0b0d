package registry

import (
	"context"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/rbac"
)

// References calls yield with every digest the registry refers to, for
// artifact.Store.Collect: the files, model card and signature envelopes of
// every version that is not deleted (archived versions included), of every
// model in the catalog that is not deleted. It reads each model's log
// fresh and needs list on models.
func (r *Registry) References(ctx context.Context, yield func(artifact.Digest) error) error {
	if err := r.authorize(ctx, rbac.VerbList, rbac.ResourceModels, ""); err != nil {
		return err
	}
	names, err := r.modelNames(ctx)
	if err != nil {
		return err
	}
	for _, name := range names {
		st, err := r.state(ctx, name, true)
		if err != nil {
			return err
		}
		if st.model == nil || st.model.Deleted {
			continue
		}
		for _, v := range st.versions {
			if v.Deleted {
				continue
			}
			for _, f := range v.Files {
				if err := yield(f.Digest); err != nil {
					return err
				}
			}
			if v.Card != "" {
				if err := yield(v.Card); err != nil {
					return err
				}
			}
			for _, s := range v.Signatures {
				if err := yield(s.Digest); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
