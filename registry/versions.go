package registry

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/rbac"
)

// Status is the lifecycle state of a version.
type Status string

// Version statuses, as MLflow and Kubeflow name them.
const (
	StatusPending Status = "pending"
	StatusReady   Status = "ready"
	StatusFailed  Status = "failed"
)

func (s Status) valid() bool {
	return s == StatusPending || s == StatusReady || s == StatusFailed
}

// File is one entry of a version's manifest: a slash-separated relative path
// and the artifact digest ("sha256:<hex>") of its bytes.
type File struct {
	Path   string          `json:"path"`
	Digest artifact.Digest `json:"digest"`
	Size   int64           `json:"size"`
}

// Lineage records where a version came from.
type Lineage struct {
	// Datasets are the manifest digests of the data the version was trained on.
	Datasets []string `json:"datasets,omitempty"`
	// CodeRevision defaults to the vcs.revision of the running binary's build info.
	CodeRevision string `json:"code_revision,omitempty"`
	// Parent is the version this one was derived from (fine-tuned, retrained), 0 for none.
	Parent int `json:"parent,omitempty"`
	// RunID names the training run.
	RunID string `json:"run_id,omitempty"`
	// Source is free-form: a URL, a job name, a notebook path.
	Source string `json:"source,omitempty"`
}

// Version is one registered version of a model as folded from the log.
// Values returned by the Registry are copies the caller may modify.
type Version struct {
	Model       string             `json:"model"`
	Number      int                `json:"number"`
	Description string             `json:"description,omitempty"`
	Files       []File             `json:"files"`
	Tags        map[string]string  `json:"tags,omitempty"`
	Params      map[string]string  `json:"params,omitempty"`
	Metrics     map[string]float64 `json:"metrics,omitempty"`
	Status      Status             `json:"status"`
	Author      string             `json:"author,omitempty"`
	Created     time.Time          `json:"created"`
	Updated     time.Time          `json:"updated"`
	Lineage     Lineage            `json:"lineage"`
	Archived    bool               `json:"archived,omitempty"`
	Deleted     bool               `json:"deleted,omitempty"`
	// Card is the artifact digest of the stored model card, "" if none.
	Card       artifact.Digest `json:"card,omitempty"`
	Signatures []Signature     `json:"signatures,omitempty"`
	// Aliases lists the aliases pointing at this version, sorted. It is filled
	// in on the copies the Registry returns and not stored.
	Aliases []string `json:"-"`
}

// Ref returns the numbered reference of the version ("name/N").
func (v *Version) Ref() Ref { return Ref{Model: v.Model, Version: v.Number} }

// File returns the manifest entry for path.
func (v *Version) File(path string) (File, bool) {
	i, ok := slices.BinarySearchFunc(v.Files, path, func(f File, p string) int {
		switch {
		case f.Path < p:
			return -1
		case f.Path > p:
			return 1
		}
		return 0
	})
	if !ok {
		return File{}, false
	}
	return v.Files[i], true
}

func (v *Version) clone() *Version {
	c := *v
	c.Files = slices.Clone(v.Files)
	c.Tags = maps.Clone(v.Tags)
	c.Params = maps.Clone(v.Params)
	c.Metrics = maps.Clone(v.Metrics)
	c.Lineage.Datasets = slices.Clone(v.Lineage.Datasets)
	c.Signatures = slices.Clone(v.Signatures)
	c.Aliases = slices.Clone(v.Aliases)
	return &c
}

// resolve finds the version ref names in st.
func (s *state) resolve(ref Ref) (int, error) {
	if err := s.exists(); err != nil {
		return 0, err
	}
	n := ref.Version
	switch {
	case ref.Alias == Latest:
		for n = len(s.versions); n > 0; n-- {
			if v := s.versions[n-1]; !v.Deleted && !v.Archived {
				return n, nil
			}
		}
		return 0, fmt.Errorf("%w: model %q has no active version", ErrNotFound, s.name)
	case ref.Alias != "":
		var ok bool
		if n, ok = s.model.Aliases[ref.Alias]; !ok {
			return 0, fmt.Errorf("%w: alias %q of model %q", ErrNotFound, ref.Alias, s.name)
		}
	}
	v := s.version(n)
	if v == nil {
		return 0, fmt.Errorf("%w: version %d of model %q", ErrNotFound, n, s.name)
	}
	if v.Deleted {
		return 0, fmt.Errorf("%w: version %d of model %q", ErrDeleted, n, s.name)
	}
	return n, nil
}

// Resolve returns the version number ref ("name/3", "name@alias",
// "name@latest") names. Served from the cache while it is fresh (see
// Options.MaxStaleness), it takes well under a microsecond and does not allocate.
func (r *Registry) Resolve(ctx context.Context, ref string) (int, error) {
	p, err := ParseRef(ref)
	if err != nil {
		return 0, err
	}
	if err := r.authorize(ctx, rbac.VerbGet, rbac.ResourceModelVersions, p.Model); err != nil {
		return 0, err
	}
	st, err := r.state(ctx, p.Model, false)
	if err != nil {
		return 0, err
	}
	return st.resolve(p)
}

// Get returns the version ref names.
func (r *Registry) Get(ctx context.Context, ref string) (*Version, error) {
	st, n, err := r.lookup(ctx, ref, rbac.VerbGet, false)
	if err != nil {
		return nil, err
	}
	return st.view(n), nil
}

// lookup authorizes verb on models/versions and resolves ref against the
// cached state. With latest set, a reference through an alias is resolved
// against the log itself, for operations that read a version before writing
// about it (Sign, SaveCard): a cache up to MaxStaleness old could name the
// alias's previous holder.
func (r *Registry) lookup(ctx context.Context, ref, verb string, latest bool) (*state, int, error) {
	p, err := ParseRef(ref)
	if err != nil {
		return nil, 0, err
	}
	if err := r.authorize(ctx, verb, rbac.ResourceModelVersions, p.Model); err != nil {
		return nil, 0, err
	}
	st, err := r.state(ctx, p.Model, latest && p.Alias != "")
	if err != nil {
		return nil, 0, err
	}
	n, err := st.resolve(p)
	if err != nil {
		return nil, 0, err
	}
	return st, n, nil
}

// VersionUpdate changes a version; nil or empty fields stay as they are.
// Metrics are merged into the version's metrics (evaluation after
// registration is common). A signature covers the metrics the version had
// when it was signed: changing them leaves the version without a valid
// signature until it is signed again.
type VersionUpdate struct {
	Description *string
	SetTags     map[string]string
	DeleteTags  []string
	Metrics     map[string]float64
	Status      Status
}

// UpdateVersion changes the version ref names. Recording metrics asks the
// Authorizer for "evaluate models/versions", the other fields for "update
// models/versions" (an update with both asks both): the metrics are what a
// promotion gate reads, so permission to edit a version's description is
// not permission to rewrite its evaluation. A reference through an alias is resolved
// against the log (not the cache) when the write is first tried, and only
// then: the update lands on that version even if the alias moves while the
// write retries. ArchiveVersion and DeleteVersion resolve the same way.
func (r *Registry) UpdateVersion(ctx context.Context, ref string, upd *VersionUpdate) (*Version, error) {
	if upd == nil {
		upd = &VersionUpdate{}
	}
	if err := validateTags(upd.SetTags); err != nil {
		return nil, fmt.Errorf("registry: version tags: %w", err)
	}
	if err := validateMetrics(upd.Metrics); err != nil {
		return nil, fmt.Errorf("registry: version metrics: %w", err)
	}
	if upd.Status != "" && !upd.Status.valid() {
		return nil, fmt.Errorf("%w: status %q", ErrInvalidArgument, upd.Status)
	}
	evaluate := len(upd.Metrics) > 0
	update := upd.Description != nil || len(upd.SetTags) > 0 || len(upd.DeleteTags) > 0 || upd.Status != "" || !evaluate
	var verbs []string
	if update {
		verbs = append(verbs, rbac.VerbUpdate)
	}
	if evaluate {
		verbs = append(verbs, rbac.VerbEvaluate)
	}
	return r.changeVersion(ctx, ref, verbs, func(_ *state, n int) (*record, error) {
		return &record{Type: EventVersionUpdate, Version: n, Description: upd.Description,
			Tags: maps.Clone(upd.SetTags), DeleteTags: slices.Clone(upd.DeleteTags),
			Metrics: maps.Clone(upd.Metrics), Status: upd.Status}, nil
	})
}

// changeVersion authorizes each of verbs, resolves ref and appends the
// record mk builds for it.
func (r *Registry) changeVersion(ctx context.Context, ref string, verbs []string, mk func(s *state, n int) (*record, error)) (*Version, error) {
	p, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	for _, verb := range verbs {
		if err := r.authorize(ctx, verb, rbac.ResourceModelVersions, p.Model); err != nil {
			return nil, err
		}
	}
	var n int
	st, err := r.write(ctx, p.Model, func(s *state) (*record, error) {
		var err error
		if n, err = s.resolveOnce(p, n); err != nil {
			return nil, err
		}
		return mk(s, n)
	})
	if err != nil {
		return nil, err
	}
	return st.view(n), nil
}

// resolveOnce resolves p in s, the state a write is about to extend, when n
// is 0; on a retry after a lost race (n set) it checks that version n is
// still there instead, so that a reference through an alias names the
// version the alias held when the write was first tried, never one read
// from an older cache.
func (s *state) resolveOnce(p Ref, n int) (int, error) {
	if n == 0 {
		return s.resolve(p)
	}
	return s.resolve(Ref{Model: s.name, Version: n})
}

// ArchiveVersion archives (true) or restores (false) a version. Archiving
// drops the aliases pointing at it; an archived version stays readable by
// number but cannot receive an alias.
func (r *Registry) ArchiveVersion(ctx context.Context, ref string, archived bool) (*Version, error) {
	return r.changeVersion(ctx, ref, []string{rbac.VerbUpdate}, func(_ *state, n int) (*record, error) {
		return &record{Type: EventVersionArchive, Version: n, Archived: archived}, nil
	})
}

// DeleteVersion soft-deletes a version: recorded in the log, its aliases
// dropped, and reads by number fail with ErrDeleted. Its number is never reused.
func (r *Registry) DeleteVersion(ctx context.Context, ref string) error {
	_, err := r.changeVersion(ctx, ref, []string{rbac.VerbDelete}, func(_ *state, n int) (*record, error) {
		return &record{Type: EventVersionDelete, Version: n}, nil
	})
	return err
}
