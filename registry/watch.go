package registry

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/sextant-ml/sextant/rbac"
)

// AliasEvent reports that an alias was set, moved or deleted.
type AliasEvent struct {
	Model    string
	Alias    string
	Version  int // the version the alias points at now; 0 when deleted
	Previous int // the version it pointed at before; 0 when it was not set
	Seq      uint64
	Time     time.Time
	Actor    string
}

// WatchOptions tune Watch.
type WatchOptions struct {
	// Interval between polls of the log. Default 1s.
	Interval time.Duration
	// Alias restricts events to one alias. Default: every alias.
	Alias string
	// After delivers the changes recorded after this log sequence number.
	// Default 0: start from the current end of the log, delivering only
	// changes made after Watch returns.
	After uint64
}

// Watch polls the log of model and delivers alias changes, in log order, on
// the returned channel, so that a serving process can follow "production".
// Aliases dropped because their version was archived or deleted are reported
// as deletions. The channel is closed when ctx is done; the polling goroutine
// exits then. A poll that fails is logged and retried at the next interval.
// At a log entry that cannot be decoded (ErrCorruptEntry, or
// ErrUnsupportedEntry from a newer writer) the events before it are
// delivered, a warning naming the entry goes to the Logger, and the channel
// is closed: nothing after such an entry can be folded.
func (r *Registry) Watch(ctx context.Context, model string, opts *WatchOptions) (<-chan AliasEvent, error) {
	if opts == nil {
		opts = &WatchOptions{}
	}
	if opts.Alias != "" {
		if err := ValidateAlias(opts.Alias); err != nil {
			return nil, err
		}
	}
	interval := opts.Interval
	if interval == 0 {
		interval = time.Second
	}
	if interval < 0 {
		return nil, fmt.Errorf("%w: negative watch interval", ErrInvalidArgument)
	}
	if err := r.authorize(ctx, rbac.VerbGet, rbac.ResourceModelAliases, model); err != nil {
		return nil, err
	}
	h, err := r.handle(model)
	if err != nil {
		return nil, err
	}
	after := opts.After
	if after == 0 {
		st, err := r.state(ctx, model, true)
		if err != nil {
			return nil, err
		}
		after = st.seq
	}
	ch := make(chan AliasEvent, 16)
	go func() {
		defer close(ch)
		t := time.NewTicker(interval)
		defer t.Stop()
		// aliases as of after, to report drops caused by archive/delete.
		var cur map[string]int
		for {
			entries, err := h.log.Read(ctx, after)
			if err != nil && ctx.Err() == nil {
				r.log.Warn("registry: watch poll failed", "model", model, "err", err)
			}
			for _, e := range entries {
				rec, err := decodeRecord(model, e.Seq, e.Data)
				if err != nil {
					r.log.Warn("registry: watch stops at an unreadable entry", "model", model, "err", err)
					return
				}
				if cur == nil {
					cur, err = r.aliasesAt(ctx, h, after)
					if err != nil {
						r.log.Warn("registry: watch cannot fold the log", "model", model, "err", err)
						return
					}
				}
				for _, ev := range aliasEvents(model, e.Seq, rec, cur) {
					if opts.Alias != "" && ev.Alias != opts.Alias {
						continue
					}
					select {
					case ch <- ev:
					case <-ctx.Done():
						return
					}
				}
				after = e.Seq
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return ch, nil
}

// Seq returns the sequence number of the latest change recorded for model,
// read from the log, not a cache. Pass it as WatchOptions.After to hear of
// every change after it: a process that takes Seq, then reads what it
// serves and then watches misses no move made in between; one that starts
// watching afterwards would. A move made between Seq and the read is
// delivered although the read saw it; a process that must not see it
// again takes Seq once more after the read and starts over until the two
// agree. It asks what Watch asks, get on models/aliases. An unknown model
// is an error matching ErrNotFound.
func (r *Registry) Seq(ctx context.Context, model string) (uint64, error) {
	if err := r.authorize(ctx, rbac.VerbGet, rbac.ResourceModelAliases, model); err != nil {
		return 0, err
	}
	st, err := r.state(ctx, model, true)
	if err != nil {
		return 0, err
	}
	if st.model == nil {
		return 0, fmt.Errorf("%w: model %q", ErrNotFound, model)
	}
	return st.seq, nil
}

// aliasesAt returns the aliases of the model of h as of entry seq (see
// logstore.Folded.At): entries after seq are not folded, so a damaged entry
// later in the log does not keep Watch from reporting those before it.
func (r *Registry) aliasesAt(ctx context.Context, h *handle, seq uint64) (map[string]int, error) {
	st, err := h.fold.At(ctx, seq)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int)
	if st.model != nil {
		maps.Copy(out, st.model.Aliases)
	}
	return out, nil
}

// aliasEvents returns the alias changes one entry makes and applies them to cur.
func aliasEvents(model string, seq uint64, rec *record, cur map[string]int) []AliasEvent {
	ev := func(alias string, version, prev int) AliasEvent {
		return AliasEvent{Model: model, Alias: alias, Version: version, Previous: prev, Seq: seq, Time: rec.Time, Actor: rec.Actor}
	}
	var out []AliasEvent
	switch rec.Type {
	case EventAliasSet:
		out = append(out, ev(rec.Alias, rec.Version, cur[rec.Alias]))
		cur[rec.Alias] = rec.Version
	case EventAliasDelete:
		out = append(out, ev(rec.Alias, 0, cur[rec.Alias]))
		delete(cur, rec.Alias)
	case EventVersionDelete, EventVersionArchive, EventModelDelete:
		if rec.Type == EventVersionArchive && !rec.Archived {
			break
		}
		for _, a := range slices.Sorted(maps.Keys(cur)) {
			if v := cur[a]; rec.Type == EventModelDelete || v == rec.Version {
				out = append(out, ev(a, 0, v))
				delete(cur, a)
			}
		}
	}
	return out
}
