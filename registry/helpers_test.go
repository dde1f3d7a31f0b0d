package registry_test

import (
	"context"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
)

func newStore(t testing.TB, b *artifact.Bucket) *artifact.Store {
	t.Helper()
	s, err := artifact.New(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tamperBlob overwrites the stored bytes of content d, as a disk fault or an
// attacker with bucket access would.
func tamperBlob(t testing.TB, b *artifact.Bucket, d artifact.Digest, data []byte) {
	t.Helper()
	h := d.Hex()
	if err := b.WriteAll(context.Background(), "cas/sha256/"+h[:2]+"/"+h[2:], data); err != nil {
		t.Fatal(err)
	}
}
