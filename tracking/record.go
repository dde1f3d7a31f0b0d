package tracking

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// recordVersion is the format of log entries and checkpoints this package
// writes; a reader refuses a newer one rather than misread it.
const recordVersion = 1

// Entry types. The experiment index holds experiment.*; an experiment's
// run list holds run.listed; a run's log holds the rest.
const (
	typeExperimentCreate  = "experiment.create"
	typeExperimentDelete  = "experiment.delete"
	typeExperimentRestore = "experiment.restore"
	typeExperimentTag     = "experiment.tag"
	typeRunListed         = "run.listed"
	typeRunCreate         = "run.create"
	typeRunUpdate         = "run.update"
	typeRunDelete         = "run.delete"
	typeRunRestore        = "run.restore"
	typeBatch             = "batch"
	typeTagDelete         = "tag.delete"
	typeArtifact          = "artifact"
)

// record is one log entry, of any of the three logs.
type record struct {
	V    int    `json:"v"`
	Type string `json:"type"`
	Time int64  `json:"time"` // Unix ms
	User string `json:"user,omitempty"`

	// experiment index
	Experiment string            `json:"experiment,omitempty"`
	Name       string            `json:"name,omitempty"`
	Location   string            `json:"artifact_location,omitempty"`
	ExpTags    map[string]string `json:"experiment_tags,omitempty"`

	// run list and run log
	Run     string    `json:"run,omitempty"`
	Info    *RunInfo  `json:"info,omitempty"`
	Status  RunStatus `json:"status,omitempty"`
	EndTime int64     `json:"end_time,omitempty"`

	Params   []Param                    `json:"params,omitempty"`
	Tags     []Tag                      `json:"tags,omitempty"`
	Series   map[string]json.RawMessage `json:"series,omitempty"`
	Key      string                     `json:"key,omitempty"`
	Artifact *Artifact                  `json:"artifact,omitempty"`
}

func encodeRecord(r *record) ([]byte, error) {
	r.V = recordVersion
	data, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("tracking: encode entry: %w", err)
	}
	return data, nil
}

func decodeRecord(dir string, seq uint64, data []byte) (*record, error) {
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: %s entry %d: %v", ErrCorrupt, dir, seq, err)
	}
	if r.V > recordVersion {
		return nil, fmt.Errorf("tracking: %s entry %d has format %d, newer than this reader: %w", dir, seq, r.V, errUnsupported)
	}
	return &r, nil
}

// appendFloat writes v as JSON, NaN and ±Inf as the strings protobuf's JSON
// mapping uses ("NaN", "Infinity", "-Infinity").
func appendFloat(dst []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(dst, `"NaN"`...)
	case math.IsInf(v, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(v, -1):
		return append(dst, `"-Infinity"`...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

// parseFloat reads what appendFloat writes, and numbers in strings.
func parseFloat(b []byte) (float64, error) {
	b = bytes.TrimSpace(b)
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		switch s := string(b[1 : len(b)-1]); s {
		case "NaN":
			return math.NaN(), nil
		case "Infinity", "+Infinity", "inf", "+inf":
			return math.Inf(1), nil
		case "-Infinity", "-inf":
			return math.Inf(-1), nil
		default:
			b = []byte(s)
		}
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, fmt.Errorf("not a number: %.40q", b)
	}
	if math.IsInf(v, 0) {
		return 0, fmt.Errorf("number out of range: %.40q", b)
	}
	return v, nil
}

// floatJSON is a float64 whose JSON form admits NaN and ±Inf as strings.
type floatJSON float64

func (f floatJSON) MarshalJSON() ([]byte, error) { return appendFloat(nil, float64(f)), nil }

func (f *floatJSON) UnmarshalJSON(b []byte) error {
	v, err := parseFloat(b)
	if err != nil {
		return err
	}
	*f = floatJSON(v)
	return nil
}

type metricJSON struct {
	Key       string    `json:"key"`
	Value     floatJSON `json:"value"`
	Timestamp int64     `json:"timestamp"`
	Step      int64     `json:"step"`
}

// MarshalJSON writes the metric with NaN and ±Inf as strings, which plain
// JSON numbers cannot express.
func (m Metric) MarshalJSON() ([]byte, error) {
	return json.Marshal(metricJSON{m.Key, floatJSON(m.Value), m.Timestamp, m.Step})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (m *Metric) UnmarshalJSON(b []byte) error {
	var j metricJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = Metric{j.Key, float64(j.Value), j.Timestamp, j.Step}
	return nil
}

// encodeSeries writes the points of one key as three columns:
// {"v":[values],"t":[timestamps],"s":[steps]}.
func encodeSeries(pts []Metric) json.RawMessage {
	b := make([]byte, 0, 16+len(pts)*32)
	b = append(b, `{"v":[`...)
	for i, p := range pts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, p.Value)
	}
	b = append(b, `],"t":[`...)
	for i, p := range pts {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, p.Timestamp, 10)
	}
	b = append(b, `],"s":[`...)
	for i, p := range pts {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, p.Step, 10)
	}
	return append(b, "]}"...)
}

// decodeSeries reads what encodeSeries writes, appending the points to dst.
func decodeSeries(dst []Metric, key string, raw json.RawMessage) ([]Metric, error) {
	var cols struct {
		V json.RawMessage `json:"v"`
		T []int64         `json:"t"`
		S []int64         `json:"s"`
	}
	if err := json.Unmarshal(raw, &cols); err != nil {
		return dst, err
	}
	v := bytes.TrimSpace(cols.V)
	if len(v) < 2 || v[0] != '[' || v[len(v)-1] != ']' {
		return dst, fmt.Errorf("series %q: values are not an array", key)
	}
	v = v[1 : len(v)-1]
	n := len(cols.T)
	if len(cols.S) != n {
		return dst, fmt.Errorf("series %q: %d timestamps but %d steps", key, n, len(cols.S))
	}
	for i := 0; i < n; i++ {
		item := v
		if j := bytes.IndexByte(v, ','); j >= 0 {
			item, v = v[:j], v[j+1:]
		} else {
			v = nil
		}
		if i < n-1 && v == nil {
			return dst, fmt.Errorf("series %q: fewer values than timestamps", key)
		}
		x, err := parseFloat(item)
		if err != nil {
			return dst, fmt.Errorf("series %q: %w", key, err)
		}
		dst = append(dst, Metric{Key: key, Value: x, Timestamp: cols.T[i], Step: cols.S[i]})
	}
	if len(bytes.TrimSpace(v)) != 0 {
		return dst, fmt.Errorf("series %q: more values than timestamps", key)
	}
	return dst, nil
}

type rawJSON = json.RawMessage

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
