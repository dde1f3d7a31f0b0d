package registry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/registry"
)

// TestOpenFileReleasesOnlyVerified streams a model file of several
// megabytes whose stored copy has one byte altered in its first, a
// middle or its last megabyte: OpenFile's reader must hand out only
// bytes of the registered file before it fails with
// artifact.ErrDigestMismatch, so a service streaming the model to a
// client sends no corrupt byte.
func TestOpenFileReleasesOnlyVerified(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	model := make([]byte, 3<<20+123)
	for i := range model {
		model[i] = byte(i*7 + i>>9)
	}
	for _, off := range []int{5, len(model) / 2, len(model) - 2} {
		t.Run(fmt.Sprint(off), func(t *testing.T) {
			t.Parallel()
			b, err := artifact.OpenBucket(ctx, "mem://")
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			r := newRegistry(t, b, &registry.Options{AllowUnsigned: true})
			v := must[*registry.Version](t)(r.Register(ctx, "fraud", &registry.VersionSpec{
				Files: []registry.Upload{{Path: "model.bin", Body: bytes.NewReader(model)}},
			}))
			f, _ := v.File("model.bin")
			bad := bytes.Clone(model)
			bad[off] ^= 0xff
			tamperBlob(t, b, f.Digest, bad)
			rc, err := r.OpenFile(ctx, "fraud/1", "model.bin")
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			var sent bytes.Buffer
			_, err = io.Copy(&sent, rc)
			if !errors.Is(err, artifact.ErrDigestMismatch) {
				t.Fatalf("err = %v, want ErrDigestMismatch", err)
			}
			if !bytes.HasPrefix(model, sent.Bytes()) {
				t.Fatalf("sent %d bytes, not all of them the model's", sent.Len())
			}
		})
	}
}
