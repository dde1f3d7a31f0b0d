package registry

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/logstore"
)

func benchRegistry(b *testing.B, url string, opts *Options) (*Registry, *artifact.Bucket) {
	b.Helper()
	bk, err := artifact.OpenBucket(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bk.Close() })
	store, err := artifact.New(bk, nil)
	if err != nil {
		b.Fatal(err)
	}
	r, err := Open(context.Background(), store, opts)
	if err != nil {
		b.Fatal(err)
	}
	return r, bk
}

// BenchmarkRegister registers versions on mem://: metadata only, and with
// one small file uploaded through the artifact store.
func BenchmarkRegister(b *testing.B) {
	ctx := context.Background()
	b.Run("metadata", func(b *testing.B) {
		r, _ := benchRegistry(b, "mem://", nil)
		for b.Loop() {
			if _, err := r.Register(ctx, "bench", &VersionSpec{Metrics: map[string]float64{"auc": 0.9}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("file", func(b *testing.B) {
		r, _ := benchRegistry(b, "mem://", nil)
		i := 0
		for b.Loop() {
			i++
			_, err := r.Register(ctx, "bench", &VersionSpec{
				Files:   []Upload{{Path: "model.bin", Body: strings.NewReader(fmt.Sprint("weights ", i))}},
				Metrics: map[string]float64{"auc": 0.9},
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkResolveAlias resolves "name@alias" from the cache.
func BenchmarkResolveAlias(b *testing.B) {
	ctx := context.Background()
	r, _ := benchRegistry(b, "mem://", &Options{MaxStaleness: time.Hour})
	for range 10 {
		if _, err := r.Register(ctx, "fraud", nil); err != nil {
			b.Fatal(err)
		}
	}
	if err := r.SetAlias(ctx, "fraud", "production", 7); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		n, err := r.Resolve(ctx, "fraud@production")
		if err != nil || n != 7 {
			b.Fatal(n, err)
		}
	}
}

const bigVersions = 10_000

// makeBigModel writes into dir a file:// bucket holding a model with 10,000
// versions (one file each, metrics, params) and a checkpoint at its last
// entry, in the registry's own format.
func makeBigModel(dir string) error {
	ctx := context.Background()
	bk, err := artifact.OpenBucket(ctx, "file://"+filepath.ToSlash(dir))
	if err != nil {
		return err
	}
	defer bk.Close()
	lg, err := logstore.Open(bk, modelsDir+"big")
	if err != nil {
		return err
	}
	st := &state{name: "big"}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for n := 1; n <= bigVersions; n++ {
		desc := fmt.Sprintf("version %d", n)
		rec := &record{Type: EventVersionRegister, Time: at.Add(time.Duration(n) * time.Minute), Actor: "trainer",
			Version: n, Description: &desc, Status: StatusReady,
			Files:   []File{{Path: "model.bin", Digest: artifact.FromBytes([]byte(desc)), Size: int64(len(desc))}},
			Params:  map[string]string{"lr": "0.1", "depth": "6"},
			Metrics: map[string]float64{"auc": 0.8 + float64(n%100)/1000, "loss": 0.3},
			Lineage: &Lineage{RunID: fmt.Sprintf("run-%d", n), CodeRevision: "4f2a9c1"}}
		data, err := encodeRecord(rec)
		if err != nil {
			return err
		}
		if err := bk.CreateOnly(ctx, lg.EntryKey(uint64(n)), data); err != nil {
			return err
		}
		if err := st.apply(uint64(n), rec); err != nil {
			return err
		}
	}
	data, err := st.marshalCheckpoint()
	if err != nil {
		return err
	}
	return lg.WriteCheckpoint(ctx, st.seq, data)
}

// BenchmarkOpenCold10k opens a model of 10,000 versions from a cold cache,
// as a new process would: from the newest checkpoint, and from the log alone.
func BenchmarkOpenCold10k(b *testing.B) {
	dir := b.TempDir()
	if err := makeBigModel(dir); err != nil {
		b.Fatal(err)
	}
	url := "file://" + filepath.ToSlash(dir)
	for _, bc := range []struct {
		name  string
		every int
	}{{"checkpoint", 100}, {"log", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				r, _ := benchRegistry(b, url, &Options{CheckpointEvery: bc.every})
				n, err := r.Resolve(ctx, "big@latest")
				if err != nil || n != bigVersions {
					b.Fatal(n, err)
				}
			}
		})
	}
}
