package filter

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testSchema knows name (text), n (number), ok (bool), at (time) and
// tags.<key> (text).
func testSchema(f string) (string, Kind, bool) {
	if pre, key, ok := strings.Cut(f, "."); ok {
		if strings.ToLower(pre) != "tags" || key == "" {
			return "", 0, false
		}
		return "tags." + key, Text, true
	}
	switch strings.ToLower(f) {
	case "name":
		return "name", Text, true
	case "n":
		return "n", Number, true
	case "ok":
		return "ok", Bool, true
	case "at":
		return "at", Time, true
	}
	return "", 0, false
}

type rec struct {
	name string
	n    float64
	ok   bool
	at   time.Time
	tags map[string]string

	aliases []string
}

func (r rec) Text(f string) (TextValue, bool) {
	if f == "name" {
		return One(r.name), true
	}
	if f == "aliases" {
		return Many(r.aliases), true
	}
	if k, ok := strings.CutPrefix(f, "tags."); ok {
		v, ok := r.tags[k]
		return One(v), ok
	}
	return TextValue{}, false
}
func (r rec) Number(string) (float64, bool) { return r.n, true }
func (r rec) Bool(string) (bool, bool)      { return r.ok, true }
func (r rec) Time(string) (time.Time, bool) { return r.at, true }

// recRef is a rec behind a pointer.
type recRef struct{ *rec }

func recs() []rec {
	t0 := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	return []rec{
		{name: "Alpha", n: 1, ok: true, at: t0, tags: map[string]string{"my key": "x", "mlflow.runName": "a"}},
		{name: "beta", n: 2, at: t0.Add(48 * time.Hour), tags: map[string]string{"k`q": "y"}},
		{name: "gamma", n: 3, ok: true, at: t0.Add(96 * time.Hour)},
	}
}

func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		filter string
		want   []string
	}{
		{"", []string{"Alpha", "beta", "gamma"}},
		{"n >= 2", []string{"beta", "gamma"}},
		{"ok = true and not n = 3", []string{"Alpha"}},
		{"at > '2026-01-03'", []string{"beta", "gamma"}},
		{"name like 'a%'", nil},
		{"name ilike 'a%'", []string{"Alpha"}},
		{"name ILIKE '%A'", []string{"Alpha", "beta", "gamma"}},
		{"tags.`my key` = 'x'", []string{"Alpha"}},
		{`tags."my key" = 'x'`, []string{"Alpha"}},
		{"tags.'my key' != 'z'", []string{"Alpha"}},
		{"tags.mlflow.runName = 'a'", []string{"Alpha"}},
		{"tags.`k``q` = 'y'", []string{"beta"}},
		{"n = 1 or n = 3", []string{"Alpha", "gamma"}},
	} {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := Parse(tt.filter, testSchema)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs() {
				if f.Match(r) {
					got = append(got, r.name)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("matched (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"NAME = 'a' AND n > 1e3":               "(name = 'a' and n > 1000)",
		"tags.`my key` = 'it''s'":              "tags.`my key` = 'it''s'",
		`tags."k` + "`" + `" = 'v'`:            "tags.`k``` = 'v'",
		"not (ok = TRUE or at < '2026-01-01')": "not (ok = true or at < '2026-01-01')",
		"tags.a.b ilike '%x'":                  "tags.a.b ilike '%x'",
	} {
		f, err := Parse(in, testSchema)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if got := f.String(); got != want {
			t.Errorf("Parse(%q).String() = %q, want %q", in, got, want)
		}
		if _, err := Parse(f.String(), testSchema); err != nil {
			t.Errorf("canonical %q does not parse: %v", f.String(), err)
		}
	}
}

func TestFields(t *testing.T) {
	f, err := Parse("n > 1 and (tags.x = 'a' or n < 0) and name = 'q'", testSchema)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"n", "tags.x", "name"}, f.Fields()); diff != "" {
		t.Fatalf("Fields (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct {
		s      string
		offset int
	}{
		{"n >", 3}, {"bogus = 1", 0}, {"name = 'x", 7}, {"tags.`x = 'a'", 5}, {"n like '%'", 7},
		{"ok > true", 5}, {"at = 5", 5}, {"n = 'x'", 4}, {"name = 1", 7}, {"(n = 1", 6}, {"n ! 1", 2},
		{strings.Repeat("x", MaxLen+1), -1},
	} {
		t.Run(tt.s[:min(len(tt.s), 30)], func(t *testing.T) {
			_, err := Parse(tt.s, testSchema)
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Parse(%q) = %v, want *Error", tt.s, err)
			}
			if fe.Offset != tt.offset {
				t.Fatalf("offset %d, want %d (%v)", fe.Offset, tt.offset, err)
			}
		})
	}
}

func TestLike(t *testing.T) {
	for _, tt := range []struct {
		s, pat string
		want   bool
	}{
		{"abc", "abc", true}, {"abc", "a%", true}, {"abc", "%c", true}, {"abc", "%b%", true}, {"abc", "a_c", true},
		{"abc", "a_", false}, {"", "%", true}, {"", "_", false}, {"aaa", "%a%a%a%", true}, {"aa", "%a%a%a%", false},
		{"abcbd", "a%bd", true}, {"abc", "", false},
	} {
		if got := Like(tt.s, tt.pat); got != tt.want {
			t.Errorf("Like(%q, %q) = %v, want %v", tt.s, tt.pat, got, tt.want)
		}
	}
}

// FuzzParse: no panic, errors are *Error, and an accepted filter's canonical
// form is stable and gives the same verdicts.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"n > 1 and tags.x = 'a'", "not (ok = true or name != 'b')", "at >= '2026-01-02T00:00:00Z'",
		"name ilike '%A_'", "tags.`a b` = 'c'", `tags."q""q" = 'x'`, "((n = -1.5e-3))", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := Parse(s, testSchema)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not *Error", err)
			}
			return
		}
		canon := flt.String()
		again, err := Parse(canon, testSchema)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form not stable: %q then %q", canon, again.String())
		}
		for _, r := range recs() {
			if flt.Match(r) != again.Match(r) {
				t.Fatalf("%q and %q disagree on %s", s, canon, r.name)
			}
		}
	})
}

// TestMatchAllocatesNothing evaluates text, number, time and several-valued
// comparisons over subjects without a single allocation per subject, so a
// search that scans many versions costs no garbage per version.
func TestMatchAllocatesNothing(t *testing.T) {
	schema := func(f string) (string, Kind, bool) {
		switch {
		case f == "name" || f == "aliases" || strings.HasPrefix(f, "tags."):
			return f, Text, true
		case f == "n":
			return f, Number, true
		case f == "at":
			return f, Time, true
		case f == "ok":
			return f, Bool, true
		}
		return "", 0, false
	}
	f, err := Parse("name ilike 'aL%' and name like 'A%' and tags.team = 'x' and n > 0.5 and aliases != 'old' and at >= '2026-01-01'", schema)
	if err != nil {
		t.Fatal(err)
	}
	r := rec{name: "Alpha", n: 1, tags: map[string]string{"team": "x"}, aliases: []string{"prod", "champion"},
		at: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	// A subject of one pointer, as registry's and tracking's are, is held
	// in the interface without boxing.
	s := recRef{&r}
	if !f.Match(s) {
		t.Fatal("the subject does not match")
	}
	if n := testing.AllocsPerRun(200, func() { f.Match(s) }); n != 0 {
		t.Fatalf("Match allocates %v times per subject, want 0", n)
	}
}

func TestCompareText(t *testing.T) {
	for _, c := range []struct {
		a, b TextValue
		want int
	}{
		{One("a"), One("b"), -1},
		{One("b"), One("b"), 0},
		{Many([]string{"a", "b"}), Many([]string{"a"}), 1},
		{Many(nil), One(""), -1},
		{Many([]string{"x"}), One("x"), 0},
	} {
		if got := CompareText(c.a, c.b); (got > 0) != (c.want > 0) || (got < 0) != (c.want < 0) {
			t.Errorf("CompareText(%v, %v) = %d, want sign of %d", c.a, c.b, got, c.want)
		}
	}
}

// TestILikeFoldsWithoutCopying checks the byte-folding ilike against the
// definition (Like of both sides lower-cased) on ASCII and other text, and
// that a '%' in the text never stops a pattern's '%' from matching.
func TestILikeFoldsWithoutCopying(t *testing.T) {
	texts := []string{"", "Alpha", "ALPHA-2", "a%b", "%b", "Straße", "ÉTÉ", "x_y"}
	pats := []string{"", "%", "al%", "AL_HA%", "%B", "a\\%b", "stra%", "été", "x_y", "%%", "_"}
	for _, s := range texts {
		for _, p := range pats {
			if got, want := ilike(s, p), Like(strings.ToLower(s), strings.ToLower(p)); got != want {
				t.Errorf("ilike(%q, %q) = %v, want %v", s, p, got, want)
			}
		}
	}
	if !Like("%b", "%") || !Like("a%b", "a%") {
		t.Error("a '%' in the text stopped the pattern's '%' from matching")
	}
	if n := testing.AllocsPerRun(100, func() { ilike("ALPHA-2", "al%") }); n != 0 {
		t.Errorf("ilike on ASCII allocates %v times", n)
	}
}
