package registry

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/sextant-ml/sextant/rbac"
)

// Model is a registered model as folded from its log.
type Model struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Owner       string            `json:"owner,omitempty"`
	Created     time.Time         `json:"created"`
	Updated     time.Time         `json:"updated"`
	Archived    bool              `json:"archived,omitempty"`
	Deleted     bool              `json:"deleted,omitempty"`
	// LatestVersion is the highest version number assigned (deleted ones included).
	LatestVersion int `json:"latest_version"`
	// Aliases maps each alias to the version it points at.
	Aliases map[string]int `json:"aliases,omitempty"`
}

func (m *Model) clone() *Model {
	c := *m
	c.Tags = maps.Clone(m.Tags)
	c.Aliases = maps.Clone(m.Aliases)
	return &c
}

// ModelSpec describes a model to create.
type ModelSpec struct {
	Description string
	Tags        map[string]string
	// Owner defaults to the actor creating the model.
	Owner string
}

// CreateModel records a new model. Registering a version of an unknown model
// creates it implicitly; CreateModel is for setting a description, tags or
// owner first. Errors match ErrExist when the model exists.
func (r *Registry) CreateModel(ctx context.Context, name string, spec *ModelSpec) (*Model, error) {
	if err := ValidateModelName(name); err != nil {
		return nil, err
	}
	if spec == nil {
		spec = &ModelSpec{}
	}
	if err := validateTags(spec.Tags); err != nil {
		return nil, fmt.Errorf("registry: model tags: %w", err)
	}
	if err := r.authorize(ctx, rbac.VerbCreate, rbac.ResourceModels, name); err != nil {
		return nil, err
	}
	st, err := r.write(ctx, name, func(s *state) (*record, error) {
		if s.model != nil {
			return nil, fmt.Errorf("%w: model %q", ErrExist, name)
		}
		d := spec.Description
		return &record{Type: EventModelCreate, Description: &d, Tags: maps.Clone(spec.Tags), Owner: spec.Owner}, nil
	})
	if err != nil {
		return nil, err
	}
	return st.modelView(), nil
}

// ModelUpdate changes a model's description and tags; nil fields stay.
type ModelUpdate struct {
	Description *string
	SetTags     map[string]string
	DeleteTags  []string
	Owner       string
}

// UpdateModel changes a model's metadata.
func (r *Registry) UpdateModel(ctx context.Context, name string, upd *ModelUpdate) (*Model, error) {
	if upd == nil {
		upd = &ModelUpdate{}
	}
	if err := validateTags(upd.SetTags); err != nil {
		return nil, fmt.Errorf("registry: model tags: %w", err)
	}
	if err := r.authorize(ctx, rbac.VerbUpdate, rbac.ResourceModels, name); err != nil {
		return nil, err
	}
	st, err := r.write(ctx, name, func(s *state) (*record, error) {
		if err := s.exists(); err != nil {
			return nil, err
		}
		return &record{Type: EventModelUpdate, Description: upd.Description, Tags: maps.Clone(upd.SetTags),
			DeleteTags: slices.Clone(upd.DeleteTags), Owner: upd.Owner}, nil
	})
	if err != nil {
		return nil, err
	}
	return st.modelView(), nil
}

// GetModel returns a model.
func (r *Registry) GetModel(ctx context.Context, name string) (*Model, error) {
	if err := r.authorize(ctx, rbac.VerbGet, rbac.ResourceModels, name); err != nil {
		return nil, err
	}
	st, err := r.existing(ctx, name)
	if err != nil {
		return nil, err
	}
	return st.modelView(), nil
}

func (s *state) modelView() *Model { return s.model.clone() }

// ArchiveModel marks a model archived (true) or active again (false).
// Archived models keep their versions and aliases and stay readable.
func (r *Registry) ArchiveModel(ctx context.Context, name string, archived bool) error {
	if err := r.authorize(ctx, rbac.VerbUpdate, rbac.ResourceModels, name); err != nil {
		return err
	}
	_, err := r.write(ctx, name, func(s *state) (*record, error) {
		if err := s.exists(); err != nil {
			return nil, err
		}
		return &record{Type: EventModelArchive, Archived: archived}, nil
	})
	return err
}

// DeleteModel soft-deletes a model: the deletion is recorded, its aliases
// are dropped, and reads fail with ErrDeleted. The log and files stay for
// audit (and for artifact garbage collection to decide on).
func (r *Registry) DeleteModel(ctx context.Context, name string) error {
	if err := r.authorize(ctx, rbac.VerbDelete, rbac.ResourceModels, name); err != nil {
		return err
	}
	_, err := r.write(ctx, name, func(s *state) (*record, error) {
		if err := s.exists(); err != nil {
			return nil, err
		}
		return &record{Type: EventModelDelete}, nil
	})
	return err
}
