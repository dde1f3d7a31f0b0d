package registry

import (
	"encoding/json"
	"fmt"
	"maps"
	"sort"
)

// state is the folded log of one model. A published state is immutable:
// apply works on a copy made by clone, which shares unchanged versions.
type state struct {
	name     string
	seq      uint64 // last entry folded
	model    *Model // nil before the first entry
	versions []*Version
	// private: versions is a slice this copy may write to (set after the
	// first write following clone).
	private bool
}

func (s *state) clone() *state {
	c := *s
	if s.model != nil {
		c.model = s.model.clone()
	}
	c.private = false
	return &c
}

// version returns version n, or nil.
func (s *state) version(n int) *Version {
	if n <= 0 || n > len(s.versions) {
		return nil
	}
	return s.versions[n-1]
}

// own replaces version n by a private copy and returns it.
func (s *state) own(n int) *Version {
	v := s.versions[n-1].clone()
	s.makePrivate()
	s.versions[n-1] = v
	return v
}

// makePrivate copies the versions slice once per clone, so that writes never
// reach the backing array of an older, published state.
func (s *state) makePrivate() {
	if s.private {
		return
	}
	vs := make([]*Version, len(s.versions), len(s.versions)+len(s.versions)/4+8)
	copy(vs, s.versions)
	s.versions = vs
	s.private = true
}

// apply folds one decoded entry. Entries are validated by their writer against
// the state before them, so an entry that does not fit is corrupt.
func (s *state) apply(seq uint64, r *record) error {
	if seq != s.seq+1 {
		return corrupt(s.name, seq, "follows entry %d", s.seq)
	}
	if s.model == nil && r.Type != EventModelCreate && r.Type != EventVersionRegister {
		return corrupt(s.name, seq, "%s before the model exists", r.Type)
	}
	if s.model != nil && r.Type == EventModelCreate {
		return corrupt(s.name, seq, "model created twice")
	}
	if s.model == nil {
		s.model = &Model{Name: s.name, Owner: r.Actor, Created: r.Time}
	}
	m := s.model
	m.Updated = r.Time
	switch r.Type {
	case EventModelCreate, EventModelUpdate:
		if r.Description != nil {
			m.Description = *r.Description
		}
		if r.Owner != "" {
			m.Owner = r.Owner
		}
		m.Tags = mergeTags(m.Tags, r.Tags, r.DeleteTags)
	case EventModelArchive:
		m.Archived = r.Archived
	case EventModelDelete:
		m.Deleted = true
		m.Aliases = nil
	case EventVersionRegister:
		if r.Version != len(s.versions)+1 {
			return corrupt(s.name, seq, "registers version %d, expected %d", r.Version, len(s.versions)+1)
		}
		v := &Version{
			Model: s.name, Number: r.Version, Files: r.Files, Tags: r.Tags, Params: r.Params,
			Metrics: r.Metrics, Status: r.Status, Author: r.Actor, Created: r.Time, Updated: r.Time,
		}
		if r.Description != nil {
			v.Description = *r.Description
		}
		if r.Lineage != nil {
			v.Lineage = *r.Lineage
		}
		if v.Files == nil {
			v.Files = []File{}
		}
		s.makePrivate()
		s.versions = append(s.versions, v)
		m.LatestVersion = v.Number
	default:
		return s.applyVersionChange(seq, r)
	}
	s.seq = seq
	return nil
}

func (s *state) applyVersionChange(seq uint64, r *record) error {
	m := s.model
	if s.version(r.Version) == nil && (r.Type != EventAliasDelete) {
		return corrupt(s.name, seq, "%s names version %d, which does not exist", r.Type, r.Version)
	}
	switch r.Type {
	case EventVersionUpdate:
		v := s.own(r.Version)
		if r.Description != nil {
			v.Description = *r.Description
		}
		if r.Status != "" {
			v.Status = r.Status
		}
		v.Tags = mergeTags(v.Tags, r.Tags, r.DeleteTags)
		if len(r.Metrics) > 0 {
			if v.Metrics == nil {
				v.Metrics = make(map[string]float64, len(r.Metrics))
			}
			maps.Copy(v.Metrics, r.Metrics)
		}
		v.Updated = r.Time
	case EventVersionArchive:
		v := s.own(r.Version)
		v.Archived = r.Archived
		v.Updated = r.Time
		if r.Archived {
			s.dropAliases(r.Version)
		}
	case EventVersionDelete:
		v := s.own(r.Version)
		v.Deleted = true
		v.Updated = r.Time
		s.dropAliases(r.Version)
	case EventAliasSet:
		if v := s.version(r.Version); v.Deleted {
			return corrupt(s.name, seq, "alias %q set to deleted version %d", r.Alias, r.Version)
		}
		if m.Aliases == nil {
			m.Aliases = make(map[string]int)
		}
		m.Aliases[r.Alias] = r.Version
	case EventAliasDelete:
		delete(m.Aliases, r.Alias)
	case EventCardSet:
		v := s.own(r.Version)
		v.Card = r.Digest
		v.Updated = r.Time
	case EventSignatureAdd:
		v := s.own(r.Version)
		v.Signatures = append(v.Signatures, Signature{KeyID: r.KeyID, Digest: r.Digest, Actor: r.Actor, Created: r.Time})
		v.Updated = r.Time
	}
	s.seq = seq
	return nil
}

func (s *state) dropAliases(n int) {
	for a, v := range s.model.Aliases {
		if v == n {
			delete(s.model.Aliases, a)
		}
	}
}

func mergeTags(dst, set map[string]string, del []string) map[string]string {
	if len(set) == 0 && len(del) == 0 {
		return dst
	}
	out := maps.Clone(dst)
	if out == nil {
		out = make(map[string]string, len(set))
	}
	maps.Copy(out, set)
	for _, k := range del {
		delete(out, k)
	}
	return out
}

// aliasesOf lists the aliases pointing at version n, sorted.
func (s *state) aliasesOf(n int) []string {
	var out []string
	for a, v := range s.model.Aliases {
		if v == n {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

// aliasesByVersion maps version numbers to their aliases, each list sorted.
func (s *state) aliasesByVersion() map[int][]string {
	out := make(map[int][]string, len(s.model.Aliases))
	for a, n := range s.model.Aliases {
		out[n] = append(out[n], a)
	}
	for _, list := range out {
		sort.Strings(list)
	}
	return out
}

// view returns a caller-owned copy of version n with its aliases filled in.
func (s *state) view(n int) *Version {
	v := s.versions[n-1].clone()
	v.Aliases = s.aliasesOf(n)
	return v
}

// checkpoint is the JSON form of a folded state.
type checkpoint struct {
	Format   int        `json:"format"`
	Seq      uint64     `json:"seq"`
	Model    *Model     `json:"model"`
	Versions []*Version `json:"versions"`
}

func (s *state) marshalCheckpoint() ([]byte, error) {
	return json.Marshal(checkpoint{Format: formatVersion, Seq: s.seq, Model: s.model, Versions: s.versions})
}

func unmarshalCheckpoint(name string, seq uint64, data []byte) (*state, error) {
	var c checkpoint
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("registry: %w: model %q checkpoint %d: %v", ErrCorruptEntry, name, seq, err)
	}
	if c.Format > formatVersion {
		return nil, fmt.Errorf("registry: %w: model %q checkpoint %d: format %d is newer than %d",
			ErrUnsupportedEntry, name, seq, c.Format, formatVersion)
	}
	if c.Seq != seq || c.Model == nil || c.Model.Name != name {
		return nil, fmt.Errorf("registry: %w: model %q checkpoint %d: header does not match its name", ErrCorruptEntry, name, seq)
	}
	for i, v := range c.Versions {
		if v == nil || v.Number != i+1 || v.Model != name {
			return nil, fmt.Errorf("registry: %w: model %q checkpoint %d: version %d out of place", ErrCorruptEntry, name, seq, i+1)
		}
		if v.Files == nil {
			v.Files = []File{}
		}
	}
	for a, n := range c.Model.Aliases {
		if n <= 0 || n > len(c.Versions) || ValidateAlias(a) != nil {
			return nil, fmt.Errorf("registry: %w: model %q checkpoint %d: alias %q points at %d", ErrCorruptEntry, name, seq, a, n)
		}
	}
	return &state{name: name, seq: seq, model: c.Model, versions: c.Versions}, nil
}
