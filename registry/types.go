package registry

import (
	"maps"
	"slices"
	"time"

	"github.com/sextant-ml/sextant/artifact"
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

// Signature records a DSSE envelope stored in the artifact store for a version.
type Signature struct {
	KeyID   string          `json:"keyid"`
	Digest  artifact.Digest `json:"digest"` // artifact digest of the envelope JSON
	Actor   string          `json:"actor,omitempty"`
	Created time.Time       `json:"created"`
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

func (m *Model) clone() *Model {
	c := *m
	c.Tags = maps.Clone(m.Tags)
	c.Aliases = maps.Clone(m.Aliases)
	return &c
}
