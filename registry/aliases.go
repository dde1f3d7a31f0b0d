package registry

import (
	"context"
	"fmt"

	"github.com/sextant-ml/sextant/rbac"
)

// SetAlias points alias at version of model, creating or moving it. Every
// call is recorded, so History shows every move. The version must exist and
// be neither archived nor deleted.
func (r *Registry) SetAlias(ctx context.Context, model, alias string, version int) error {
	if err := r.checkAliasArgs(model, alias); err != nil {
		return err
	}
	if err := r.authorize(ctx, rbac.VerbUpdate, rbac.ResourceModelAliases, model); err != nil {
		return err
	}
	_, err := r.write(ctx, model, func(s *state) (*record, error) {
		return s.aliasRecord(alias, version)
	})
	return err
}

func (r *Registry) checkAliasArgs(model, alias string) error {
	if err := ValidateModelName(model); err != nil {
		return err
	}
	return ValidateAlias(alias)
}

// aliasRecord checks that alias may point at version and builds the entry.
func (s *state) aliasRecord(alias string, version int) (*record, error) {
	if _, err := s.resolve(Ref{Model: s.name, Version: version}); err != nil {
		return nil, err
	}
	if s.versions[version-1].Archived {
		return nil, fmt.Errorf("%w: version %d of model %q", ErrArchived, version, s.name)
	}
	return &record{Type: EventAliasSet, Alias: alias, Version: version, Previous: s.model.Aliases[alias]}, nil
}

// DeleteAlias removes alias from model. Errors match ErrNotFound when the
// alias is not set.
func (r *Registry) DeleteAlias(ctx context.Context, model, alias string) error {
	if err := r.checkAliasArgs(model, alias); err != nil {
		return err
	}
	if err := r.authorize(ctx, rbac.VerbDelete, rbac.ResourceModelAliases, model); err != nil {
		return err
	}
	_, err := r.write(ctx, model, func(s *state) (*record, error) {
		if err := s.exists(); err != nil {
			return nil, err
		}
		prev, ok := s.model.Aliases[alias]
		if !ok {
			return nil, fmt.Errorf("%w: alias %q of model %q", ErrNotFound, alias, model)
		}
		return &record{Type: EventAliasDelete, Alias: alias, Previous: prev}, nil
	})
	return err
}
