package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sextant-ml/sextant/artifact"
)

// artifactStep stores a model file in the content-addressed store on the
// shared bucket, reads it back through the verifying reader, and shows
// that storing it again is free.
func artifactStep(ctx context.Context, d *demo) error {
	path := filepath.Join(d.dir, "model.onnx")
	weights := strings.Repeat("sextant demo weights\n", 50_000) // about 1 MB
	if err := os.WriteFile(path, []byte(weights), 0o644); err != nil {
		return err
	}
	store, err := artifact.Open(ctx, d.bucketURL, nil)
	if err != nil {
		return err
	}
	defer store.Close()

	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	desc, err := store.Put(ctx, f, &artifact.PutOptions{MediaType: "application/onnx"})
	if err != nil {
		return err
	}
	d.printf("stored %s (%d bytes) as %s\n", filepath.Base(path), desc.Size, desc.Digest)

	r, err := store.Open(ctx, desc.Digest)
	if err != nil {
		return err
	}
	defer r.Close()
	n, err := io.Copy(io.Discard, r) // fails with artifact.ErrDigestMismatch if the bytes were altered
	if err != nil {
		return err
	}
	if n != desc.Size {
		return fmt.Errorf("read %d bytes back, stored %d", n, desc.Size)
	}
	d.printf("read it back, digest verified: %d bytes\n", n)

	again, err := store.Put(ctx, strings.NewReader(weights), nil)
	if err != nil {
		return err
	}
	count := 0
	if err := store.Walk(ctx, func(artifact.Info) error { count++; return nil }); err != nil {
		return err
	}
	d.printf("stored the same bytes again: same digest %v, %d object(s) in the store\n", again.Digest == desc.Digest, count)
	return nil
}
