package artifact

import (
	"bytes"
	"context"
	"testing"

	"github.com/sextant-ml/sextant/internal/s3test"
)

// BenchmarkPutExisting stores 8 MiB that is already stored, with Put and
// with PutKnown, on mem://, file:// and S3 (gofakes3): the cost of
// finding content present, which includes reading the stored copy back
// to verify it.
func BenchmarkPutExisting(b *testing.B) {
	const size = 8 << 20
	p := content(size, 12)
	ctx := context.Background()
	for _, name := range []string{"mem", "file", "s3"} {
		b.Run(name, func(b *testing.B) {
			var bk *Bucket
			var err error
			switch name {
			case "mem":
				bk, err = OpenBucket(ctx, "mem://")
			case "file":
				bk, err = OpenBucket(ctx, "file://"+b.TempDir())
			default:
				bk, err = NewBucket(s3test.New(b).Bucket(b, "bench"), nil)
			}
			if err != nil {
				b.Fatal(err)
			}
			s, _ := New(bk, nil)
			d, err := s.Put(ctx, bytes.NewReader(p), nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Run("Put", func(b *testing.B) {
				b.SetBytes(size)
				for b.Loop() {
					if _, err := s.Put(ctx, bytes.NewReader(p), nil); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("PutKnown", func(b *testing.B) {
				b.SetBytes(size)
				for b.Loop() {
					if _, err := s.PutKnown(ctx, d, bytes.NewReader(p)); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
