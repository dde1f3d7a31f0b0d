package registry

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const testDigest = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae" // sha256("foo")

func TestRecordRoundTrip(t *testing.T) {
	desc := "first"
	in := &record{Type: EventVersionRegister, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Actor: "alice",
		Version: 1, Description: &desc, Status: StatusReady, Files: []File{{Path: "model.bin", Digest: testDigest, Size: 3}},
		Metrics: map[string]float64{"auc": 0.9}, Lineage: &Lineage{RunID: "r1"}}
	data, err := encodeRecord(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeRecord("m", 1, data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
}

func TestDecodeRecordErrors(t *testing.T) {
	tests := []struct {
		name, data string
		want       error
		mention    string
	}{
		{"truncated", `{"format":1,"type":"alias.set","time":"2026-01-02T03:04:05Z","alias":"prod","vers`, ErrCorruptEntry, "entry 7"},
		{"not json", `garbage`, ErrCorruptEntry, `model "m" entry 7`},
		{"empty", ``, ErrCorruptEntry, "entry 7"},
		{"no format", `{"type":"alias.set","time":"2026-01-02T03:04:05Z","alias":"prod","version":1}`, ErrCorruptEntry, "format"},
		{"newer format", `{"format":2,"type":"alias.set","time":"2026-01-02T03:04:05Z"}`, ErrUnsupportedEntry, "format 2"},
		{"unknown type", `{"format":1,"type":"model.teleport","time":"2026-01-02T03:04:05Z"}`, ErrUnsupportedEntry, `"model.teleport"`},
		{"no time", `{"format":1,"type":"model.create"}`, ErrCorruptEntry, "time"},
		{"bad alias", `{"format":1,"type":"alias.set","time":"2026-01-02T03:04:05Z","alias":"latest","version":1}`, ErrCorruptEntry, "alias"},
		{"alias without version", `{"format":1,"type":"alias.set","time":"2026-01-02T03:04:05Z","alias":"prod"}`, ErrCorruptEntry, "version"},
		{"bad status", `{"format":1,"type":"version.register","time":"2026-01-02T03:04:05Z","version":1,"status":"zombie"}`, ErrCorruptEntry, "status"},
		{"bad path", `{"format":1,"type":"version.register","time":"2026-01-02T03:04:05Z","version":1,"status":"ready","files":[{"path":"../x","digest":"` + testDigest + `"}]}`, ErrCorruptEntry, "../x"},
		{"bad digest", `{"format":1,"type":"card.set","time":"2026-01-02T03:04:05Z","version":1,"digest":"md5:abc"}`, ErrCorruptEntry, "digest"},
		{"wrong field type", `{"format":1,"type":"alias.set","time":"2026-01-02T03:04:05Z","alias":"prod","version":"one"}`, ErrCorruptEntry, "entry 7"},
		{"negative", `{"format":1,"type":"alias.delete","time":"2026-01-02T03:04:05Z","alias":"prod","previous":-2}`, ErrCorruptEntry, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeRecord("m", 7, []byte(tt.data))
			if !errors.Is(err, tt.want) {
				t.Fatalf("decodeRecord = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.mention) || !strings.HasPrefix(err.Error(), "registry: ") {
				t.Fatalf("error %q should start with \"registry: \" and mention %q", err, tt.mention)
			}
		})
	}
}

func TestFoldRejectsInconsistentEntries(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	reg := func(n int) *record {
		return &record{Type: EventVersionRegister, Time: at, Version: n, Status: StatusReady}
	}
	tests := []struct {
		name string
		recs []*record
	}{
		{"version gap", []*record{reg(1), reg(3)}},
		{"alias to missing version", []*record{reg(1), {Type: EventAliasSet, Time: at, Alias: "prod", Version: 2}}},
		{"update before model", []*record{{Type: EventVersionUpdate, Time: at, Version: 1}}},
		{"created twice", []*record{{Type: EventModelCreate, Time: at}, {Type: EventModelCreate, Time: at}}},
		{"alias to deleted", []*record{reg(1), {Type: EventVersionDelete, Time: at, Version: 1}, {Type: EventAliasSet, Time: at, Alias: "p", Version: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &state{name: "m"}
			var err error
			for i, r := range tt.recs {
				if err = s.apply(uint64(i+1), r); err != nil {
					break
				}
			}
			if !errors.Is(err, ErrCorruptEntry) {
				t.Fatalf("fold = %v, want ErrCorruptEntry", err)
			}
		})
	}
}

// FuzzDecodeRecord feeds arbitrary bytes to the entry decoder and the fold:
// they must return an error or a state, never panic, and an accepted entry
// must encode back to an entry that decodes the same.
func FuzzDecodeRecord(f *testing.F) {
	seeds := []string{
		`{"format":1,"type":"version.register","time":"2026-01-02T03:04:05Z","actor":"a","version":1,"status":"ready","files":[{"path":"m.bin","digest":"` + testDigest + `","size":3}],"metrics":{"auc":0.9}}`,
		`{"format":1,"type":"alias.set","time":"2026-01-02T03:04:05Z","alias":"production","version":1}`,
		`{"format":1,"type":"alias.delete","time":"2026-01-02T03:04:05Z","alias":"production","previous":1}`,
		`{"format":1,"type":"model.create","time":"2026-01-02T03:04:05Z","description":"d","tags":{"team":"risk"}}`,
		`{"format":1,"type":"version.update","time":"2026-01-02T03:04:05Z","version":1,"delete_tags":["x"],"status":"failed"}`,
		`{"format":1,"type":"signature.add","time":"2026-01-02T03:04:05Z","version":1,"digest":"` + testDigest + `","keyid":"k"}`,
		`{"format":9,"type":"x"}`, `{`, `null`, `[]`, `{"format":1,"type":"version.archive","time":"2026-01-02T03:04:05Z","version":1,"archived":true}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeRecord("m", 1, data)
		if err != nil {
			if !errors.Is(err, ErrCorruptEntry) && !errors.Is(err, ErrUnsupportedEntry) {
				t.Fatalf("error %v matches neither ErrCorruptEntry nor ErrUnsupportedEntry", err)
			}
			return
		}
		s := &state{name: "m"}
		_ = s.apply(1, r)
		again, err := encodeRecord(r)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		r2, err := decodeRecord("m", 1, again)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", again, err)
		}
		if diff := cmp.Diff(r, r2); diff != "" {
			t.Fatalf("re-decode differs (-first +second):\n%s", diff)
		}
	})
}

// FuzzCheckpoint: the checkpoint decoder never panics, errors are typed, and
// an accepted checkpoint yields a state that can take the next entry.
func FuzzCheckpoint(f *testing.F) {
	s := &state{name: "m"}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, r := range []*record{
		{Type: EventVersionRegister, Time: at, Version: 1, Status: StatusReady, Files: []File{{Path: "a", Digest: testDigest, Size: 3}}},
		{Type: EventAliasSet, Time: at, Alias: "production", Version: 1},
	} {
		if err := s.apply(uint64(i+1), r); err != nil {
			f.Fatal(err)
		}
	}
	good, err := s.marshalCheckpoint()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, uint64(2))
	f.Add([]byte(`{"format":1,"seq":1,"model":{"name":"m"},"versions":[null]}`), uint64(1))
	f.Add([]byte(`{"format":7}`), uint64(3))
	f.Fuzz(func(t *testing.T, data []byte, seq uint64) {
		st, err := unmarshalCheckpoint("m", seq, data)
		if err != nil {
			if !errors.Is(err, ErrCorruptEntry) && !errors.Is(err, ErrUnsupportedEntry) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		next := &record{Type: EventVersionRegister, Time: at, Version: len(st.versions) + 1, Status: StatusReady}
		if seq < ^uint64(0) {
			if err := st.clone().apply(seq+1, next); err != nil {
				t.Fatalf("accepted checkpoint cannot take the next version: %v", err)
			}
		}
	})
}
