package rbac

import (
	"math/rand/v2"
	"path"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"fraud", "fraud", true},
		{"fraud", "fraud2", false},
		{"fraud-*", "fraud-v2", true},
		{"fraud-*", "fraud-", true},
		{"fraud-*", "fraud", false},
		{"fraud-*", "fraud-v2/3", false},
		{"*", "anything", true},
		{"*", "a/b", false},
		{"*/*", "a/b", true},
		{"f?aud", "fraud", true},
		{"f?aud", "fraaud", false},
		{"*a*b*", "xxaxxbxx", true},
		{"*a*b*", "xxbxxaxx", false},
		{"fraud/**", "fraud", true},
		{"fraud/**", "fraud/3", true},
		{"fraud/**", "fraud/a/b", true},
		{"fraud/**", "fraudx/3", false},
		{"**", "a", true},
		{"**", "a/b/c", true},
		{"**/c", "c", true},
		{"**/c", "a/b/c", true},
		{"**/c", "a/b/cc", false},
		{"a/**/c", "a/c", true},
		{"a/**/c", "a/x/y/c", true},
		{"a/**/c", "a/x/y/d", false},
		{"**/b/**/d", "a/b/c/d", true},
		{"**/b/**/d", "a/c/d", false},
		{"m*/*/v?", "models/x/v1", true},
		// Invalid inputs never match.
		{"a**", "a", false},
		{"a//b", "a//b", false},
		{"a", "../a", false},
		{"[ab]", "a", false},
		{"*", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.name, func(t *testing.T) {
			if got := Match(tt.pattern, tt.name); got != tt.want {
				t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
			}
			if got := naiveMatch(tt.pattern, tt.name); got != tt.want {
				t.Errorf("naiveMatch(%q, %q) = %v, want %v (the reference itself is wrong)", tt.pattern, tt.name, got, tt.want)
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	long := strings.Repeat("a", 254)
	tests := []struct {
		s          string
		name, glob bool
	}{
		{"fraud-detector", true, true},
		{"fraud_detector.v2/3", true, true},
		{"a*", false, true},
		{"a/**/b", false, true},
		{"a**", false, false},
		{"***", false, false},
		{"", false, false},
		{"/a", false, false},
		{"a/", false, false},
		{"a/./b", false, false},
		{"..", false, false},
		{"a b", false, false},
		{"a:b", false, false},
		{long, false, false},
		{long[:253], true, true},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			if got := ValidName(tt.s); got != tt.name {
				t.Errorf("ValidName(%q) = %v, want %v", tt.s, got, tt.name)
			}
			if got := ValidPattern(tt.s); got != tt.glob {
				t.Errorf("ValidPattern(%q) = %v, want %v", tt.s, got, tt.glob)
			}
		})
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		q, p string
		want bool
	}{
		{"a", "a", true},
		{"*", "a", true},
		{"*", "a*", true},
		{"*", "a/b", false},
		{"**", "a/b*/**", true},
		{"a/**", "a/b/*", true},
		{"a/**", "b/*", false},
		{"a/*", "a/**", false},
		{"fraud-*", "fraud-v?", false}, // true in fact; refused conservatively
		{"*/b", "?/b", true},
		{"a?", "ab", true},
		{"a?", "a*", false},
	}
	for _, tt := range tests {
		t.Run(tt.q+"⊇"+tt.p, func(t *testing.T) {
			if got := covers(tt.q, tt.p); got != tt.want {
				t.Errorf("covers(%q, %q) = %v, want %v", tt.q, tt.p, got, tt.want)
			}
		})
	}
}

// naiveMatch is a plain reference: split both on "/", match segments with
// path.Match, and let "**" take any number of segments by recursion.
func naiveMatch(pattern, name string) bool {
	if !ValidPattern(pattern) || !ValidName(name) {
		return false
	}
	var rec func(p, n []string) bool
	rec = func(p, n []string) bool {
		if len(p) == 0 {
			return len(n) == 0
		}
		if p[0] == "**" {
			for i := 0; i <= len(n); i++ {
				if rec(p[1:], n[i:]) {
					return true
				}
			}
			return false
		}
		if len(n) == 0 {
			return false
		}
		ok, err := path.Match(p[0], n[0])
		return err == nil && ok && rec(p[1:], n[1:])
	}
	return rec(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func FuzzMatch(f *testing.F) {
	seeds := [][2]string{
		{"fraud-*", "fraud-v2"}, {"a/**/c", "a/x/y/c"}, {"**", "a"}, {"*a*b?", "xaxbc"},
		{"?", "a"}, {"**/**/x", "a/b/x"}, {"a**", "a"}, {"a//b", "a/b"}, {"*", ""},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if strings.Count(pattern, "**") > 6 {
			return // keep the exponential reference fast
		}
		got, want := Match(pattern, name), naiveMatch(pattern, name)
		if got != want {
			t.Fatalf("Match(%q, %q) = %v, reference %v", pattern, name, got, want)
		}
		// covers must never claim an inclusion a concrete name refutes.
		if ValidPattern(pattern) && ValidName(name) && covers(pattern, name) != got {
			t.Fatalf("covers(%q, literal %q) = %v, Match %v", pattern, name, !got, got)
		}
	})
}

func TestMatchAllocs(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		Match("a/**/m*-?/v*", "a/b/c/model-x/v12")
	})
	if allocs != 0 {
		t.Errorf("Match allocates %v times per call, want 0", allocs)
	}
}

func TestNameBytes(t *testing.T) {
	for c := range 256 {
		b := byte(c)
		want := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '-'
		if got := nameByte(b); got != want {
			t.Errorf("nameByte(%q) = %v, want %v", b, got, want)
		}
	}
}

// TestCoversIsSound checks the one promise escalation prevention needs:
// when covers(q, p) holds, every name p matches, q matches too.
func TestCoversIsSound(t *testing.T) {
	segs := []string{"a", "b", "ab", "*", "a*", "?", "**", "*b", "a?"}
	var names []string
	for _, x := range []string{"a", "b", "ab", "ba", "abb"} {
		names = append(names, x)
		for _, y := range []string{"a", "b", "ab"} {
			names = append(names, x+"/"+y, x+"/"+y+"/"+x)
		}
	}
	pattern := func(r *rand.Rand) string {
		n := 1 + r.IntN(3)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = segs[r.IntN(len(segs))]
		}
		return strings.Join(parts, "/")
	}
	r := rand.New(rand.NewPCG(5, 6))
	held := 0
	for range 20000 {
		q, p := pattern(r), pattern(r)
		if !covers(q, p) {
			continue
		}
		held++
		for _, n := range names {
			if match(p, n) && !match(q, n) {
				t.Fatalf("covers(%q, %q) but %q matches only the second", q, p, n)
			}
		}
	}
	if held < 1000 {
		t.Errorf("only %d covering pairs generated", held)
	}
}
