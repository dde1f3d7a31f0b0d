package tracking

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/sextant-ml/sextant/internal/logstore"
)

// chunk says that log entry Seq holds N points of a series.
type chunk struct {
	Seq uint64 `json:"seq"`
	N   int    `json:"n"`
}

// runState is a run's log folded: the run, and for each metric key the
// entries that hold its points. The points themselves stay in the entries,
// so the state (and its checkpoints) grows with the number of batches, not
// of points.
type runState struct {
	id     string
	run    *Run // nil before the run's first entry
	series map[string][]chunk
}

func newRunState(id string) *runState {
	return &runState{id: id, series: map[string][]chunk{}}
}

// clone shares the chunk lists: apply only ever appends to a clipped copy,
// so a list a published state holds is never written.
func (s *runState) clone() *runState {
	c := &runState{id: s.id, series: maps.Clone(s.series)}
	if s.run != nil {
		c.run = s.run.clone()
	}
	return c
}

func (s *runState) dir() string { return runsDir + s.id }

func (s *runState) applyEntry(e logstore.Entry) error {
	rec, err := decodeRecord(s.dir(), e.Seq, e.Data)
	if err != nil {
		return err
	}
	return s.apply(e.Seq, rec)
}

func (s *runState) apply(seq uint64, rec *record) error {
	if rec.Type == typeRunCreate {
		if s.run != nil || rec.Info == nil || rec.Info.ID != s.id {
			return fmt.Errorf("%w: %s entry %d: a second or foreign run.create", ErrCorrupt, s.dir(), seq)
		}
		s.run = &Run{Info: *rec.Info, Params: map[string]string{}, Tags: map[string]string{}, Metrics: map[string]Metric{}}
		for _, t := range rec.Tags {
			s.run.Tags[t.Key] = t.Value
		}
		return nil
	}
	if s.run == nil {
		return fmt.Errorf("%w: %s entry %d: %s before the run exists", ErrCorrupt, s.dir(), seq, rec.Type)
	}
	r := s.run
	switch rec.Type {
	case typeRunUpdate:
		if rec.Status != "" {
			r.Info.Status = rec.Status
		}
		if rec.EndTime != 0 {
			r.Info.EndTime = rec.EndTime
		}
		if rec.Name != "" {
			r.Info.Name = rec.Name
			r.Tags[TagRunName] = rec.Name
		}
	case typeRunDelete:
		r.Info.Lifecycle = Deleted
	case typeRunRestore:
		r.Info.Lifecycle = Active
	case typeBatch:
		for _, p := range rec.Params {
			if _, ok := r.Params[p.Key]; !ok { // immutable: writers check, the first value stands
				r.Params[p.Key] = p.Value
			}
		}
		for _, t := range rec.Tags {
			r.Tags[t.Key] = t.Value
			if t.Key == TagRunName {
				r.Info.Name = t.Value
			}
		}
		for key, raw := range rec.Series {
			pts, err := decodeSeries(nil, key, raw)
			if err != nil {
				return fmt.Errorf("%w: %s entry %d: %v", ErrCorrupt, s.dir(), seq, err)
			}
			if len(pts) == 0 {
				continue
			}
			s.series[key] = append(slices.Clip(s.series[key]), chunk{Seq: seq, N: len(pts)})
			latest, ok := r.Metrics[key]
			for _, p := range pts {
				if !ok || newer(p, latest) {
					latest, ok = p, true
				}
			}
			r.Metrics[key] = latest
		}
	case typeTagDelete:
		delete(r.Tags, rec.Key)
	case typeArtifact:
		if rec.Artifact == nil {
			return fmt.Errorf("%w: %s entry %d: artifact entry without artifact", ErrCorrupt, s.dir(), seq)
		}
		a := *rec.Artifact
		i, found := slices.BinarySearchFunc(r.Artifacts, a.Path, func(x Artifact, p string) int { return strings.Compare(x.Path, p) })
		if found {
			r.Artifacts[i] = a
		} else {
			r.Artifacts = slices.Insert(r.Artifacts, i, a)
		}
	default:
		return fmt.Errorf("tracking: %s entry %d: unknown type %q: %w", s.dir(), seq, rec.Type, errUnsupported)
	}
	return nil
}

// newer reports whether a is later than b as MLflow ranks a series' latest
// point: by step, then timestamp, then value, with NaN ranked as 0 (the
// value MLflow's SQL store keeps for it).
func newer(a, b Metric) bool {
	if a.Step != b.Step {
		return a.Step > b.Step
	}
	if a.Timestamp != b.Timestamp {
		return a.Timestamp > b.Timestamp
	}
	return rankValue(a.Value) > rankValue(b.Value)
}

func rankValue(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// runCheckpoint is the stored form of a runState.
type runCheckpoint struct {
	V      int                `json:"v"`
	Run    *Run               `json:"run"`
	Series map[string][]chunk `json:"series"`
}

func (s *runState) marshalCheckpoint() ([]byte, error) {
	return json.Marshal(runCheckpoint{V: recordVersion, Run: s.run, Series: s.series})
}

func unmarshalRunCheckpoint(id string, data []byte) (*runState, error) {
	var c runCheckpoint
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	if c.V != recordVersion {
		return nil, fmt.Errorf("checkpoint format %d", c.V)
	}
	if c.Run == nil || c.Run.Info.ID != id {
		return nil, fmt.Errorf("checkpoint of another run")
	}
	s := &runState{id: id, run: c.Run, series: c.Series}
	if s.series == nil {
		s.series = map[string][]chunk{}
	}
	if s.run.Params == nil {
		s.run.Params = map[string]string{}
	}
	if s.run.Tags == nil {
		s.run.Tags = map[string]string{}
	}
	if s.run.Metrics == nil {
		s.run.Metrics = map[string]Metric{}
	}
	return s, nil
}
