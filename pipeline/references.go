package pipeline

import (
	"context"
	"strings"

	"github.com/sextant-ml/sextant/artifact"
	"gocloud.dev/blob"
)

// References calls yield with every digest the store's runs recorded as a
// task output (TaskRun.Set with a value that parses as artifact.ParseDigest
// does, such as the digest of a model file a training task stored), for
// artifact.Store.Collect.
func (s *Store) References(ctx context.Context, yield func(artifact.Digest) error) error {
	runs, err := s.Runs(ctx)
	if err != nil {
		return err
	}
	for _, r := range runs {
		for _, t := range r.Tasks {
			for _, v := range t.Outputs {
				if d, err := artifact.ParseDigest(v); err == nil {
					if err := yield(d); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// References returns the referrer of every pipeline's runs on b: the
// digests of References over each pipeline that has a run log under
// pipelines/.
func References(b *artifact.Bucket) artifact.Referrer {
	return artifact.ReferrerFunc(func(ctx context.Context, yield func(artifact.Digest) error) error {
		var names []string
		err := b.List(ctx, "pipelines/", func(rel string, _ *blob.ListObject) error {
			name, _, ok := strings.Cut(strings.TrimPrefix(rel, "pipelines/"), "/")
			if ok && checkName(name) == nil && (len(names) == 0 || names[len(names)-1] != name) {
				names = append(names, name)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, name := range names {
			s, err := OpenStore(b, name)
			if err != nil {
				return err
			}
			if err := s.References(ctx, yield); err != nil {
				return err
			}
		}
		return nil
	})
}
