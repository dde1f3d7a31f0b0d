package tracking_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/tracking"
	"gocloud.dev/blob"
)

const (
	benchPoints = 1_000_000
	benchBatch  = tracking.MaxMetricsPerBatch
	benchSeries = 100_000
)

// sizeOf sums the sizes of every object on bk.
func sizeOf(tb testing.TB, bk *artifact.Bucket) int64 {
	var n int64
	err := bk.List(context.Background(), "", func(_ string, obj *blob.ListObject) error {
		n += obj.Size
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func batches(n int) []*tracking.Batch {
	out := make([]*tracking.Batch, 0, n/benchBatch)
	for start := 0; start < n; start += benchBatch {
		b := &tracking.Batch{Metrics: make([]tracking.Metric, 0, benchBatch)}
		for i := start; i < start+benchBatch && i < n; i++ {
			b.Metrics = append(b.Metrics, tracking.Metric{Key: "loss", Value: 1 / float64(i+1), Timestamp: 1_700_000_000_000 + int64(i), Step: int64(i)})
		}
		out = append(out, b)
	}
	return out
}

// BenchmarkLog1M logs 1M points of one series in batches of 1000, beside
// the baseline of one plain bucket write per point.
func BenchmarkLog1M(b *testing.B) {
	ctx := context.Background()
	bs := batches(benchPoints)
	b.Run("tracking-batches", func(b *testing.B) {
		b.ReportAllocs()
		var stored int64
		for b.Loop() {
			tr, store := newTracker(b, nil)
			run := must[*tracking.Run](b)(tr.CreateRun(ctx, "", nil)).Info.ID
			for _, batch := range bs {
				if err := tr.LogBatch(ctx, run, batch); err != nil {
					b.Fatal(err)
				}
			}
			stored = sizeOf(b, store.Bucket())
		}
		b.ReportMetric(float64(stored), "bucket-bytes")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchPoints, "ns/point")
	})
	b.Run("baseline-write-per-point", func(b *testing.B) {
		b.ReportAllocs()
		var stored int64
		for b.Loop() {
			_, store := newTracker(b, nil)
			bk := store.Bucket()
			stored = 0
			for _, batch := range bs {
				for _, m := range batch.Metrics {
					data := []byte(fmt.Sprintf(`{"key":%q,"value":%v,"timestamp":%d,"step":%d}`, m.Key, m.Value, m.Timestamp, m.Step))
					if err := bk.WriteAll(ctx, "points/loss/"+strconv.FormatInt(m.Step, 10), data); err != nil {
						b.Fatal(err)
					}
					// Summed here: listing a million objects of memblob
					// costs more than writing them.
					stored += int64(len(data))
				}
			}
		}
		b.ReportMetric(float64(stored), "bucket-bytes")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchPoints, "ns/point")
	})
}

// BenchmarkReadSeries100k reads a 100k-step series from a cold tracker,
// beside the baseline of reading one plain object per point.
func BenchmarkReadSeries100k(b *testing.B) {
	ctx := context.Background()
	tr, store := newTracker(b, nil)
	run := must[*tracking.Run](b)(tr.CreateRun(ctx, "", nil)).Info.ID
	for _, batch := range batches(benchSeries) {
		if err := tr.LogBatch(ctx, run, batch); err != nil {
			b.Fatal(err)
		}
	}
	bk := store.Bucket()
	for i := range benchSeries {
		if err := bk.WriteAll(ctx, "points/loss/"+strconv.Itoa(i), []byte(fmt.Sprintf(`{"key":"loss","value":%v,"timestamp":%d,"step":%d}`, 1/float64(i+1), i, i))); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("tracking-cold", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cold := must[*tracking.Tracker](b)(tracking.Open(ctx, store, nil))
			if h := must[[]tracking.Metric](b)(cold.MetricHistory(ctx, run, "loss")); len(h) != benchSeries {
				b.Fatalf("%d points", len(h))
			}
		}
	})
	b.Run("tracking-warm", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if h := must[[]tracking.Metric](b)(tr.MetricHistory(ctx, run, "loss")); len(h) != benchSeries {
				b.Fatalf("%d points", len(h))
			}
		}
	})
	b.Run("baseline-read-per-point", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for i := range benchSeries {
				if _, err := bk.ReadAll(ctx, "points/loss/"+strconv.Itoa(i)); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != benchSeries {
				b.Fatal(n)
			}
		}
	})
}
