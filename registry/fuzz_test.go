package registry

import (
	"errors"
	"testing"
	"time"
)

// FuzzParseRef: references never panic the parser, errors match
// ErrInvalidReference, and an accepted reference formats to a string that
// parses back to the same reference.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{
		"fraud/3", "fraud@production", "fraud@latest", "fraud/latest", "fraud@v3", "fraud@V12",
		"models:/fraud@champion", "models:/fraud/1", "a.b-c_d/99999999999999999999", "fraud@", "@x",
		"fraud/0", "fraud/-1", "fraud/+1", "fraud@v0", "fraud@Latest", "a/b/c", "models:/", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseRef(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidReference) {
				t.Fatalf("ParseRef(%q) error %v does not match ErrInvalidReference", s, err)
			}
			return
		}
		if ValidateModelName(ref.Model) != nil || (ref.Version > 0) == (ref.Alias != "") {
			t.Fatalf("ParseRef(%q) accepted %+v", s, ref)
		}
		again, err := ParseRef(ref.String())
		if err != nil || again != ref {
			t.Fatalf("ParseRef(%q) = %+v, formatted %q, parsed back %+v, %v", s, ref, ref.String(), again, err)
		}
	})
}

// FuzzPageToken: a token from a client never panics the decoder, errors
// match ErrInvalidPageToken, and a token this package made decodes to what
// it encoded, for its own query only.
func FuzzPageToken(f *testing.F) {
	query := queryHash("versions", "fraud", "false", "")
	f.Add(encodeToken(pageToken{Query: query, Model: "fraud", Version: 3}), "fraud", 3)
	f.Add("", "", 0)
	f.Add("!!", "x", 1)
	f.Add("e30", "", 0)
	f.Add("bnVsbA", "a", -1) // "null"
	f.Fuzz(func(t *testing.T, token, model string, version int) {
		if tok, err := decodeToken(token, query); err != nil && !errors.Is(err, ErrInvalidPageToken) {
			t.Fatalf("decodeToken(%q) error %v does not match ErrInvalidPageToken", token, err)
		} else if err == nil && token != "" && tok.Query != query {
			t.Fatalf("decodeToken(%q) accepted a token of query %q", token, tok.Query)
		}
		if ValidateModelName(model) != nil {
			model = "m" // tokens only ever carry valid model names
		}
		want := pageToken{Query: query, Model: model, Version: version}
		enc := encodeToken(want)
		got, err := decodeToken(enc, query)
		if err != nil || *got != want {
			t.Fatalf("token %+v round-tripped to %+v, %v", want, got, err)
		}
		if _, err := decodeToken(enc, queryHash("models", "false", "")); !errors.Is(err, ErrInvalidPageToken) {
			t.Fatalf("token of one query accepted by another: %v", err)
		}
	})
}

// FuzzFold applies an arbitrary entry to a model that has versions, aliases
// and a deleted version, so that every kind of change meets a state it can
// apply to: the fold never panics, refusals match ErrCorruptEntry, and the
// state the copy was made from (as a published snapshot is) never changes.
func FuzzFold(f *testing.F) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	base := &state{name: "m"}
	for i, r := range []*record{
		{Type: EventVersionRegister, Time: at, Version: 1, Status: StatusReady},
		{Type: EventVersionRegister, Time: at, Version: 2, Status: StatusReady},
		{Type: EventVersionRegister, Time: at, Version: 3, Status: StatusReady},
		{Type: EventAliasSet, Time: at, Alias: "production", Version: 1},
		{Type: EventAliasSet, Time: at, Alias: "staging", Version: 2},
		{Type: EventVersionDelete, Time: at, Version: 3},
	} {
		if err := base.apply(uint64(i+1), r); err != nil {
			f.Fatal(err)
		}
	}
	for _, s := range []string{
		`{"format":1,"type":"alias.set","time":"2026-01-02T03:04:05Z","alias":"canary","version":3}`,
		`{"format":1,"type":"alias.set","time":"2026-01-02T03:04:05Z","alias":"canary","version":2}`,
		`{"format":1,"type":"alias.delete","time":"2026-01-02T03:04:05Z","alias":"nothing"}`,
		`{"format":1,"type":"version.archive","time":"2026-01-02T03:04:05Z","version":1,"archived":true}`,
		`{"format":1,"type":"version.update","time":"2026-01-02T03:04:05Z","version":2,"metrics":{"auc":1},"delete_tags":["a"]}`,
		`{"format":1,"type":"card.set","time":"2026-01-02T03:04:05Z","version":9,"digest":"` + testDigest + `"}`,
		`{"format":1,"type":"signature.add","time":"2026-01-02T03:04:05Z","version":2,"digest":"` + testDigest + `"}`,
		`{"format":1,"type":"version.register","time":"2026-01-02T03:04:05Z","version":4,"status":"ready"}`,
		`{"format":1,"type":"model.create","time":"2026-01-02T03:04:05Z"}`,
		`{"format":1,"type":"model.delete","time":"2026-01-02T03:04:05Z"}`,
	} {
		f.Add([]byte(s))
	}
	before, err := base.marshalCheckpoint()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeRecord("m", 7, data)
		if err != nil {
			return
		}
		s := base.clone()
		if err := s.apply(7, r); err == nil {
			if s.seq != 7 {
				t.Fatalf("applied entry left seq at %d", s.seq)
			}
		} else if !errors.Is(err, ErrCorruptEntry) {
			t.Fatalf("refusal %v does not match ErrCorruptEntry", err)
		}
		// Whatever happened to the copy, the published state is untouched.
		if after, _ := base.marshalCheckpoint(); string(after) != string(before) {
			t.Fatalf("applying %s to a copy changed the original state", data)
		}
	})
}
