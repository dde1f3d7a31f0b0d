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

// CompareVersions is Compare on versions already at hand. A nil version
// compares as one with nothing in it.
func CompareVersions(a, b *Version) *Comparison {
	if a == nil {
		a = &Version{}
	}
	if b == nil {
		b = &Version{}
	}
	c := &Comparison{From: a, To: b}
	diffMaps(a.Params, b.Params, func(k string, kind ChangeKind, x, y string) {
		c.Params = append(c.Params, ParamChange{Key: k, Kind: kind, From: x, To: y})
	})
	diffMaps(a.Tags, b.Tags, func(k string, kind ChangeKind, x, y string) {
		c.Tags = append(c.Tags, ParamChange{Key: k, Kind: kind, From: x, To: y})
	})
	diffMaps(a.Metrics, b.Metrics, func(k string, kind ChangeKind, x, y float64) {
		m := MetricChange{Name: k, Kind: kind, From: x, To: y}
		if kind == Modified {
			m.Delta = y - x
		}
		c.Metrics = append(c.Metrics, m)
	})
	diffMaps(manifestMap(a.Files), manifestMap(b.Files), func(p string, kind ChangeKind, x, y artifact.Digest) {
		c.Files = append(c.Files, FileChange{Path: p, Kind: kind, From: x, To: y})
	})
	return c
}

func manifestMap(files []File) map[string]artifact.Digest {
	m := make(map[string]artifact.Digest, len(files))
	for _, f := range files {
		m[f.Path] = f.Digest
	}
	return m
}

// diffMaps calls emit, in key order, for each key whose value differs from a
// to b; a value absent on one side is the zero value.
func diffMaps[V comparable](a, b map[string]V, emit func(key string, kind ChangeKind, from, to V)) {
	for _, k := range unionKeys(a, b) {
		x, inA := a[k]
		y, inB := b[k]
		switch {
		case !inB:
			emit(k, Removed, x, y)
		case !inA:
			emit(k, Added, x, y)
		case x != y:
			emit(k, Modified, x, y)
		}
	}
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
