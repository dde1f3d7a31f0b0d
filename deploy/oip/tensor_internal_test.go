package oip

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzUnquote checks the BYTES decoder against encoding/json on every
// JSON string: escapes, surrogate pairs, lone surrogates and invalid
// UTF-8 must come out as encoding/json reads them.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{
		`"plain"`, `""`, `"h\u00e9llo"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\ude00\ud83d"`,
		`"\ud83d\u0041"`, `"\"\\\/\b\f\n\r\t"`, "\"\xff\xfe\"", "\"\xed\xa0\x80\"", `"\u0000"`, "\"é\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, tok []byte) {
		// The scanner hands over a string token alone, quotes included.
		if !json.Valid(tok) || len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
			return
		}
		var want string
		if err := json.Unmarshal(tok, &want); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		got, err := unquote([]byte("prefix"), tok)
		if err != nil {
			t.Fatalf("unquote(%q): %v", tok, err)
		}
		if !bytes.Equal(got, []byte("prefix"+want)) {
			t.Fatalf("unquote(%q) = %q, want %q", tok, got[len("prefix"):], want)
		}
	})
}
