package registry

import (
	"context"
	"slices"

	"github.com/sextant-ml/sextant/artifact"
)

// ChangeKind says how an item differs between two versions.
type ChangeKind string

// Kinds of change.
const (
	Added    ChangeKind = "added"
	Removed  ChangeKind = "removed"
	Modified ChangeKind = "modified"
)

// ParamChange is a param (or tag) that differs.
type ParamChange struct {
	Key      string
	Kind     ChangeKind
	From, To string
}

// MetricChange is a metric that differs; Delta is To - From when both exist.
type MetricChange struct {
	Name     string
	Kind     ChangeKind
	From, To float64
	Delta    float64
}

// FileChange is a file that differs.
type FileChange struct {
	Path     string
	Kind     ChangeKind
	From, To artifact.Digest
}

// Comparison lists what differs between two versions, each list sorted by
// name or path; identical items are left out.
type Comparison struct {
	From, To *Version
	Params   []ParamChange
	Tags     []ParamChange
	Metrics  []MetricChange
	Files    []FileChange
}

// Compare returns the differences from version a to version b (references
// of any form, possibly of different models).
func (r *Registry) Compare(ctx context.Context, a, b string) (*Comparison, error) {
	va, err := r.Get(ctx, a)
	if err != nil {
		return nil, err
	}
	vb, err := r.Get(ctx, b)
	if err != nil {
		return nil, err
	}
	return CompareVersions(va, vb), nil
}

// CompareVersions is Compare on versions already at hand.
func CompareVersions(a, b *Version) *Comparison {
	c := &Comparison{From: a, To: b, Params: diffStrings(a.Params, b.Params), Tags: diffStrings(a.Tags, b.Tags)}
	for _, k := range unionKeys(a.Metrics, b.Metrics) {
		x, inA := a.Metrics[k]
		y, inB := b.Metrics[k]
		switch {
		case !inB:
			c.Metrics = append(c.Metrics, MetricChange{Name: k, Kind: Removed, From: x})
		case !inA:
			c.Metrics = append(c.Metrics, MetricChange{Name: k, Kind: Added, To: y})
		case x != y:
			c.Metrics = append(c.Metrics, MetricChange{Name: k, Kind: Modified, From: x, To: y, Delta: y - x})
		}
	}
	fa := make(map[string]artifact.Digest, len(a.Files))
	for _, f := range a.Files {
		fa[f.Path] = f.Digest
	}
	fb := make(map[string]artifact.Digest, len(b.Files))
	for _, f := range b.Files {
		fb[f.Path] = f.Digest
	}
	for _, p := range unionKeys(fa, fb) {
		x, inA := fa[p]
		y, inB := fb[p]
		switch {
		case !inB:
			c.Files = append(c.Files, FileChange{Path: p, Kind: Removed, From: x})
		case !inA:
			c.Files = append(c.Files, FileChange{Path: p, Kind: Added, To: y})
		case x != y:
			c.Files = append(c.Files, FileChange{Path: p, Kind: Modified, From: x, To: y})
		}
	}
	return c
}

func diffStrings(a, b map[string]string) []ParamChange {
	var out []ParamChange
	for _, k := range unionKeys(a, b) {
		x, inA := a[k]
		y, inB := b[k]
		switch {
		case !inB:
			out = append(out, ParamChange{Key: k, Kind: Removed, From: x})
		case !inA:
			out = append(out, ParamChange{Key: k, Kind: Added, To: y})
		case x != y:
			out = append(out, ParamChange{Key: k, Kind: Modified, From: x, To: y})
		}
	}
	return out
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}
