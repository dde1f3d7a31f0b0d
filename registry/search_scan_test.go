package registry

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/logstore"
)

// writeModel writes a model of n versions straight into bk's log, with a
// checkpoint at its last entry, as makeBigModel does for the benchmarks.
func writeModel(t *testing.T, bk *artifact.Bucket, name string, n int) {
	t.Helper()
	ctx := context.Background()
	lg, err := logstore.Open(bk, modelsDir+name)
	if err != nil {
		t.Fatal(err)
	}
	st := &state{name: name}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		rec := &record{Type: EventVersionRegister, Time: at.Add(time.Duration(i) * time.Minute), Actor: "trainer",
			Version: i, Status: StatusReady, Metrics: map[string]float64{"auc": float64(i%100) / 100}}
		data, err := encodeRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		if err := bk.CreateOnly(ctx, lg.EntryKey(uint64(i)), data); err != nil {
			t.Fatal(err)
		}
		if err := st.apply(uint64(i), rec); err != nil {
			t.Fatal(err)
		}
	}
	data, err := st.marshalCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	if err := lg.WriteCheckpoint(ctx, st.seq, data); err != nil {
		t.Fatal(err)
	}
	if err := bk.CreateOnly(ctx, catalogDir+name, []byte(name)); err != nil {
		t.Fatal(err)
	}
}

// TestSearchListingIsLinear lists every version page by page and counts the
// versions the search examines: linear in N (each version examined at most
// twice: once returned, once as the look-ahead that decides a next page
// exists), where resuming by a rescan from the newest examined N²/(2·page).
func TestSearchListingIsLinear(t *testing.T) {
	for _, tc := range []struct {
		n      int
		filter string
	}{{1_000, ""}, {10_000, ""}, {1_000, "metrics.auc >= 0.5"}, {10_000, "metrics.auc >= 0.5"}} {
		t.Run(fmt.Sprintf("%d/%q", tc.n, tc.filter), func(t *testing.T) {
			ctx := context.Background()
			bk, err := artifact.OpenBucket(ctx, "mem://")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { bk.Close() })
			writeModel(t, bk, "big", tc.n)
			writeModel(t, bk, "small", 3)
			store, err := artifact.New(bk, nil)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Open(ctx, store, nil)
			if err != nil {
				t.Fatal(err)
			}
			examined := 0
			r.scanHook = func() { examined++ }
			const size = 100
			opts := &SearchOptions{PageSize: size, Filter: tc.filter}
			got, pages, next := 0, 0, tc.n
			for {
				page, err := r.SearchVersions(ctx, opts)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, v := range page.Versions {
					// Newest first, no repeats, no gaps among the matches.
					if v.Model == "big" {
						for next > 0 && tc.filter != "" && float64(next%100)/100 < 0.5 {
							next--
						}
						if v.Number != next {
							t.Fatalf("page %d: got big/%d, want big/%d", pages, v.Number, next)
						}
						next--
					}
				}
				got += len(page.Versions)
				if page.NextPageToken == "" {
					break
				}
				opts.PageToken = page.NextPageToken
			}
			total := tc.n + 3
			want := total
			if tc.filter != "" {
				// auc = (i%100)/100 passes for half of every hundred on
				// big, and for none of small's three (0.01 to 0.03).
				want = tc.n / 2
			}
			if got != want {
				t.Fatalf("listed %d versions, want %d", got, want)
			}
			t.Logf("N=%d, filter %q: %d pages, %d versions examined, %.2f per version", total, tc.filter, pages, examined, float64(examined)/float64(total))
			// Each page examines what it returns plus the gap to the next
			// match; that gap is examined again by the next page.
			if limit := 2*total + pages; examined > limit {
				t.Fatalf("examined %d versions over %d pages for N=%d, want at most %d (linear)", examined, pages, total, limit)
			}
			if examined < total {
				t.Fatalf("examined %d versions, fewer than the %d listed: the hook is not counting", examined, total)
			}
		})
	}
}
