package artifact

import (
	"context"
	"fmt"
)

// A Referrer reports the content it holds references to: the mark phase
// of a bucket-wide collection. registry.Registry, dataset.Store and
// pipeline.Runs implement it; so can any code of the caller's that
// records digests on the bucket.
type Referrer interface {
	// References calls yield for every digest referenced, in any order
	// and possibly more than once, and returns the first error of yield
	// or of its own reading.
	References(ctx context.Context, yield func(Digest) error) error
}

// Collect runs one collection over the store whose live set is every
// digest any of refs references: GC with the mark phase composed from the
// packages that record references, so that on a shared bucket nothing
// one of them still uses is deleted. The referrers are read before
// anything is deleted, and an error from any of them aborts the
// collection with nothing deleted. Content stored after the marks were
// read is younger than the grace period and kept (see GC).
func (s *Store) Collect(ctx context.Context, refs []Referrer, opts *GCOptions) (GCStats, error) {
	live := make(map[Digest]struct{})
	for i, r := range refs {
		if r == nil {
			return GCStats{}, fmt.Errorf("artifact: collect: referrer %d is nil", i)
		}
		err := r.References(ctx, func(d Digest) error {
			live[d] = struct{}{}
			return nil
		})
		if err != nil {
			return GCStats{}, fmt.Errorf("artifact: collect: mark (referrer %d, %T): %w", i, r, err)
		}
	}
	return s.GC(ctx, func(d Digest) bool {
		_, ok := live[d]
		return ok
	}, opts)
}

// ReferrerFunc adapts a function to a Referrer.
type ReferrerFunc func(ctx context.Context, yield func(Digest) error) error

// References calls f.
func (f ReferrerFunc) References(ctx context.Context, yield func(Digest) error) error {
	return f(ctx, yield)
}
