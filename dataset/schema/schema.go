package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrInvalidSchema reports a schema that cannot be parsed or is
	// inconsistent (unknown type, duplicate column, min above max, a bad
	// pattern, a missing share outside [0, 1]).
	ErrInvalidSchema = errors.New("schema: invalid schema")
)

// Type is a column's value type.
type Type string

// Column types.
const (
	Int       Type = "int"
	Float     Type = "float"
	String    Type = "string"
	Bool      Type = "bool"
	Timestamp Type = "timestamp"
)

// Column constrains one column. Zero values mean "no constraint".
type Column struct {
	Name string `json:"name"`
	Type Type   `json:"type"`
	// Nullable allows missing values (absent, null, or a CSV null marker).
	Nullable bool `json:"nullable,omitempty"`
	// MaxMissing, for a nullable column, is the largest share of rows
	// (0 to 1) that may be missing. Nil: any share.
	MaxMissing *float64 `json:"max_missing,omitempty"`
	// Min and Max bound int and float values (inclusive).
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// MinTime and MaxTime bound timestamp values (inclusive).
	MinTime *time.Time `json:"min_time,omitempty"`
	MaxTime *time.Time `json:"max_time,omitempty"`
	// Allowed is the domain: the only values permitted, compared as text.
	Allowed []string `json:"allowed,omitempty"`
	// Pattern is an RE2 regular expression the whole value must match.
	Pattern string `json:"pattern,omitempty"`
	// Unique forbids a value appearing twice.
	Unique bool `json:"unique,omitempty"`
}

// Schema constrains a table, column by column.
type Schema struct {
	Columns []Column `json:"columns"`
	// AllowNewColumns accepts columns the schema does not name instead of
	// reporting them as an anomaly.
	AllowNewColumns bool `json:"allow_new_columns,omitempty"`
}

// Parse decodes a schema from JSON strictly and checks it.
func Parse(data []byte) (*Schema, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Schema
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSchema, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data", ErrInvalidSchema)
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Check reports whether the schema is consistent.
func (s *Schema) Check() error {
	seen := map[string]bool{}
	for i, c := range s.Columns {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%w: column %d (%q): %s", ErrInvalidSchema, i, c.Name, fmt.Sprintf(format, args...))
		}
		if c.Name == "" {
			return bad("empty name")
		}
		if seen[c.Name] {
			return bad("named twice")
		}
		seen[c.Name] = true
		switch c.Type {
		case Int, Float, String, Bool, Timestamp:
		default:
			return bad("unknown type %q", c.Type)
		}
		if (c.Min != nil || c.Max != nil) && c.Type != Int && c.Type != Float {
			return bad("min/max apply to int and float columns")
		}
		if (c.MinTime != nil || c.MaxTime != nil) && c.Type != Timestamp {
			return bad("min_time/max_time apply to timestamp columns")
		}
		if c.Min != nil && c.Max != nil && !(*c.Min <= *c.Max) {
			return bad("min %v above max %v", *c.Min, *c.Max)
		}
		if c.MinTime != nil && c.MaxTime != nil && c.MinTime.After(*c.MaxTime) {
			return bad("min_time after max_time")
		}
		if c.MaxMissing != nil && !(*c.MaxMissing >= 0 && *c.MaxMissing <= 1) {
			return bad("max_missing %v outside [0, 1]", *c.MaxMissing)
		}
		if c.Pattern != "" {
			if _, err := regexp.Compile(c.Pattern); err != nil {
				return bad("pattern: %v", err)
			}
		}
		for _, a := range c.Allowed {
			if _, ok := parseAs(c.Type, a); !ok {
				return bad("allowed value %q is not a %s", a, c.Type)
			}
		}
	}
	return nil
}

// Column returns the column named name.
func (s *Schema) Column(name string) (*Column, bool) {
	for i := range s.Columns {
		if s.Columns[i].Name == name {
			return &s.Columns[i], true
		}
	}
	return nil, false
}

// timeLayouts are the timestamp forms accepted, tried in order.
var timeLayouts = [...]string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02"}

// parsed is a typed value.
type parsed struct {
	num float64
	t   time.Time
}

// parseAs interprets text as type t.
func parseAs(t Type, text string) (parsed, bool) {
	switch t {
	case Int:
		n, err := strconv.ParseInt(text, 10, 64)
		return parsed{num: float64(n)}, err == nil
	case Float:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return parsed{}, false
		}
		return parsed{num: f}, true
	case Bool:
		switch strings.ToLower(text) {
		case "true", "false":
			return parsed{}, true
		}
		return parsed{}, false
	case Timestamp:
		for _, layout := range timeLayouts {
			if ts, err := time.Parse(layout, text); err == nil {
				return parsed{t: ts}, true
			}
		}
		return parsed{}, false
	case String:
		return parsed{}, true
	}
	return parsed{}, false
}

func ptr[T any](v T) *T { return &v }
