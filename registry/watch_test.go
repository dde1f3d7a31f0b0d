package registry_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sextant-ml/sextant/registry"
)

// collect reads events from ch until it closes, failing after a deadline.
func collect(t *testing.T, ch <-chan registry.AliasEvent, cancelAfter int, cancel context.CancelFunc) []string {
	t.Helper()
	var got []string
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return got
			}
			got = append(got, fmt.Sprintf("%d %s %d->%d", ev.Seq, ev.Alias, ev.Previous, ev.Version))
			if len(got) == cancelAfter {
				cancel()
			}
		case <-timeout:
			t.Fatalf("channel not closed; events so far: %q", got)
		}
	}
}

// TestWatchReplayAndFilter replays alias changes from a given entry, with
// and without an alias filter, including the drops that archiving a version
// and deleting the model cause, and checks that the channel closes at a
// damaged entry after delivering what precedes it.
func TestWatchReplayAndFilter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := openBucket(t, "mem://")
	r := newRegistry(t, b, nil)
	for range 3 { // entries 1-3
		must[*registry.Version](t)(r.Register(ctx, "fraud", nil))
	}
	steps := []func() error{
		func() error { return r.SetAlias(ctx, "fraud", "production", 1) },              // 4
		func() error { return r.SetAlias(ctx, "fraud", "staging", 2) },                 // 5
		func() error { _, err := r.ArchiveVersion(ctx, "fraud/2", true); return err },  // 6: drops staging
		func() error { return r.SetAlias(ctx, "fraud", "production", 3) },              // 7
		func() error { _, err := r.ArchiveVersion(ctx, "fraud/2", false); return err }, // 8: restores, no event
		func() error { return r.DeleteModel(ctx, "fraud") },                            // 9: drops production
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	all := []string{"4 production 0->1", "5 staging 0->2", "6 staging 2->0", "7 production 1->3", "9 production 3->0"}
	for _, tt := range []struct {
		name  string
		opts  registry.WatchOptions
		warm  bool // the watcher's cache is ahead of After, at the end of the log
		want  []string
		after int
	}{
		{"all-cold", registry.WatchOptions{After: 3}, false, all, len(all)},
		{"all-warm", registry.WatchOptions{After: 3}, true, all, len(all)},
		{"from-5", registry.WatchOptions{After: 5}, false, all[2:], 3},
		{"staging", registry.WatchOptions{After: 3, Alias: "staging"}, false, all[1:3], 2},
		{"production-warm", registry.WatchOptions{After: 4, Alias: "production"}, true, []string{all[3], all[4]}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newRegistry(t, b, nil)
			if tt.warm {
				if _, err := w.SearchVersions(ctx, &registry.SearchOptions{Model: "fraud", IncludeDeleted: true}); err != nil {
					t.Fatal(err)
				}
			}
			wctx, cancel := context.WithCancel(ctx)
			defer cancel()
			tt.opts.Interval = 5 * time.Millisecond
			ch := must[<-chan registry.AliasEvent](t)(w.Watch(wctx, "fraud", &tt.opts))
			if diff := cmp.Diff(tt.want, collect(t, ch, tt.after, cancel)); diff != "" {
				t.Fatalf("events (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("beyond-the-end", func(t *testing.T) {
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		ch := must[<-chan registry.AliasEvent](t)(r.Watch(wctx, "fraud", &registry.WatchOptions{After: math.MaxUint64, Interval: time.Millisecond}))
		time.Sleep(20 * time.Millisecond)
		cancel()
		if got := collect(t, ch, -1, cancel); len(got) != 0 {
			t.Fatalf("events past the end of the log: %q", got)
		}
	})
	t.Run("damaged-entry", func(t *testing.T) {
		if err := b.CreateOnly(ctx, "registry/models/fraud/log/00000000000000000010.json", []byte(`{"format":1,"ty`)); err != nil {
			t.Fatal(err)
		}
		w := newRegistry(t, b, nil)
		ch := must[<-chan registry.AliasEvent](t)(w.Watch(ctx, "fraud", &registry.WatchOptions{After: 6, Interval: time.Millisecond}))
		// Closed by the watcher itself, without cancelling ctx.
		if diff := cmp.Diff(all[3:], collect(t, ch, -1, func() {})); diff != "" {
			t.Fatalf("events before the damaged entry (-want +got):\n%s", diff)
		}
	})
}

func TestWatchRejectsBadOptions(t *testing.T) {
	t.Parallel()
	r := newRegistry(t, openBucket(t, "mem://"), nil)
	for _, tt := range []struct {
		model string
		opts  *registry.WatchOptions
		want  error
	}{
		{"fraud", &registry.WatchOptions{Interval: -time.Second}, registry.ErrInvalidArgument},
		{"fraud", &registry.WatchOptions{Alias: "v3"}, registry.ErrInvalidAlias},
		{"fraud", &registry.WatchOptions{Alias: "a b"}, registry.ErrInvalidAlias},
		{"../x", nil, registry.ErrInvalidName},
	} {
		if _, err := r.Watch(context.Background(), tt.model, tt.opts); !errors.Is(err, tt.want) {
			t.Errorf("Watch(%q, %+v) = %v, want %v", tt.model, tt.opts, err, tt.want)
		}
	}
}

// TestSeqThenWatchMissesNothing takes Seq, moves the alias before the
// watch starts, and checks that a watch from Seq reports the move while
// one started afterwards from the end of the log does not: the race a
// server that resolves its alias and then watches would lose.
func TestSeqThenWatchMissesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRegistry(t, openBucket(t, "mem://"), nil)
	for range 2 { // entries 1-2
		must[*registry.Version](t)(r.Register(ctx, "fraud", nil))
	}
	if err := r.SetAlias(ctx, "fraud", "production", 1); err != nil { // 3
		t.Fatal(err)
	}
	seq, err := r.Seq(ctx, "fraud")
	if err != nil || seq != 3 {
		t.Fatalf("Seq = %d, %v; want 3", seq, err)
	}
	if err := r.SetAlias(ctx, "fraud", "production", 2); err != nil { // 4, before anyone watches
		t.Fatal(err)
	}
	if err := r.SetAlias(ctx, "fraud", "staging", 1); err != nil { // 5: ends the collection below
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := must[<-chan registry.AliasEvent](t)(r.Watch(wctx, "fraud", &registry.WatchOptions{After: seq, Interval: time.Millisecond}))
	if diff := cmp.Diff([]string{"4 production 1->2", "5 staging 0->1"}, collect(t, ch, 2, cancel)); diff != "" {
		t.Fatalf("events from Seq (-want +got):\n%s", diff)
	}
	late, stop := context.WithCancel(ctx)
	ch = must[<-chan registry.AliasEvent](t)(r.Watch(late, "fraud", &registry.WatchOptions{Interval: time.Millisecond}))
	time.Sleep(20 * time.Millisecond)
	stop()
	if got := collect(t, ch, -1, stop); len(got) != 0 {
		t.Fatalf("a watch from the end of the log reported %q", got)
	}
	if _, err := r.Seq(ctx, "nope"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("Seq of an unknown model: %v", err)
	}
}
