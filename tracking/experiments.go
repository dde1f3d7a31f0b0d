package tracking

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Lifecycle is whether an experiment or run is active or deleted
// (MLflow's lifecycle_stage).
type Lifecycle string

// Lifecycle stages.
const (
	Active  Lifecycle = "active"
	Deleted Lifecycle = "deleted"
)

// DefaultExperimentID is the experiment every tracker has, named
// DefaultExperimentName, as MLflow's experiment 0.
const (
	DefaultExperimentID   = "0"
	DefaultExperimentName = "Default"
)

// Experiment groups runs.
type Experiment struct {
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	ArtifactLocation string            `json:"artifact_location"`
	Lifecycle        Lifecycle         `json:"lifecycle"`
	Tags             map[string]string `json:"tags,omitempty"`
	// CreationTime and LastUpdateTime are Unix milliseconds.
	CreationTime   int64 `json:"creation_time"`
	LastUpdateTime int64 `json:"last_update_time"`
}

func (e *Experiment) clone() *Experiment {
	c := *e
	c.Tags = maps.Clone(e.Tags)
	return &c
}

// ExperimentOptions are the optional parts of a new experiment.
type ExperimentOptions struct {
	// ArtifactLocation is recorded as given. Default
	// "tracking/experiments/<id>", a label: run artifacts are stored by
	// digest in the artifact store whatever it says.
	ArtifactLocation string
	Tags             map[string]string
}

// CreateExperiment creates an experiment and returns its id. Names are
// unique among all experiments, deleted ones included (ErrAlreadyExists).
func (t *Tracker) CreateExperiment(ctx context.Context, name string, opts *ExperimentOptions) (string, error) {
	if err := validExperimentName(name); err != nil {
		return "", err
	}
	if opts == nil {
		opts = &ExperimentOptions{}
	}
	for k, v := range opts.Tags {
		if err := ValidateTag(Tag{k, v}); err != nil {
			return "", err
		}
	}
	rec := &record{Type: typeExperimentCreate, Time: t.nowMs(), User: t.user(ctx), Name: name,
		Location: opts.ArtifactLocation, ExpTags: maps.Clone(opts.Tags)}
	data, err := encodeRecord(rec)
	if err != nil {
		return "", err
	}
	_, e, err := t.index.Append(ctx, func(s *indexState) ([]byte, error) {
		if id, ok := s.byName[name]; ok {
			return nil, fmt.Errorf("%w: experiment %q exists (id %s)", ErrAlreadyExists, name, id)
		}
		return data, nil
	})
	if err != nil {
		return "", wrapConflict(err, "create experiment")
	}
	return fmt.Sprint(e.Seq), nil
}

func (t *Tracker) indexState(ctx context.Context) (*indexState, error) {
	return t.index.State(ctx, t.stale)
}

// experiment returns the experiment id from the cache, reading the log when
// the cache lacks it (so that one just created elsewhere is found at once).
func (t *Tracker) experiment(ctx context.Context, id string) (*Experiment, error) {
	s, err := t.indexState(ctx)
	if err != nil {
		return nil, err
	}
	x := s.exps[id]
	if x == nil {
		if s, err = t.index.Refresh(ctx); err != nil {
			return nil, err
		}
		if x = s.exps[id]; x == nil {
			return nil, fmt.Errorf("%w: no experiment with id %q", ErrNotFound, id)
		}
	}
	return x, nil
}

// GetExperiment returns the experiment id, deleted or not.
func (t *Tracker) GetExperiment(ctx context.Context, id string) (*Experiment, error) {
	x, err := t.experiment(ctx, id)
	if err != nil {
		return nil, err
	}
	return x.clone(), nil
}

// GetExperimentByName returns the experiment named name, deleted or not.
func (t *Tracker) GetExperimentByName(ctx context.Context, name string) (*Experiment, error) {
	s, err := t.indexState(ctx)
	if err != nil {
		return nil, err
	}
	id, ok := s.byName[name]
	if !ok {
		if s, err = t.index.Refresh(ctx); err != nil {
			return nil, err
		}
		if id, ok = s.byName[name]; !ok {
			return nil, fmt.Errorf("%w: no experiment named %q", ErrNotFound, name)
		}
	}
	return s.exps[id].clone(), nil
}

func (t *Tracker) changeExperiment(ctx context.Context, id, typ string, tags map[string]string, check func(x *Experiment) error) error {
	rec := &record{Type: typ, Time: t.nowMs(), User: t.user(ctx), Experiment: id, ExpTags: tags}
	data, err := encodeRecord(rec)
	if err != nil {
		return err
	}
	if _, err := t.experiment(ctx, id); err != nil {
		return err
	}
	_, _, err = t.index.Append(ctx, func(s *indexState) ([]byte, error) {
		x := s.exps[id]
		if x == nil {
			return nil, fmt.Errorf("%w: no experiment with id %q", ErrNotFound, id)
		}
		if err := check(x); err != nil {
			return nil, err
		}
		return data, nil
	})
	return wrapConflict(err, "change experiment")
}

// DeleteExperiment marks an active experiment deleted; its runs stay as
// they are but cannot be created in it.
func (t *Tracker) DeleteExperiment(ctx context.Context, id string) error {
	if id == DefaultExperimentID {
		return fmt.Errorf("%w: the default experiment cannot be deleted", ErrInvalidParameter)
	}
	return t.changeExperiment(ctx, id, typeExperimentDelete, nil, func(x *Experiment) error {
		if x.Lifecycle != Active {
			return fmt.Errorf("%w: experiment %s is %s", ErrNotActive, id, x.Lifecycle)
		}
		return nil
	})
}

// RestoreExperiment makes a deleted experiment active again.
func (t *Tracker) RestoreExperiment(ctx context.Context, id string) error {
	return t.changeExperiment(ctx, id, typeExperimentRestore, nil, func(x *Experiment) error {
		if x.Lifecycle != Deleted {
			return fmt.Errorf("%w: experiment %s is not deleted", ErrInvalidParameter, id)
		}
		return nil
	})
}

// SetExperimentTag sets a tag on an active experiment.
func (t *Tracker) SetExperimentTag(ctx context.Context, id, key, value string) error {
	if err := ValidateTag(Tag{key, value}); err != nil {
		return err
	}
	return t.changeExperiment(ctx, id, typeExperimentTag, map[string]string{key: value}, func(x *Experiment) error {
		if x.Lifecycle != Active {
			return fmt.Errorf("%w: experiment %s is %s", ErrNotActive, id, x.Lifecycle)
		}
		return nil
	})
}

// ExperimentSearch selects experiments.
type ExperimentSearch struct {
	// Filter on name (text), tags.<key> (text), creation_time and
	// last_update_time (numbers, Unix ms). Default: every experiment.
	Filter string
	// ViewType defaults to ActiveOnly.
	ViewType ViewType
	// OrderBy clauses "<field> [ASC|DESC]" on the fields of Filter and
	// experiment_id. Default: creation_time DESC, then experiment_id.
	OrderBy []string
	// MaxResults defaults to 1000.
	MaxResults int
	PageToken  string
}

// ExperimentPage is one page of a search.
type ExperimentPage struct {
	Experiments   []*Experiment
	NextPageToken string
}

// SearchExperiments lists experiments passing the filter.
func (t *Tracker) SearchExperiments(ctx context.Context, q *ExperimentSearch) (*ExperimentPage, error) {
	if q == nil {
		q = &ExperimentSearch{}
	}
	f, err := parseFilter(q.Filter, experimentField)
	if err != nil {
		return nil, err
	}
	order, err := parseOrderBy(q.OrderBy, experimentField)
	if err != nil {
		return nil, err
	}
	size, off, err := pageOf(q.MaxResults, q.PageToken, "experiments", q.Filter, string(q.ViewType), strings.Join(q.OrderBy, ","))
	if err != nil {
		return nil, err
	}
	s, err := t.index.State(ctx, t.stale)
	if err != nil {
		return nil, err
	}
	var out []*Experiment
	for _, x := range s.exps {
		if q.ViewType.admits(x.Lifecycle) && f.Match(experimentSubject{x}) {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b *Experiment) int {
		if c := order.compare(experimentSubject{a}, experimentSubject{b}); c != 0 {
			return c
		}
		if len(order) == 0 {
			if c := cmp.Compare(b.CreationTime, a.CreationTime); c != 0 {
				return c
			}
		}
		return compareIDs(a.ID, b.ID)
	})
	page := &ExperimentPage{}
	items, next := paginate(out, size, off)
	for _, x := range items {
		page.Experiments = append(page.Experiments, x.clone())
	}
	if next >= 0 {
		page.NextPageToken = encodeToken(next, "experiments", q.Filter, string(q.ViewType), strings.Join(q.OrderBy, ","))
	}
	return page, nil
}
