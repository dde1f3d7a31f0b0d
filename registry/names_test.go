package registry

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateModelName(t *testing.T) {
	good := []string{"fraud", "fraud-detector", "a", "A.b_c-9", "9lives", strings.Repeat("m", 128)}
	for _, name := range good {
		t.Run("good/"+name[:min(len(name), 20)], func(t *testing.T) {
			if err := ValidateModelName(name); err != nil {
				t.Fatalf("ValidateModelName(%q) = %v, want nil", name, err)
			}
		})
	}
	bad := []string{"", ".hidden", "-x", "_x", "a/b", "a@b", "a..b", "a b", "a\x00b", "ü", "a%2fb", "a:b", `a\b`, strings.Repeat("m", 129)}
	for _, name := range bad {
		t.Run("bad/"+name[:min(len(name), 20)], func(t *testing.T) {
			if err := ValidateModelName(name); !errors.Is(err, ErrInvalidName) {
				t.Fatalf("ValidateModelName(%q) = %v, want ErrInvalidName", name, err)
			}
		})
	}
}

func TestValidateAlias(t *testing.T) {
	good := []string{"production", "champion", "stag-ing_2", "v", "v1a", "version1", "latest2", "x", strings.Repeat("a", 255)}
	for _, a := range good {
		t.Run("good/"+a[:min(len(a), 20)], func(t *testing.T) {
			if err := ValidateAlias(a); err != nil {
				t.Fatalf("ValidateAlias(%q) = %v, want nil", a, err)
			}
		})
	}
	bad := []string{"", "latest", "LATEST", "Latest", "v1", "V12", "v0", "a b", "a.b", "a/b", "a@b", "prod!", "é", strings.Repeat("a", 256)}
	for _, a := range bad {
		t.Run("bad/"+a[:min(len(a), 20)], func(t *testing.T) {
			if err := ValidateAlias(a); !errors.Is(err, ErrInvalidAlias) {
				t.Fatalf("ValidateAlias(%q) = %v, want ErrInvalidAlias", a, err)
			}
		})
	}
}

func TestParseRef(t *testing.T) {
	tests := []struct {
		in   string
		want Ref
	}{
		{"fraud/3", Ref{Model: "fraud", Version: 3}},
		{"fraud@production", Ref{Model: "fraud", Alias: "production"}},
		{"fraud@latest", Ref{Model: "fraud", Alias: "latest"}},
		{"fraud/latest", Ref{Model: "fraud", Alias: "latest"}},
		{"fraud@v7", Ref{Model: "fraud", Version: 7}},
		{"models:/fraud@champion", Ref{Model: "fraud", Alias: "champion"}},
		{"models:/fraud/12", Ref{Model: "fraud", Version: 12}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRef(tt.in)
			if err != nil {
				t.Fatalf("ParseRef(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseRef(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
	for _, in := range []string{"", "fraud", "fraud/", "fraud/0", "fraud/-1", "fraud/+1", "fraud/1x", "fraud@", "fraud@a b",
		"fraud@LATEST", "/3", "@prod", "a/b/3", "../x/3", "fraud/99999999999999999999"} {
		t.Run("bad/"+in, func(t *testing.T) {
			if _, err := ParseRef(in); !errors.Is(err, ErrInvalidReference) {
				t.Fatalf("ParseRef(%q) = %v, want ErrInvalidReference", in, err)
			}
		})
	}
}

func TestParseRefDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ParseRef("fraud@production"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("ParseRef allocates %v times, want 0", allocs)
	}
}
