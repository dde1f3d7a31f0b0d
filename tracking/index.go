package tracking

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/sextant-ml/sextant/internal/logstore"
)

// indexState is the experiment index folded: every experiment by id, and
// the id of each name. An experiment's id is the number of the entry that
// created it, so ids are assigned by the log and never reused.
type indexState struct {
	exps   map[string]*Experiment
	byName map[string]string
}

func newIndexState() *indexState {
	return &indexState{
		exps: map[string]*Experiment{DefaultExperimentID: {
			ID: DefaultExperimentID, Name: DefaultExperimentName, Lifecycle: Active,
			ArtifactLocation: experimentsDir + DefaultExperimentID,
		}},
		byName: map[string]string{DefaultExperimentName: DefaultExperimentID},
	}
}

// clone copies the maps; experiments are replaced, never changed in place.
func (s *indexState) clone() *indexState {
	return &indexState{exps: maps.Clone(s.exps), byName: maps.Clone(s.byName)}
}

func (s *indexState) applyEntry(e logstore.Entry) error {
	rec, err := decodeRecord(indexDir, e.Seq, e.Data)
	if err != nil {
		return err
	}
	if rec.Type == typeExperimentCreate {
		id := strconv.FormatUint(e.Seq, 10)
		if _, dup := s.byName[rec.Name]; dup || rec.Name == "" {
			return fmt.Errorf("%w: %s entry %d: experiment name %q taken or empty", ErrCorrupt, indexDir, e.Seq, rec.Name)
		}
		loc := rec.Location
		if loc == "" {
			loc = experimentsDir + id
		}
		s.exps[id] = &Experiment{ID: id, Name: rec.Name, ArtifactLocation: loc, Lifecycle: Active,
			Tags: maps.Clone(rec.ExpTags), CreationTime: rec.Time, LastUpdateTime: rec.Time}
		s.byName[rec.Name] = id
		return nil
	}
	old := s.exps[rec.Experiment]
	if old == nil {
		return fmt.Errorf("%w: %s entry %d: unknown experiment %q", ErrCorrupt, indexDir, e.Seq, rec.Experiment)
	}
	x := old.clone()
	x.LastUpdateTime = rec.Time
	switch rec.Type {
	case typeExperimentDelete:
		x.Lifecycle = Deleted
	case typeExperimentRestore:
		x.Lifecycle = Active
	case typeExperimentTag:
		if x.Tags == nil {
			x.Tags = map[string]string{}
		}
		maps.Copy(x.Tags, rec.ExpTags)
	default:
		return fmt.Errorf("tracking: %s entry %d: unknown type %q: %w", indexDir, e.Seq, rec.Type, errUnsupported)
	}
	s.exps[x.ID] = x
	return nil
}

func (s *indexState) marshalCheckpoint() ([]byte, error) {
	ids := slices.Sorted(maps.Keys(s.exps))
	list := make([]*Experiment, 0, len(ids))
	for _, id := range ids {
		list = append(list, s.exps[id])
	}
	return json.Marshal(struct {
		V           int           `json:"v"`
		Experiments []*Experiment `json:"experiments"`
	}{recordVersion, list})
}

func unmarshalIndexCheckpoint(data []byte) (*indexState, error) {
	var c struct {
		V           int           `json:"v"`
		Experiments []*Experiment `json:"experiments"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	if c.V != recordVersion {
		return nil, fmt.Errorf("checkpoint format %d", c.V)
	}
	s := &indexState{exps: map[string]*Experiment{}, byName: map[string]string{}}
	for _, x := range c.Experiments {
		if x == nil || x.ID == "" || s.exps[x.ID] != nil || s.byName[x.Name] != "" {
			return nil, fmt.Errorf("checkpoint lists a bad or repeated experiment")
		}
		s.exps[x.ID], s.byName[x.Name] = x, x.ID
	}
	if s.exps[DefaultExperimentID] == nil {
		return nil, fmt.Errorf("checkpoint lacks the default experiment")
	}
	return s, nil
}

// runList is an experiment's run list folded: run ids in the order they
// were created.
type runList struct {
	exp string
	ids []string
}

func (l *runList) clone() *runList { return &runList{exp: l.exp, ids: slices.Clip(l.ids)} }

func (l *runList) applyEntry(e logstore.Entry) error {
	rec, err := decodeRecord(experimentsDir+l.exp, e.Seq, e.Data)
	if err != nil {
		return err
	}
	if rec.Type != typeRunListed || validID("run id", rec.Run) != nil {
		return fmt.Errorf("%w: %s entry %d: not a run listing", ErrCorrupt, experimentsDir+l.exp, e.Seq)
	}
	l.ids = append(l.ids, rec.Run)
	return nil
}

func (l *runList) marshalCheckpoint() ([]byte, error) {
	return json.Marshal(struct {
		V    int      `json:"v"`
		Runs []string `json:"runs"`
	}{recordVersion, l.ids})
}

func unmarshalRunListCheckpoint(exp string, data []byte) (*runList, error) {
	var c struct {
		V    int      `json:"v"`
		Runs []string `json:"runs"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	if c.V != recordVersion {
		return nil, fmt.Errorf("checkpoint format %d", c.V)
	}
	return &runList{exp: exp, ids: c.Runs}, nil
}
