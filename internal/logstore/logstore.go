// Package logstore is the append-only log that holds Sextant's mutable state
// (registry models, dataset versions, pipeline runs) on an object store.
//
// A log lives under a directory of an artifact.Bucket:
//
//	<dir>/log/00000000000000000001.json         entries, one object each, from 1
//	<dir>/checkpoint/00000000000000000100.json  folded state up to an entry
//
// An entry is written with a create-only write under the next sequence
// number, so of two writers racing for one number exactly one wins; the
// loser reads what it missed, lets its caller re-check its change against the
// new state, and tries the next number. This is the scheme of Delta Lake's
// transaction log, and it needs no server and no lock: only an object store
// with a real create-only write (S3 conditional writes, GCS, Azure, memblob,
// or a local file system through artifact.Bucket's link-based create).
//
// Entries are opaque bytes: each consumer defines its own envelope.
//
// A Log is safe for concurrent use by multiple goroutines, and any number of
// processes may append to the same log.
package logstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/errkind"
	"gocloud.dev/blob"
	"golang.org/x/sync/errgroup"
)

var (
	// ErrNoCheckpoint reports that the log has no checkpoint yet.
	ErrNoCheckpoint = errors.New("logstore: no checkpoint")
	// ErrConflict reports that an append lost the race too many times.
	ErrConflict = errors.New("logstore: too many concurrent writers")
	// ErrCorrupt reports a log entry or checkpoint that cannot be decoded or
	// does not fit the state before it, or a broken log layout. Consumers
	// export it under their own names and prefix it with their package.
	ErrCorrupt = errors.New("corrupt log")
	// ErrUnsupported reports an entry or checkpoint in a format, or of a
	// type, that only a newer reader knows.
	ErrUnsupported = errkind.New("unsupported format", errors.ErrUnsupported)
)

// seqWidth is the number of digits in entry names: zero-padded so that
// lexical order is numeric order.
const seqWidth = 20

// maxAttempts bounds the retries of one Append under contention.
const maxAttempts = 1000

// Read probes forward in parallel batches that start small (an appender
// that lost a race usually missed one or two entries) and double up to
// maxReadAhead (a cold reader may be thousands of entries behind).
const (
	minReadAhead = 2
	maxReadAhead = 32
)

// maxBackoff caps the pause after a lost race.
const maxBackoff = 50 * time.Millisecond

// Entry is one record of a log.
type Entry struct {
	Seq  uint64
	Data []byte
}

// Store is the seam between a log and its bucket: validated keys under a
// prefix, a create-only write that matches artifact.ErrExist when the key
// is taken, whole-object reads that match artifact.ErrNotFound, and a
// listing in key order. *artifact.Bucket is the implementation; tests wrap
// it to inject faults.
type Store interface {
	CreateOnly(ctx context.Context, rel string, data []byte) error
	ReadAll(ctx context.Context, rel string) ([]byte, error)
	List(ctx context.Context, relPrefix string, fn func(rel string, obj *blob.ListObject) error) error
}

// Log is one append-only log on a bucket.
type Log struct {
	b   Store
	dir string
}

// Open returns the log under dir on b. Nothing is read or written.
func Open(b Store, dir string) (*Log, error) {
	dir = strings.Trim(dir, "/")
	if err := artifact.ValidateKey(dir); err != nil {
		return nil, fmt.Errorf("logstore: %w", err)
	}
	return &Log{b: b, dir: dir}, nil
}

// Dir returns the directory of the log inside its bucket.
func (l *Log) Dir() string { return l.dir }

// EntryKey returns the key of entry seq, relative to the bucket.
func (l *Log) EntryKey(seq uint64) string {
	return fmt.Sprintf("%s/log/%0*d.json", l.dir, seqWidth, seq)
}

func (l *Log) checkpointKey(seq uint64) string {
	return fmt.Sprintf("%s/checkpoint/%0*d.json", l.dir, seqWidth, seq)
}

// Append writes the next entry of the log and returns it.
//
// after is the last sequence number the caller has folded into its state.
// prepare is called with the entries after that point which the caller has
// not seen yet (possibly none); it folds them, checks that its change is
// still valid, and returns the entry to write, a JSON object, or an error,
// which aborts the Append and is returned as is. When another writer takes
// the number first, prepare is called again with the entries it missed.
//
// Append is idempotent: it writes exactly one entry per call, whatever
// replies are lost. The log adds a field "op" to the object, a random id
// of this call, and when a create fails with "exists" or with an error
// whose outcome is unknown (a timeout, a reset connection, a reply a proxy
// dropped after the store committed), it reads the entry under that
// number back: if it carries this call's id, the entry is ours and Append
// succeeds. An error other than a prepare error or ErrConflict may still
// mean the entry was written; such an entry is never written twice.
func (l *Log) Append(ctx context.Context, after uint64, prepare func(newer []Entry) ([]byte, error)) (Entry, error) {
	op := newOpID()
	head := after
	for attempt := 0; attempt < maxAttempts; attempt++ {
		newer, err := l.Read(ctx, head)
		if err != nil {
			return Entry{}, err
		}
		for _, e := range newer {
			// A create whose reply was lost, then retried at a higher
			// number after a read that missed it: it is already in.
			if OpOf(e.Data) == op {
				return e, nil
			}
		}
		if n := len(newer); n > 0 {
			head = newer[n-1].Seq
		}
		data, err := prepare(newer)
		if err != nil {
			return Entry{}, err
		}
		if head == math.MaxUint64 {
			return Entry{}, fmt.Errorf("%w: sequence numbers exhausted", ErrCorrupt)
		}
		stamped, err := stamp(data, op)
		if err != nil {
			return Entry{}, err
		}
		seq := head + 1
		won, err := l.create(ctx, seq, stamped, op)
		if err != nil {
			return Entry{}, fmt.Errorf("logstore: append to %s: %w", l.dir, err)
		}
		if won {
			return Entry{Seq: seq, Data: stamped}, nil
		}
		// Lost the race for seq: pause a random while, growing with the
		// attempts, so that many writers do not retry in lockstep; then
		// read what the winners wrote and try again.
		if err := sleepCtx(ctx, backoff(attempt)); err != nil {
			return Entry{}, err
		}
	}
	return Entry{}, fmt.Errorf("%w: %s after %d attempts", ErrConflict, l.dir, maxAttempts)
}

// createAttempts bounds the tries of one create whose outcome is unknown.
const createAttempts = 4

// create writes entry seq create-only and reports whether the entry under
// seq is now this call's (won) or another writer's (lost the race). An
// error whose outcome is unknown is settled by reading the entry back, and
// the same bytes are tried again while nobody holds the number.
func (l *Log) create(ctx context.Context, seq uint64, data []byte, op string) (won bool, err error) {
	key := l.EntryKey(seq)
	for try := 0; ; try++ {
		cerr := l.b.CreateOnly(ctx, key, data)
		if cerr == nil {
			return true, nil
		}
		if errors.Is(cerr, artifact.ErrNotCreateOnly) || ctx.Err() != nil {
			return false, cerr
		}
		stored, rerr := l.b.ReadAll(ctx, key)
		switch {
		case rerr == nil:
			return OpOf(stored) == op, nil
		case errors.Is(cerr, artifact.ErrExist):
			// Exists but unreadable: let the next read report it.
			return false, nil
		case !errors.Is(rerr, artifact.ErrNotFound):
			return false, errors.Join(cerr, rerr)
		}
		if try+1 >= createAttempts {
			return false, cerr
		}
		if err := sleepCtx(ctx, backoff(try+2)); err != nil {
			return false, err
		}
	}
}

// newOpID returns a random id for one Append call.
func newOpID() string {
	var b [16]byte
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rand.Uint64())
	}
	return hex.EncodeToString(b[:])
}

// stamp returns the JSON object data with the field "op" added first.
func stamp(data []byte, op string) ([]byte, error) {
	body := bytes.TrimLeft(data, " \t\r\n")
	if len(body) < 2 || body[0] != '{' {
		return nil, errors.New("logstore: an entry must be a JSON object")
	}
	rest := bytes.TrimLeft(body[1:], " \t\r\n")
	out := make([]byte, 0, len(body)+len(op)+10)
	out = append(out, opPrefix...)
	out = append(out, op...)
	out = append(out, '"')
	if len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, rest...), nil
}

// opPrefix opens every entry Append writes; the id follows it.
const opPrefix = `{"op":"`

// opLen is the length of an Append call's id.
const opLen = 32

// OpOf returns the id of the Append call that wrote an entry, or "" for
// an entry without one. It reads only the entry's first bytes, where
// Append puts the id.
func OpOf(data []byte) string {
	if len(data) < len(opPrefix)+opLen+1 || string(data[:len(opPrefix)]) != opPrefix || data[len(opPrefix)+opLen] != '"' {
		return ""
	}
	return string(data[len(opPrefix) : len(opPrefix)+opLen])
}

// backoff returns a random pause in [0, min(2^attempt ms, maxBackoff)).
func backoff(attempt int) time.Duration {
	limit := maxBackoff
	if attempt < 6 {
		limit = time.Duration(1<<attempt) * time.Millisecond
	}
	return rand.N(limit)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Read returns every entry with a sequence number greater than after, in
// order. It probes forward from after+1 until the first missing number, in
// parallel batches, so reading the tail after a checkpoint costs a handful of
// requests however long the log is.
func (l *Log) Read(ctx context.Context, after uint64) ([]Entry, error) {
	var out []Entry
	next := after + 1
	for n := minReadAhead; ; n = min(2*n, maxReadAhead) {
		batch := make([][]byte, n)
		found := make([]bool, n)
		g, gctx := errgroup.WithContext(ctx)
		for i := range n {
			seq := next + uint64(i)
			if seq < next { // overflow
				break
			}
			g.Go(func() error {
				data, err := l.b.ReadAll(gctx, l.EntryKey(seq))
				if errors.Is(err, artifact.ErrNotFound) {
					return nil
				}
				if err != nil {
					return fmt.Errorf("logstore: read %s: %w", l.EntryKey(seq), err)
				}
				batch[i], found[i] = data, true
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		for i := range n {
			if !found[i] {
				// An entry can only be missing at the end of the log,
				// unless it was written between our probes: anything
				// found beyond the first gap is read again next time.
				return out, nil
			}
			out = append(out, Entry{Seq: next + uint64(i), Data: batch[i]})
		}
		next += uint64(n)
	}
}

// Head returns the sequence number of the newest entry, 0 for an empty log.
// It starts from the newest checkpoint, so it is cheap on long logs.
func (l *Log) Head(ctx context.Context) (uint64, error) {
	from, _, err := l.LatestCheckpoint(ctx)
	if err != nil && !errors.Is(err, ErrNoCheckpoint) {
		return 0, err
	}
	entries, err := l.Read(ctx, from)
	if err != nil {
		return 0, err
	}
	if n := len(entries); n > 0 {
		return entries[n-1].Seq, nil
	}
	return from, nil
}

// WriteCheckpoint stores data as the folded state of the log up to and
// including entry seq. Checkpoints are create-only: a second checkpoint for
// the same seq returns an error matching artifact.ErrExist, which callers
// may ignore since both writers folded the same entries.
func (l *Log) WriteCheckpoint(ctx context.Context, seq uint64, data []byte) error {
	if seq == 0 {
		return errors.New("logstore: checkpoint at entry 0")
	}
	return l.b.CreateOnly(ctx, l.checkpointKey(seq), data)
}

// LatestCheckpoint returns the newest checkpoint and the entry it folds up
// to, or an error matching ErrNoCheckpoint.
func (l *Log) LatestCheckpoint(ctx context.Context) (uint64, []byte, error) {
	var best uint64
	err := l.b.List(ctx, l.dir+"/checkpoint/", func(rel string, _ *blob.ListObject) error {
		name := strings.TrimSuffix(rel[strings.LastIndexByte(rel, '/')+1:], ".json")
		if len(name) != seqWidth {
			return nil
		}
		seq, err := strconv.ParseUint(name, 10, 64)
		if err == nil && seq > best {
			best = seq
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("logstore: list checkpoints of %s: %w", l.dir, err)
	}
	if best == 0 {
		return 0, nil, ErrNoCheckpoint
	}
	data, err := l.b.ReadAll(ctx, l.checkpointKey(best))
	if err != nil {
		return 0, nil, fmt.Errorf("logstore: read checkpoint: %w", err)
	}
	return best, data, nil
}
