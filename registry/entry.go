package registry

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/sextant-ml/sextant/artifact"
)

// formatVersion is the entry format this package writes and the newest it reads.
const formatVersion = 1

// EventType names the kind of a log entry.
type EventType string

// Event types, one per kind of log entry.
const (
	EventModelCreate     EventType = "model.create"
	EventModelUpdate     EventType = "model.update"
	EventModelArchive    EventType = "model.archive"
	EventModelDelete     EventType = "model.delete"
	EventVersionRegister EventType = "version.register"
	EventVersionUpdate   EventType = "version.update"
	EventVersionArchive  EventType = "version.archive"
	EventVersionDelete   EventType = "version.delete"
	EventAliasSet        EventType = "alias.set"
	EventAliasDelete     EventType = "alias.delete"
	EventCardSet         EventType = "card.set"
	EventSignatureAdd    EventType = "signature.add"
)

func (t EventType) known() bool {
	switch t {
	case EventModelCreate, EventModelUpdate, EventModelArchive, EventModelDelete,
		EventVersionRegister, EventVersionUpdate, EventVersionArchive, EventVersionDelete,
		EventAliasSet, EventAliasDelete, EventCardSet, EventSignatureAdd:
		return true
	}
	return false
}

// record is the JSON envelope of one log entry: a format version, a type, who
// and when, and the fields of that type, flat.
type record struct {
	Format      int                `json:"format"`
	Type        EventType          `json:"type"`
	Time        time.Time          `json:"time"`
	Actor       string             `json:"actor,omitempty"`
	Version     int                `json:"version,omitempty"`
	Alias       string             `json:"alias,omitempty"`
	Previous    int                `json:"previous,omitempty"`
	Description *string            `json:"description,omitempty"`
	Owner       string             `json:"owner,omitempty"`
	Tags        map[string]string  `json:"tags,omitempty"`
	DeleteTags  []string           `json:"delete_tags,omitempty"`
	Params      map[string]string  `json:"params,omitempty"`
	Metrics     map[string]float64 `json:"metrics,omitempty"`
	Status      Status             `json:"status,omitempty"`
	Files       []File             `json:"files,omitempty"`
	Lineage     *Lineage           `json:"lineage,omitempty"`
	Archived    bool               `json:"archived,omitempty"`
	Digest      artifact.Digest    `json:"digest,omitempty"`
	KeyID       string             `json:"keyid,omitempty"`
}

// Event is one change in a model's history, in log order.
type Event struct {
	Seq      uint64          `json:"seq"`
	Type     EventType       `json:"type"`
	Time     time.Time       `json:"time"`
	Actor    string          `json:"actor,omitempty"`
	Version  int             `json:"version,omitempty"`
	Alias    string          `json:"alias,omitempty"`
	Previous int             `json:"previous,omitempty"` // alias moves: the version it pointed at before, 0 if none
	Archived bool            `json:"archived,omitempty"` // archive events: archived (true) or restored (false)
	Digest   artifact.Digest `json:"digest,omitempty"`   // card and signature events
}

func (r *record) event(seq uint64) Event {
	return Event{Seq: seq, Type: r.Type, Time: r.Time, Actor: r.Actor, Version: r.Version,
		Alias: r.Alias, Previous: r.Previous, Archived: r.Archived, Digest: r.Digest}
}

func encodeRecord(r *record) ([]byte, error) {
	r.Format = formatVersion
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("registry: encode %s entry: %w", r.Type, err)
	}
	return b, nil
}

// decodeRecord decodes and validates the entry seq of model. It never panics;
// errors name the model and the entry and match ErrCorruptEntry or
// ErrUnsupportedEntry.
func decodeRecord(model string, seq uint64, data []byte) (*record, error) {
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, corrupt(model, seq, "%v", err)
	}
	if r.Format > formatVersion {
		return nil, fmt.Errorf("registry: %w: model %q entry %d: format %d is newer than %d; upgrade this reader",
			ErrUnsupportedEntry, model, seq, r.Format, formatVersion)
	}
	if r.Format < 1 {
		return nil, corrupt(model, seq, "missing format version")
	}
	if !r.Type.known() {
		return nil, fmt.Errorf("registry: %w: model %q entry %d: unknown type %q, written by a newer writer; upgrade this reader",
			ErrUnsupportedEntry, model, seq, r.Type)
	}
	if err := r.validate(); err != nil {
		return nil, corrupt(model, seq, "%s: %v", r.Type, err)
	}
	return &r, nil
}

func corrupt(model string, seq uint64, format string, args ...any) error {
	return fmt.Errorf("registry: %w: model %q entry %d: %s", ErrCorruptEntry, model, seq, fmt.Sprintf(format, args...))
}

// validate checks the fields the type needs; it is the decoder's half of the
// checks writers make before appending.
func (r *record) validate() error {
	if r.Time.IsZero() {
		return fmt.Errorf("missing time")
	}
	if err := validateTags(r.Tags); err != nil {
		return err
	}
	if err := validateTags(r.Params); err != nil {
		return err
	}
	if err := validateMetrics(r.Metrics); err != nil {
		return err
	}
	needVersion := false
	switch r.Type {
	case EventVersionRegister:
		needVersion = true
		if !r.Status.valid() {
			return fmt.Errorf("bad status %q", r.Status)
		}
		if err := validateFiles(r.Files); err != nil {
			return err
		}
	case EventVersionUpdate:
		needVersion = true
		if r.Status != "" && !r.Status.valid() {
			return fmt.Errorf("bad status %q", r.Status)
		}
	case EventVersionArchive, EventVersionDelete:
		needVersion = true
	case EventAliasSet:
		needVersion = true
		if err := ValidateAlias(r.Alias); err != nil {
			return err
		}
	case EventAliasDelete:
		if err := ValidateAlias(r.Alias); err != nil {
			return err
		}
	case EventCardSet, EventSignatureAdd:
		needVersion = true
		if err := r.Digest.Validate(); err != nil {
			return err
		}
	}
	if needVersion && r.Version <= 0 {
		return fmt.Errorf("missing version number")
	}
	if r.Version < 0 || r.Previous < 0 {
		return fmt.Errorf("negative version number")
	}
	return nil
}

func validateTags(m map[string]string) error {
	for k := range m {
		if k == "" || len(k) > 250 {
			return fmt.Errorf("%w: key %q must have 1 to 250 characters", ErrInvalidArgument, k)
		}
		for i := 0; i < len(k); i++ {
			if c := k[i]; c < 0x21 || c == 0x7f {
				return fmt.Errorf("%w: key %q contains a space or control character", ErrInvalidArgument, k)
			}
		}
	}
	return nil
}

func validateMetrics(m map[string]float64) error {
	for k, v := range m {
		if k == "" || len(k) > 250 {
			return fmt.Errorf("%w: metric name %q must have 1 to 250 characters", ErrInvalidArgument, k)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: metric %q is %v; only finite values can be stored", ErrInvalidArgument, k, v)
		}
	}
	return nil
}

// validateFiles checks a manifest: valid relative paths (the artifact package's
// key rules), valid digests, no duplicates, sorted by path.
func validateFiles(files []File) error {
	for i, f := range files {
		if err := artifact.ValidateKey(f.Path); err != nil {
			return fmt.Errorf("%w: file path %q: %w", ErrInvalidArgument, f.Path, err)
		}
		if err := f.Digest.Validate(); err != nil {
			return fmt.Errorf("%w: file %q: %w", ErrInvalidArgument, f.Path, err)
		}
		if f.Size < 0 {
			return fmt.Errorf("%w: file %q: negative size", ErrInvalidArgument, f.Path)
		}
		if i > 0 && files[i-1].Path >= f.Path {
			return fmt.Errorf("%w: files not sorted or %q duplicated", ErrInvalidArgument, f.Path)
		}
	}
	return nil
}
