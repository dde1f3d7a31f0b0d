package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"slices"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/errkind"
	"github.com/sextant-ml/sextant/internal/logstore"
)

// Errors returned by Store.
var (
	// ErrRunNotFound reports a run id the store has no record of.
	ErrRunNotFound = errkind.New("pipeline: run not found", fs.ErrNotExist)
	// ErrCorrupt reports a stored entry that cannot be decoded. It is the
	// same value as registry.ErrCorruptEntry, dataset.ErrCorruptLog and
	// deploy.ErrCorrupt. (A checkpoint that does not decode is skipped with
	// a warning and the runs folded from the log.)
	ErrCorrupt = logstore.ErrCorrupt
	// ErrUnsupported reports an entry of a type or format version this
	// version of the package does not know (written by a newer one). It is
	// the same value as the registry's, dataset's and deploy's.
	ErrUnsupported = logstore.ErrUnsupported
)

// formatVersion is the version of the entry and checkpoint envelopes.
const formatVersion = 1

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
	V    int       `json:"v"`
	Runs []*Record `json:"runs"`
}

// Store is the audit log of one pipeline's runs on a bucket, under
// pipelines/<name>: an append-only log (internal/logstore) with one entry when
// a run starts and one when it ends, so a run whose process died shows as
// running. Any number of processes may write to the same store. A Store is
// safe for concurrent use.
type Store struct {
	name string
	log  *logstore.Folded[*runs]
}

// runs is the folded log: every run in its latest state, in start order.
// A folded state is never changed; records are replaced, not edited.
type runs struct {
	list  []*Record
	index map[string]int // run id -> position in list
}

func (r *runs) clone() *runs {
	return &runs{list: slices.Clone(r.list), index: maps.Clone(r.index)}
}

// OpenStore returns the store of pipeline name's runs on b. Nothing is read
// until it is used.
func OpenStore(b *artifact.Bucket, name string) (*Store, error) {
	return openStore(b, name, nil)
}

// openStore is OpenStore with a logger for warnings (a checkpoint skipped or
// not written).
func openStore(b *artifact.Bucket, name string, logger *slog.Logger) (*Store, error) {
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
	f, err := logstore.NewFolded(l, logstore.Fold[*runs]{
		Empty: func() *runs { return &runs{index: map[string]int{}} },
		Clone: (*runs).clone,
		Apply: func(r *runs, e logstore.Entry) error {
			typ, rec, err := decodeEntry(e.Data)
			if err != nil {
				return fmt.Errorf("%w (entry %d of %s)", err, e.Seq, name)
			}
			if i, ok := r.index[rec.ID]; ok {
				if typ == entryEnd {
					r.list[i] = rec
				}
			} else {
				r.index[rec.ID] = len(r.list)
				r.list = append(r.list, rec)
			}
			return nil
		},
		Encode: func(r *runs) ([]byte, error) {
			return json.Marshal(checkpoint{V: formatVersion, Runs: r.list})
		},
		Decode: func(_ uint64, data []byte) (*runs, error) {
			list, err := decodeCheckpoint(data)
			if err != nil {
				return nil, err
			}
			r := &runs{list: list, index: make(map[string]int, len(list))}
			for i, rec := range list {
				r.index[rec.ID] = i
			}
			return r, nil
		},
		Logger: logger,
	})
	if err != nil {
		return nil, fmt.Errorf("pipeline: open store: %w", err)
	}
	return &Store{name: name, log: f}, nil
}

// Runs returns every run recorded, oldest first, each in its latest state.
func (s *Store) Runs(ctx context.Context) ([]Record, error) {
	st, err := s.log.State(ctx, 0)
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(st.list))
	for i, r := range st.list {
		out[i] = cloneRecord(r)
	}
	return out, nil
}

// Get returns the latest state of run id, or an error matching ErrRunNotFound.
func (s *Store) Get(ctx context.Context, id string) (Record, error) {
	st, err := s.log.State(ctx, 0)
	if err != nil {
		return Record{}, err
	}
	i, ok := st.index[id]
	if !ok {
		return Record{}, fmt.Errorf("%w: %s run %q", ErrRunNotFound, s.name, id)
	}
	return cloneRecord(st.list[i]), nil
}

// encodeEntry returns the log entry of type typ for rec.
func encodeEntry(typ string, rec *Record) ([]byte, error) {
	data, err := json.Marshal(envelope{V: formatVersion, Type: typ, Record: rec})
	if err != nil {
		return nil, fmt.Errorf("pipeline: encode run record: %w", err)
	}
	return data, nil
}

// decodeEntry parses one log entry.
func decodeEntry(data []byte) (string, *Record, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return "", nil, fmt.Errorf("pipeline: %w: %v", ErrCorrupt, err)
	}
	if env.V != formatVersion {
		return "", nil, fmt.Errorf("pipeline: %w: format version %d", ErrUnsupported, env.V)
	}
	if env.Type != entryStart && env.Type != entryEnd {
		return "", nil, fmt.Errorf("pipeline: %w: entry type %q", ErrUnsupported, env.Type)
	}
	if env.Record == nil || env.Record.ID == "" {
		return "", nil, fmt.Errorf("pipeline: %w: entry without a run id", ErrCorrupt)
	}
	return env.Type, env.Record, nil
}

func decodeCheckpoint(data []byte) ([]*Record, error) {
	var cp checkpoint
	if err := json.Unmarshal(data, &cp); err != nil {
		return nil, fmt.Errorf("pipeline: %w: checkpoint: %v", ErrCorrupt, err)
	}
	if cp.V != formatVersion {
		return nil, fmt.Errorf("pipeline: %w: checkpoint format version %d", ErrUnsupported, cp.V)
	}
	seen := make(map[string]bool, len(cp.Runs))
	for _, r := range cp.Runs {
		if r == nil || r.ID == "" || seen[r.ID] {
			return nil, fmt.Errorf("pipeline: %w: checkpoint with a missing, empty or repeated run id", ErrCorrupt)
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
