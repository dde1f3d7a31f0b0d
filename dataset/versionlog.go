package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/logstore"
)

// logFormat is the version of the log entry envelope this package writes.
const logFormat = 1

// logRecord is the JSON envelope of a dataset log entry. Type "commit"
// adds version Number; type "tag" points Tag at version Number.
type logRecord struct {
	Type     string          `json:"type"`
	V        int             `json:"v"`
	Number   int             `json:"number"`
	Manifest artifact.Digest `json:"manifest,omitempty"`
	Files    int             `json:"files,omitempty"`
	Bytes    int64           `json:"bytes,omitempty"`
	Message  string          `json:"message,omitempty"`
	Tags     []string        `json:"tags,omitempty"`
	Tag      string          `json:"tag,omitempty"`
	Time     time.Time       `json:"time"`
}

// checkpointEvery is how many log entries pass between checkpoints.
const checkpointEvery = logstore.DefaultCheckpointEvery

// checkpointJSON is the folded state written as a log checkpoint.
type checkpointJSON struct {
	V        int            `json:"v"`
	Versions []logRecord    `json:"versions"`
	Tags     map[string]int `json:"tags"`
}

// datasetState is a dataset's log folded up to seq.
type datasetState struct {
	name     string
	seq      uint64
	versions []logRecord
	tags     map[string]int
}

func (st *datasetState) clone() *datasetState {
	c := *st
	c.versions = slices.Clone(st.versions)
	c.tags = make(map[string]int, len(st.tags))
	for k, v := range st.tags {
		c.tags[k] = v
	}
	return &c
}

func (st *datasetState) apply(e logstore.Entry) error {
	dec := json.NewDecoder(bytes.NewReader(e.Data))
	var r logRecord
	if err := dec.Decode(&r); err != nil {
		return fmt.Errorf("dataset: %w: dataset %s log entry %d: %v", ErrCorruptLog, st.name, e.Seq, err)
	}
	if r.V != logFormat {
		return fmt.Errorf("dataset: %w: dataset %s log entry %d has format %d (this package reads %d)", ErrUnsupported, st.name, e.Seq, r.V, logFormat)
	}
	switch r.Type {
	case "commit":
		if r.Number != len(st.versions)+1 {
			return fmt.Errorf("dataset: %w: dataset %s log entry %d commits version %d after %d", ErrCorruptLog, st.name, e.Seq, r.Number, len(st.versions))
		}
		st.versions = append(st.versions, r)
		for _, t := range r.Tags {
			st.tags[t] = r.Number
		}
	case "tag":
		if r.Number < 1 || r.Number > len(st.versions) {
			return fmt.Errorf("dataset: %w: dataset %s log entry %d tags unknown version %d", ErrCorruptLog, st.name, e.Seq, r.Number)
		}
		st.tags[r.Tag] = r.Number
	default:
		return fmt.Errorf("dataset: %w: dataset %s log entry %d has type %q", ErrUnsupported, st.name, e.Seq, r.Type)
	}
	st.seq = e.Seq
	return nil
}

// version returns version n (1-based) with its current tags.
func (st *datasetState) version(n int) Version {
	r := st.versions[n-1]
	v := Version{Dataset: st.name, Number: n, Manifest: r.Manifest, Files: r.Files, Bytes: r.Bytes, Message: r.Message, Created: r.Time}
	for t, num := range st.tags {
		if num == n {
			v.Tags = append(v.Tags, t)
		}
	}
	slices.Sort(v.Tags)
	return v
}

// folded returns the folded log of dataset name, opening it on first use.
func (s *Store) folded(name string) (*logstore.Folded[*datasetState], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.logs[name]; ok {
		return f, nil
	}
	l, err := logstore.Open(s.bucket, "datasets/"+name)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	f, err := logstore.NewFolded(l, logstore.Fold[*datasetState]{
		Empty: func() *datasetState { return &datasetState{name: name, tags: map[string]int{}} },
		Clone: (*datasetState).clone,
		Apply: (*datasetState).apply,
		Encode: func(st *datasetState) ([]byte, error) {
			return json.Marshal(checkpointJSON{V: logFormat, Versions: st.versions, Tags: st.tags})
		},
		Decode: func(seq uint64, data []byte) (*datasetState, error) { return decodeCheckpoint(name, seq, data) },
		Logger: s.opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	s.logs[name] = f
	return f, nil
}

// decodeCheckpoint reads checkpoint seq of dataset name strictly enough
// that the state it yields is one the log could have folded: versions
// numbered 1, 2, ... and every tag on one of them.
func decodeCheckpoint(name string, seq uint64, data []byte) (*datasetState, error) {
	var cp checkpointJSON
	if err := json.Unmarshal(data, &cp); err != nil {
		return nil, fmt.Errorf("dataset: %w: dataset %s checkpoint %d: %v", ErrCorruptLog, name, seq, err)
	}
	if cp.V != logFormat {
		return nil, fmt.Errorf("dataset: %w: dataset %s checkpoint %d has format %d", ErrUnsupported, name, seq, cp.V)
	}
	for i, r := range cp.Versions {
		if r.Number != i+1 {
			return nil, fmt.Errorf("dataset: %w: dataset %s checkpoint %d lists version %d at %d", ErrCorruptLog, name, seq, r.Number, i+1)
		}
	}
	for t, n := range cp.Tags {
		if n < 1 || n > len(cp.Versions) {
			return nil, fmt.Errorf("dataset: %w: dataset %s checkpoint %d tags %q on unknown version %d", ErrCorruptLog, name, seq, t, n)
		}
	}
	st := &datasetState{name: name, seq: seq, versions: cp.Versions, tags: cp.Tags}
	if st.tags == nil {
		st.tags = map[string]int{}
	}
	return st, nil
}

// load folds the log of name and fails with ErrNotFound if it is empty.
// The state returned is shared: callers only read it.
func (s *Store) load(ctx context.Context, name string) (*datasetState, error) {
	f, err := s.folded(name)
	if err != nil {
		return nil, err
	}
	st, err := f.State(ctx, 0)
	if err != nil {
		return nil, err
	}
	if len(st.versions) == 0 {
		return nil, fmt.Errorf("%w: dataset %s", ErrNotFound, name)
	}
	return st, nil
}

// append writes the record build returns for the state at the head of the
// log, and returns the state with it applied.
func (s *Store) append(ctx context.Context, name string, build func(*datasetState) (logRecord, error)) (*datasetState, error) {
	f, err := s.folded(name)
	if err != nil {
		return nil, err
	}
	st, e, err := f.Append(ctx, func(st *datasetState) ([]byte, error) {
		r, err := build(st)
		if err != nil {
			return nil, err
		}
		return json.Marshal(r)
	})
	if err != nil {
		return nil, fmt.Errorf("dataset: append to %s: %w", name, err)
	}
	s.opts.Logger.DebugContext(ctx, "dataset: log entry", "dataset", name, "seq", e.Seq)
	return st, nil
}
