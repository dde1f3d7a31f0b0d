package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/logstore"
)

// Errors returned by Store.
var (
	// ErrRunNotFound reports a run id the store has no record of.
	ErrRunNotFound = errors.New("pipeline: run not found")
	// ErrCorrupt reports a stored entry or checkpoint that cannot be decoded.
	ErrCorrupt = errors.New("pipeline: corrupt run log")
	// ErrUnsupported reports an entry of a type or format version this
	// version of the package does not know (written by a newer one).
	ErrUnsupported = errors.New("pipeline: unsupported run log entry")
)

// formatVersion is the version of the entry and checkpoint envelopes.
const formatVersion = 1

// checkpointEvery is how many entries separate two checkpoints.
const checkpointEvery = 100

// Entry types.
const (
	entryStart = "start"
	entryEnd   = "end"
)

type envelope struct {
	V      int     `json:"v"`
	Type   string  `json:"type"`
	Record *Record `json:"record"`
}

type checkpoint struct {
	V    int      `json:"v"`
	Runs []Record `json:"runs"`
}

// Store is the audit log of one pipeline's runs on a bucket, under
// pipelines/<name>: an append-only log (internal/logstore) with one entry when
// a run starts and one when it ends, so a run whose process died shows as
// running. Any number of processes may write to the same store. A Store is
// safe for concurrent use.
type Store struct {
	name string
	log  *logstore.Log

	mu     sync.Mutex
	loaded bool   // the newest checkpoint has been read
	head   uint64 // last entry folded into runs
	runs   []Record
	index  map[string]int
}

// OpenStore returns the store of pipeline name's runs on b. Nothing is read
// until it is used.
func OpenStore(b *artifact.Bucket, name string) (*Store, error) {
	if b == nil {
		return nil, errors.New("pipeline: open store: nil bucket")
	}
	if err := checkName(name); err != nil {
		return nil, fmt.Errorf("%w: pipeline %q", err, name)
	}
	l, err := logstore.Open(b, "pipelines/"+name)
	if err != nil {
		return nil, fmt.Errorf("pipeline: open store: %w", err)
	}
	return &Store{name: name, log: l, index: map[string]int{}}, nil
}

// Runs returns every run recorded, oldest first, each in its latest state.
func (s *Store) Runs(ctx context.Context) ([]Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	out := make([]Record, len(s.runs))
	for i := range s.runs {
		out[i] = cloneRecord(&s.runs[i])
	}
	return out, nil
}

// Get returns the latest state of run id, or an error matching ErrRunNotFound.
func (s *Store) Get(ctx context.Context, id string) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(ctx); err != nil {
		return Record{}, err
	}
	i, ok := s.index[id]
	if !ok {
		return Record{}, fmt.Errorf("%w: %s run %q", ErrRunNotFound, s.name, id)
	}
	return cloneRecord(&s.runs[i]), nil
}

func (s *Store) started(ctx context.Context, rec *Record) error {
	return s.append(ctx, entryStart, rec)
}

func (s *Store) ended(ctx context.Context, rec *Record) error {
	return s.append(ctx, entryEnd, rec)
}

func (s *Store) append(ctx context.Context, typ string, rec *Record) error {
	data, err := json.Marshal(envelope{V: formatVersion, Type: typ, Record: rec})
	if err != nil {
		return fmt.Errorf("pipeline: encode run record: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadCheckpoint(ctx); err != nil {
		return err
	}
	e, err := s.log.Append(ctx, s.head, func(newer []logstore.Entry) ([]byte, error) {
		return data, s.fold(newer)
	})
	if err != nil {
		return fmt.Errorf("pipeline: record run %s of %s: %w", rec.ID, s.name, err)
	}
	if err := s.fold([]logstore.Entry{e}); err != nil {
		return err
	}
	if e.Seq%checkpointEvery == 0 {
		s.writeCheckpoint(ctx, e.Seq)
	}
	return nil
}

// writeCheckpoint stores the folded state. A failure only costs readers time,
// so it is not reported; another writer may also have written the same one.
func (s *Store) writeCheckpoint(ctx context.Context, seq uint64) {
	data, err := json.Marshal(checkpoint{V: formatVersion, Runs: s.runs})
	if err == nil {
		_ = s.log.WriteCheckpoint(ctx, seq, data)
	}
}

// refresh folds the entries appended since the last read. s.mu is held.
func (s *Store) refresh(ctx context.Context) error {
	if err := s.loadCheckpoint(ctx); err != nil {
		return err
	}
	entries, err := s.log.Read(ctx, s.head)
	if err != nil {
		return fmt.Errorf("pipeline: read runs of %s: %w", s.name, err)
	}
	return s.fold(entries)
}

// loadCheckpoint starts the state from the newest checkpoint, once. s.mu is held.
func (s *Store) loadCheckpoint(ctx context.Context) error {
	if s.loaded {
		return nil
	}
	seq, data, err := s.log.LatestCheckpoint(ctx)
	if errors.Is(err, logstore.ErrNoCheckpoint) {
		s.loaded = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("pipeline: read runs of %s: %w", s.name, err)
	}
	runs, err := decodeCheckpoint(data)
	if err != nil {
		return fmt.Errorf("%w (checkpoint %d of %s)", err, seq, s.name)
	}
	s.runs = runs
	for i, r := range runs {
		s.index[r.ID] = i
	}
	s.head = seq
	s.loaded = true
	return nil
}

// fold applies entries to the state. s.mu is held.
func (s *Store) fold(entries []logstore.Entry) error {
	for _, e := range entries {
		if e.Seq <= s.head {
			continue
		}
		typ, rec, err := decodeEntry(e.Data)
		if err != nil {
			return fmt.Errorf("%w (entry %d of %s)", err, e.Seq, s.name)
		}
		if i, ok := s.index[rec.ID]; ok {
			if typ == entryEnd {
				s.runs[i] = *rec
			}
		} else {
			s.index[rec.ID] = len(s.runs)
			s.runs = append(s.runs, *rec)
		}
		s.head = e.Seq
	}
	return nil
}

// decodeEntry parses one log entry.
func decodeEntry(data []byte) (string, *Record, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if env.V != formatVersion {
		return "", nil, fmt.Errorf("%w: format version %d", ErrUnsupported, env.V)
	}
	if env.Type != entryStart && env.Type != entryEnd {
		return "", nil, fmt.Errorf("%w: entry type %q", ErrUnsupported, env.Type)
	}
	if env.Record == nil || env.Record.ID == "" {
		return "", nil, fmt.Errorf("%w: entry without a run id", ErrCorrupt)
	}
	return env.Type, env.Record, nil
}

func decodeCheckpoint(data []byte) ([]Record, error) {
	var cp checkpoint
	if err := json.Unmarshal(data, &cp); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if cp.V != formatVersion {
		return nil, fmt.Errorf("%w: checkpoint format version %d", ErrUnsupported, cp.V)
	}
	seen := make(map[string]bool, len(cp.Runs))
	for _, r := range cp.Runs {
		if r.ID == "" || seen[r.ID] {
			return nil, fmt.Errorf("%w: checkpoint with an empty or repeated run id", ErrCorrupt)
		}
		seen[r.ID] = true
	}
	return cp.Runs, nil
}

func cloneRecord(r *Record) Record {
	c := *r
	c.Params = maps.Clone(r.Params)
	c.Tasks = slices.Clone(r.Tasks)
	for i := range c.Tasks {
		c.Tasks[i].Outputs = maps.Clone(c.Tasks[i].Outputs)
	}
	return c
}
