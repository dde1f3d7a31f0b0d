package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/sextant-ml/sextant/rbac"
)

// checkTrusted enforces Options.TrustedKeys before files are handed out;
// without trusted keys only Options.AllowUnsigned lets them out.
func (r *Registry) checkTrusted(ctx context.Context, v *Version) error {
	if len(r.trusted) == 0 {
		if r.unsigned {
			return nil
		}
		return fmt.Errorf("%w: refusing the files of %s/%d; set Options.TrustedKeys, or Options.AllowUnsigned to load unsigned models",
			ErrNoTrustedKeys, v.Model, v.Number)
	}
	_, err := r.verifySignatures(ctx, v, r.trusted)
	return err
}

// OpenFile opens the file at path of the version ref names. The reader
// releases no byte before it has been verified against the file's digest
// (see artifact.Store.Open) and fails with artifact.ErrDigestMismatch
// rather than return bytes that differ from the manifest, so a service
// streaming the file to a client sends no corrupt byte. The version must
// carry a valid signature by one of Options.TrustedKeys (ErrSignature), or
// Options.AllowUnsigned be set (ErrNoTrustedKeys otherwise).
func (r *Registry) OpenFile(ctx context.Context, ref, name string) (io.ReadCloser, error) {
	st, n, err := r.lookup(ctx, ref, rbac.VerbGet, false)
	if err != nil {
		return nil, err
	}
	v := st.versions[n-1]
	f, ok := v.File(name)
	if !ok {
		return nil, fmt.Errorf("%w: file %q in %s/%d", ErrNotFound, name, v.Model, v.Number)
	}
	if err := r.checkTrusted(ctx, v); err != nil {
		return nil, err
	}
	return r.openBlob(ctx, f.Digest)
}

// Load writes every file of the version ref names under dir (created if
// needed) and returns the version. Each file is verified against its digest
// while it is written and appears under its final name only once complete;
// nothing can be written outside dir. The version must carry a valid
// signature by one of Options.TrustedKeys (ErrSignature), checked first, or
// Options.AllowUnsigned be set (ErrNoTrustedKeys otherwise).
func (r *Registry) Load(ctx context.Context, ref, dir string) (*Version, error) {
	st, n, err := r.lookup(ctx, ref, rbac.VerbGet, false)
	if err != nil {
		return nil, err
	}
	v := st.versions[n-1]
	if err := r.checkTrusted(ctx, v); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("registry: load: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("registry: load: %w", err)
	}
	defer closeQuietly(root)
	for _, f := range v.Files {
		if err := r.loadFile(ctx, root, f); err != nil {
			return nil, fmt.Errorf("registry: load %s/%d file %q: %w", v.Model, v.Number, f.Path, err)
		}
	}
	return st.view(n), nil
}

func (r *Registry) loadFile(ctx context.Context, root *os.Root, f File) (err error) {
	if d := path.Dir(f.Path); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmp := f.Path + ".tmp-" + hex.EncodeToString(rnd[:])
	out, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			closeQuietly(out)
			_ = root.Remove(tmp)
		}
	}()
	rc, err := r.openBlob(ctx, f.Digest)
	if err != nil {
		return err
	}
	defer closeQuietly(rc)
	if _, err := io.Copy(out, rc); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := root.Rename(tmp, f.Path); err != nil {
		return errors.Join(err, root.Remove(tmp))
	}
	return nil
}
