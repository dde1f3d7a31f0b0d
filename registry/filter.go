package registry

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/internal/filter"
)

// Filter is a parsed search filter, in the language registry shares with
// tracking (internal/filter), close to MLflow's search syntax:
//
//	filter  = or
//	or      = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" unary | "(" or ")" | compare
//	compare = field op value
//	op      = "=" | "!=" | "<" | "<=" | ">" | ">=" | "like" | "ilike"
//	value   = 'text' | "text" | number | true | false
//
// Fields: name, version, status, author, description, alias, archived,
// created, updated, run_id, source, code_revision, dataset, tags.<key>,
// params.<key>, metrics.<key>; a key with other bytes than letters, digits,
// _ . - is written quoted: tags.`my key`. Keywords are case-insensitive.
// Metrics and version compare as numbers; created and updated as times (a
// quoted RFC 3339 time or date); the rest as text, where "like" matches
// SQL-style patterns with % (any run) and _ (one character) and "ilike" does
// so ignoring case. alias and dataset compare with each of the version's
// aliases or dataset digests: = is true when one matches, != when none does.
// A comparison on a missing tag, param or metric is false. For models, the
// fields are name, description, owner, archived, created, updated, alias
// (any alias of the model), version (the latest version number) and
// tags.<key>.
type Filter struct {
	f *filter.Filter
}

const (
	maxFilterLen   = filter.MaxLen
	maxFilterDepth = filter.MaxDepth
)

var textFields = []string{"name", "status", "author", "description", "alias", "run_id", "source", "code_revision", "dataset", "owner"}

// versionField is the schema of version filters.
func versionField(name string) (string, filter.Kind, bool) {
	if pre, key, ok := strings.Cut(name, "."); ok {
		pre = strings.ToLower(pre)
		if pre != "tags" && pre != "params" && pre != "metrics" || key == "" {
			return "", 0, false
		}
		kind := filter.Text
		if pre == "metrics" {
			kind = filter.Number
		}
		return pre + "." + key, kind, true // keys keep their case
	}
	field := strings.ToLower(name)
	switch {
	case field == "version":
		return field, filter.Number, true
	case field == "archived":
		return field, filter.Bool, true
	case field == "created" || field == "updated":
		return field, filter.Time, true
	case slices.Contains(textFields, field):
		return field, filter.Text, true
	}
	return "", 0, false
}

// ParseFilter parses a filter; an empty or all-space filter matches
// everything. Errors match ErrInvalidFilter and give the offending position.
func ParseFilter(s string) (*Filter, error) {
	f, err := filter.Parse(s, versionField)
	if err != nil {
		var fe *filter.Error
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("%w: %s", ErrInvalidFilter, fe.Error())
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalidFilter, err)
	}
	return &Filter{f: f}, nil
}

// String returns the filter in canonical form; parsing it gives the same filter.
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	return f.f.String()
}

// modelFields are the fields a model filter may use.
var modelFields = []string{"name", "description", "owner", "author", "archived", "created", "updated", "alias", "version"}

// forModels checks that the filter only uses fields models have.
func (f *Filter) forModels() error {
	if f == nil {
		return nil
	}
	for _, field := range f.f.Fields() {
		if !slices.Contains(modelFields, field) && !strings.HasPrefix(field, "tags.") {
			return fmt.Errorf("%w: models have no field %s", ErrInvalidFilter, field)
		}
	}
	return nil
}

// Match reports whether v (with its Aliases filled in) passes the filter.
func (f *Filter) Match(v *Version) bool {
	if f == nil {
		return true
	}
	return f.f.Match(versionSubject{v})
}

// MatchModel reports whether m passes the filter.
func (f *Filter) MatchModel(m *Model) bool {
	if f == nil {
		return true
	}
	return f.f.Match(modelSubject{m})
}

type versionSubject struct{ v *Version }

func (s versionSubject) Text(field string) (filter.TextValue, bool) {
	v := s.v
	switch field {
	case "name":
		return filter.One(v.Model), true
	case "status":
		return filter.One(string(v.Status)), true
	case "author":
		return filter.One(v.Author), true
	case "description":
		return filter.One(v.Description), true
	case "alias":
		return filter.Many(v.Aliases), true
	case "run_id":
		return filter.One(v.Lineage.RunID), true
	case "source":
		return filter.One(v.Lineage.Source), true
	case "code_revision":
		return filter.One(v.Lineage.CodeRevision), true
	case "dataset":
		return filter.Many(v.Lineage.Datasets), true
	}
	if key, ok := strings.CutPrefix(field, "tags."); ok {
		x, ok := v.Tags[key]
		return filter.One(x), ok
	}
	if key, ok := strings.CutPrefix(field, "params."); ok {
		x, ok := v.Params[key]
		return filter.One(x), ok
	}
	return filter.TextValue{}, false
}

func (s versionSubject) Number(field string) (float64, bool) {
	if field == "version" {
		return float64(s.v.Number), true
	}
	if key, ok := strings.CutPrefix(field, "metrics."); ok {
		x, ok := s.v.Metrics[key]
		return x, ok
	}
	return 0, false
}

func (s versionSubject) Time(field string) (time.Time, bool) {
	if field == "updated" {
		return s.v.Updated, true
	}
	return s.v.Created, true
}

func (s versionSubject) Bool(string) (bool, bool) { return s.v.Archived, true }

type modelSubject struct{ m *Model }

func (s modelSubject) Text(field string) (filter.TextValue, bool) {
	m := s.m
	switch field {
	case "name":
		return filter.One(m.Name), true
	case "description":
		return filter.One(m.Description), true
	case "owner", "author":
		return filter.One(m.Owner), true
	case "alias":
		out := make([]string, 0, len(m.Aliases))
		for a := range m.Aliases {
			out = append(out, a)
		}
		return filter.Many(out), true
	}
	if key, ok := strings.CutPrefix(field, "tags."); ok {
		x, ok := m.Tags[key]
		return filter.One(x), ok
	}
	return filter.TextValue{}, false
}

func (s modelSubject) Number(field string) (float64, bool) {
	if field == "version" {
		return float64(s.m.LatestVersion), true
	}
	return 0, false
}

func (s modelSubject) Time(field string) (time.Time, bool) {
	if field == "updated" {
		return s.m.Updated, true
	}
	return s.m.Created, true
}

func (s modelSubject) Bool(string) (bool, bool) { return s.m.Archived, true }
