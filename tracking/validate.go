package tracking

import (
	"fmt"
	"math"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits, as MLflow's validation sets them.
const (
	MaxMetricsPerBatch    = 1000
	MaxParamsTagsPerBatch = 100
	MaxEntitiesPerBatch   = 1000
	MaxBatchRequestBytes  = 1_000_000 // a log-batch request body, in the REST handler
	MaxKeyLength          = 250
	MaxParamValueLength   = 6000
	MaxTagValueLength     = 5000
	MaxExperimentName     = 500
	MaxRunIDLength        = 256
)

// validKey applies MLflow's rule for metric, param and tag keys: letters,
// digits, _ - . / and space only, at most MaxKeyLength characters, and a
// name that a path normalization leaves alone (no "", ".", "a//b", "../x",
// "/x").
func validKey(what, key string) error {
	if !strings.ContainsFunc(key, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsNumber(r) || strings.ContainsRune("_-./ ", r))
	}) {
		if c := path.Clean(key); c != key || c == "." || strings.HasPrefix(c, "..") || strings.HasPrefix(c, "/") {
			return fmt.Errorf("%w: %s %q would resolve to %q as a path", ErrInvalidName, what, key, path.Clean(key))
		}
		if n := utf8.RuneCountInString(key); n > MaxKeyLength {
			return fmt.Errorf("%w: %s %.250q had length %d, which exceeded length limit of %d", ErrInvalidName, what, key, n, MaxKeyLength)
		}
		return nil
	}
	return fmt.Errorf("%w: %s %q: names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/)", ErrInvalidName, what, key)
}

func validValue(what, key, value string, limit int) error {
	if n := utf8.RuneCountInString(value); n > limit {
		return fmt.Errorf("%w: %s of %q had length %d, which exceeded length limit of %d", ErrInvalidName, what, key, n, limit)
	}
	return nil
}

// ValidateMetric checks a metric point as MLflow does: a valid key and a
// timestamp that is not negative. Every float64 value is valid, NaN and
// ±Inf included.
func ValidateMetric(m Metric) error {
	if err := validKey("metric name", m.Key); err != nil {
		return err
	}
	if m.Timestamp < 0 {
		return fmt.Errorf("%w: metric %q: timestamp %d must be a nonnegative long", ErrInvalidMetric, m.Key, m.Timestamp)
	}
	return nil
}

// ValidateParam checks a param's key and value length.
func ValidateParam(p Param) error {
	if err := validKey("param key", p.Key); err != nil {
		return err
	}
	return validValue("param value", p.Key, p.Value, MaxParamValueLength)
}

// ValidateTag checks a tag's key and value length.
func ValidateTag(t Tag) error {
	if err := validKey("tag key", t.Key); err != nil {
		return err
	}
	return validValue("tag value", t.Key, t.Value, MaxTagValueLength)
}

// Validate checks the batch against MLflow's log-batch limits and rules:
// at most MaxMetricsPerBatch metrics, MaxParamsTagsPerBatch params and as
// many tags, MaxEntitiesPerBatch in all, each item valid, and no param key
// given twice.
func (b *Batch) Validate() error {
	for _, c := range []struct {
		what  string
		n     int
		limit int
	}{
		{"metrics", len(b.Metrics), MaxMetricsPerBatch},
		{"params", len(b.Params), MaxParamsTagsPerBatch},
		{"tags", len(b.Tags), MaxParamsTagsPerBatch},
		{"metrics, params, and tags", len(b.Metrics) + len(b.Params) + len(b.Tags), MaxEntitiesPerBatch},
	} {
		if c.n > c.limit {
			return fmt.Errorf("%w: a batch can contain at most %d %s, got %d", ErrBatchTooLarge, c.limit, c.what, c.n)
		}
	}
	for _, m := range b.Metrics {
		if err := ValidateMetric(m); err != nil {
			return err
		}
	}
	seen := make(map[string]bool, len(b.Params))
	for _, p := range b.Params {
		if err := ValidateParam(p); err != nil {
			return err
		}
		if seen[p.Key] {
			return fmt.Errorf("%w: duplicate param key %q in one batch", ErrInvalidParameter, p.Key)
		}
		seen[p.Key] = true
	}
	for _, t := range b.Tags {
		if err := ValidateTag(t); err != nil {
			return err
		}
	}
	return nil
}

// storedValue is the value MLflow's SQL store keeps for v: ±Inf become the
// largest finite float64 of the same sign (the store cannot hold infinities);
// NaN stays NaN.
func storedValue(v float64) float64 {
	switch {
	case math.IsInf(v, 1):
		return math.MaxFloat64
	case math.IsInf(v, -1):
		return -math.MaxFloat64
	}
	return v
}

// validID checks a run or experiment id before it becomes part of a key on
// the bucket: an ASCII letter or digit, then letters, digits, _ or -.
func validID(what, id string) error {
	ok := id != "" && len(id) <= MaxRunIDLength && isAlnum(id[0])
	for i := 1; ok && i < len(id); i++ {
		ok = isAlnum(id[i]) || id[i] == '_' || id[i] == '-'
	}
	if !ok {
		return fmt.Errorf("%w: invalid %s %q", ErrInvalidParameter, what, id)
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func validExperimentName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: experiment name must not be empty", ErrInvalidName)
	}
	if n := utf8.RuneCountInString(name); n > MaxExperimentName {
		return fmt.Errorf("%w: experiment name exceeds the maximum length of %d characters", ErrInvalidName, MaxExperimentName)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: experiment name is not UTF-8", ErrInvalidName)
	}
	return nil
}
