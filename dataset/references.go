package dataset

import (
	"context"
	"errors"
	"strings"

	"github.com/sextant-ml/sextant/artifact"
	"gocloud.dev/blob"
)

// References calls yield with every digest the store's datasets refer
// to, for artifact.Store.Collect: the manifest of every version of every
// dataset on the bucket, and every file those manifests list. It needs
// list on every dataset.
func (s *Store) References(ctx context.Context, yield func(artifact.Digest) error) error {
	names, err := s.names(ctx)
	if err != nil {
		return err
	}
	for _, name := range names {
		versions, err := s.Versions(ctx, name)
		if errors.Is(err, ErrNotFound) {
			continue // a log directory holding no version yet
		}
		if err != nil {
			return err
		}
		for _, v := range versions {
			if err := yield(v.Manifest); err != nil {
				return err
			}
			m, err := s.Manifest(ctx, v.Manifest)
			if err != nil {
				return err
			}
			for _, e := range m.Entries {
				if err := yield(e.Digest); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// names lists the datasets that have a log on the bucket, sorted.
func (s *Store) names(ctx context.Context) ([]string, error) {
	var out []string
	err := s.bucket.List(ctx, "datasets/", func(rel string, _ *blob.ListObject) error {
		name, _, ok := strings.Cut(strings.TrimPrefix(rel, "datasets/"), "/")
		if ok && ValidateName(name) == nil && (len(out) == 0 || out[len(out)-1] != name) {
			out = append(out, name)
		}
		return nil
	})
	return out, err
}
