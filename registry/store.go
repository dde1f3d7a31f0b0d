package registry

import (
	"context"
	"fmt"
	"io"

	"github.com/sextant-ml/sextant/artifact"
)

// The registry's only contact with the artifact store: put bytes, check that
// a digest is present, open verified bytes.

func (r *Registry) put(ctx context.Context, body io.Reader) (artifact.Descriptor, error) {
	d, err := r.store.Put(ctx, body, nil)
	if err != nil {
		return artifact.Descriptor{}, fmt.Errorf("registry: store: %w", err)
	}
	return d, nil
}

func (r *Registry) stat(ctx context.Context, d artifact.Digest) (artifact.Descriptor, error) {
	info, err := r.store.Stat(ctx, d)
	if err != nil {
		return artifact.Descriptor{}, fmt.Errorf("registry: store: %w", err)
	}
	return artifact.Descriptor{Digest: info.Digest, Size: info.Size}, nil
}

// openBlob returns a reader that fails with artifact.ErrDigestMismatch rather
// than returning bytes that do not match d.
func (r *Registry) openBlob(ctx context.Context, d artifact.Digest) (io.ReadCloser, error) {
	rc, err := r.store.Open(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("registry: store: %w", err)
	}
	return rc, nil
}

func (r *Registry) getBlob(ctx context.Context, d artifact.Digest) ([]byte, error) {
	b, err := r.store.Get(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("registry: store: %w", err)
	}
	return b, nil
}
