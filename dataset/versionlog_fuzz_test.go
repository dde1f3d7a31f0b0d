package dataset

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/sextant-ml/sextant/internal/logstore"
)

// folded checks what every decoded state must hold: versions numbered
// 1, 2, ... and every tag on one of them, so no later commit can make a
// stale tag name a version it never named.
func folded(t *testing.T, st *datasetState) {
	t.Helper()
	for i, r := range st.versions {
		if r.Number != i+1 {
			t.Fatalf("version %d at position %d", r.Number, i+1)
		}
	}
	for tag, n := range st.tags {
		if n < 1 || n > len(st.versions) {
			t.Fatalf("tag %q on version %d of %d", tag, n, len(st.versions))
		}
	}
	for n := 1; n <= len(st.versions); n++ {
		st.version(n)
	}
}

func TestDecodeCheckpointRejectsStrayTags(t *testing.T) {
	tests := map[string]string{
		"tag past the versions": `{"v":1,"versions":[{"type":"commit","v":1,"number":1,"time":"2026-01-01T00:00:00Z"}],"tags":{"prod":2}}`,
		"tag on version zero":   `{"v":1,"versions":[],"tags":{"prod":0}}`,
		"negative tag":          `{"v":1,"versions":[],"tags":{"prod":-1}}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeCheckpoint("d", 64, []byte(in)); !errors.Is(err, ErrCorruptLog) {
				t.Fatalf("err = %v, want ErrCorruptLog", err)
			}
		})
	}
}

func FuzzDecodeCheckpoint(f *testing.F) {
	f.Add([]byte(`{"v":1,"versions":[{"type":"commit","v":1,"number":1,"manifest":"sha256:00","files":1,"bytes":3,"time":"2026-01-01T00:00:00Z"}],"tags":{"prod":1}}`))
	f.Add([]byte(`{"v":1,"versions":null,"tags":null}`))
	f.Add([]byte(`{"v":1,"versions":[],"tags":{"x":5}}`))
	f.Add([]byte(`{"v":2}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := decodeCheckpoint("d", 64, data)
		if err != nil {
			if !errors.Is(err, ErrCorruptLog) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		folded(t, st)
		// The state writes back to a checkpoint that decodes the same.
		out, err := json.Marshal(checkpointJSON{V: logFormat, Versions: st.versions, Tags: st.tags})
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeCheckpoint("d", 64, out)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", out, err)
		}
		folded(t, again)
		if len(again.versions) != len(st.versions) || len(again.tags) != len(st.tags) {
			t.Fatalf("round trip changed the state: %d/%d versions, %d/%d tags", len(st.versions), len(again.versions), len(st.tags), len(again.tags))
		}
		// A commit after the checkpoint still folds.
		next, _ := json.Marshal(logRecord{Type: "commit", V: logFormat, Number: len(st.versions) + 1})
		if err := st.apply(logstore.Entry{Seq: 65, Data: next}); err != nil {
			t.Fatalf("commit after the checkpoint: %v", err)
		}
		folded(t, st)
	})
}

func FuzzApplyLogEntry(f *testing.F) {
	f.Add([]byte(`{"type":"commit","v":1,"number":2,"manifest":"sha256:00","tags":["a","b"],"time":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"type":"tag","v":1,"number":1,"tag":"prod","time":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"type":"tag","v":1,"number":7,"tag":"prod"}`))
	f.Add([]byte(`{"type":"delete","v":1}`))
	f.Add([]byte(`{"type":"commit","v":9,"number":2}`))
	f.Add([]byte(`{"type":"commit","v":1,"number":2} trailing`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st := &datasetState{name: "d", seq: 1, versions: []logRecord{{Type: "commit", V: logFormat, Number: 1}}, tags: map[string]int{"old": 1}}
		if err := st.apply(logstore.Entry{Seq: 2, Data: data}); err != nil {
			if !errors.Is(err, ErrCorruptLog) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("untyped error: %v", err)
			}
			if st.seq != 1 {
				t.Fatalf("a refused entry moved the state to %d", st.seq)
			}
			return
		}
		if st.seq != 2 {
			t.Fatalf("applied entry left seq %d", st.seq)
		}
		folded(t, st)
	})
}
