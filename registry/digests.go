package registry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/rbac"
)

// Files registered by digest (an Upload without a Body) name content already
// in the shared artifact store. With an Authorizer, such a reference is
// accepted only if the subject could read that content anyway; otherwise a
// subject limited to its own models could read another team's weights
// through a version of its own, or probe the store for what it holds.

// unknownDigest is the one error a digest reference gets when the subject
// may not read it or the store lacks it: the two are never told apart.
func unknownDigest(path string, d artifact.Digest) error {
	return fmt.Errorf("%w: file %q: %s is not in the store or not readable by this subject", ErrUnknownDigest, path, d)
}

// digestFiles resolves the uploads without a body to manifest entries.
// uploaded holds the digests of the bodies of the same call, which the
// subject has just written.
func (r *Registry) digestFiles(ctx context.Context, model string, uploads []Upload, uploaded map[artifact.Digest]bool) (map[artifact.Digest]artifact.Descriptor, error) {
	want := make(map[artifact.Digest]string) // digest -> a path naming it, for errors
	for _, u := range uploads {
		if u.Body == nil {
			if _, ok := want[u.Digest]; !ok {
				want[u.Digest] = u.Path
			}
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	if err := r.mayReadDigests(ctx, model, want, uploaded); err != nil {
		return nil, err
	}
	out := make(map[artifact.Digest]artifact.Descriptor, len(want))
	for d, path := range want {
		desc, err := r.stat(ctx, d)
		if errors.Is(err, artifact.ErrNotFound) {
			return nil, unknownDigest(path, d)
		}
		if err != nil {
			return nil, fmt.Errorf("registry: file %q: %w", path, err)
		}
		out[d] = desc
	}
	return out, nil
}

// mayReadDigests checks that the subject may read each digest of want: one
// uploaded in the same call, any digest when "get artifacts" is granted
// without a name, or else one listed by a version (neither deleted) of a
// model (not deleted) on which the subject may "get models/versions". The
// target model is searched first, then every model of the catalog.
func (r *Registry) mayReadDigests(ctx context.Context, model string, want map[artifact.Digest]string, uploaded map[artifact.Digest]bool) error {
	if r.auth == nil {
		return nil
	}
	missing := make(map[artifact.Digest]bool, len(want))
	for d := range want {
		if !uploaded[d] {
			missing[d] = true
		}
	}
	if len(missing) == 0 || r.auth.Authorize(ctx, rbac.VerbGet, rbac.ResourceArtifacts, "") == nil {
		return nil
	}
	search := func(name string) {
		if r.auth.Authorize(ctx, rbac.VerbGet, rbac.ResourceModelVersions, name) != nil {
			return
		}
		st, err := r.state(ctx, name, false)
		if err != nil || st.model == nil || st.model.Deleted {
			return
		}
		for _, v := range st.versions {
			if v.Deleted {
				continue
			}
			for _, f := range v.Files {
				delete(missing, f.Digest)
			}
		}
	}
	search(model)
	if len(missing) > 0 {
		names, err := r.modelNames(ctx)
		if err != nil {
			return err
		}
		for _, name := range names {
			if len(missing) == 0 {
				break
			}
			if name != model {
				search(name)
			}
		}
	}
	for _, u := range sortedPaths(want) {
		if missing[u.d] {
			return unknownDigest(u.path, u.d)
		}
	}
	return nil
}

type pathDigest struct {
	path string
	d    artifact.Digest
}

// sortedPaths lists want by path, so errors name the same file every time.
func sortedPaths(want map[artifact.Digest]string) []pathDigest {
	out := make([]pathDigest, 0, len(want))
	for d, p := range want {
		out = append(out, pathDigest{p, d})
	}
	slices.SortFunc(out, func(a, b pathDigest) int { return cmp.Compare(a.path, b.path) })
	return out
}
