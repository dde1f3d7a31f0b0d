package registry

import (
	"fmt"
	"strconv"
	"strings"
)

const (
	maxModelName = 128
	maxAlias     = 255
	// Latest is the reserved alias that resolves to the newest version that is
	// neither archived nor deleted.
	Latest = "latest"
)

// ValidateModelName reports whether name can name a model: 1 to 128 characters
// from [A-Za-z0-9._-], starting with a letter or digit. Names become one segment
// of a bucket key, so separators, "..", "@" and "/" are excluded. Errors match
// ErrInvalidName.
func ValidateModelName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrInvalidName)
	}
	if len(name) > maxModelName {
		return fmt.Errorf("%w: %d characters, at most %d", ErrInvalidName, len(name), maxModelName)
	}
	if !isAlnum(name[0]) {
		return fmt.Errorf("%w: %q must start with a letter or digit", ErrInvalidName, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return fmt.Errorf("%w: %q contains %q; use letters, digits, '.', '_' and '-'", ErrInvalidName, name, rune(c))
		}
	}
	if strings.Contains(name, "..") {
		return fmt.Errorf("%w: %q contains \"..\"", ErrInvalidName, name)
	}
	return nil
}

// ValidateAlias applies MLflow's alias rules: not empty, matching ^[\w\-]*$
// (ASCII word characters and '-'), at most 255 characters, and not one of the
// reserved forms "latest" or "v<digits>" (case-insensitive, as MLflow does).
// Errors match ErrInvalidAlias.
func ValidateAlias(alias string) error {
	if alias == "" {
		return fmt.Errorf("%w: empty", ErrInvalidAlias)
	}
	if len(alias) > maxAlias {
		return fmt.Errorf("%w: %d characters, at most %d", ErrInvalidAlias, len(alias), maxAlias)
	}
	for i := 0; i < len(alias); i++ {
		c := alias[i]
		if !isAlnum(c) && c != '_' && c != '-' {
			return fmt.Errorf("%w: %q; aliases may only contain letters, digits, '_' and '-'", ErrInvalidAlias, alias)
		}
	}
	if strings.EqualFold(alias, Latest) {
		return fmt.Errorf("%w: %q is reserved", ErrInvalidAlias, alias)
	}
	if len(alias) > 1 && (alias[0] == 'v' || alias[0] == 'V') && allDigits(alias[1:]) {
		return fmt.Errorf("%w: %q is reserved (aliases of the form v<digits> name versions)", ErrInvalidAlias, alias)
	}
	return nil
}

// versionAlias returns N for "vN"/"VN" with N a positive int, else 0.
func versionAlias(s string) int {
	if len(s) < 2 || (s[0] != 'v' && s[0] != 'V') || !allDigits(s[1:]) {
		return 0
	}
	n, err := strconv.Atoi(s[1:])
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Ref names one version of a model: either by number or through an alias.
type Ref struct {
	Model   string
	Version int    // > 0 when the reference names a number
	Alias   string // set when the reference names an alias ("latest" included)
}

// String formats the reference as ParseRef accepts it.
func (r Ref) String() string {
	if r.Alias != "" {
		return r.Model + "@" + r.Alias
	}
	return r.Model + "/" + strconv.Itoa(r.Version)
}

// ParseRef parses "name/3", "name@alias", "name@latest" and "name@v3" (the
// reserved v<digits> form names version 3), optionally prefixed by MLflow's
// "models:/". It does not allocate on success. Errors match ErrInvalidReference
// (and ErrInvalidName or ErrInvalidAlias for the part at fault).
func ParseRef(s string) (Ref, error) {
	s = strings.TrimPrefix(s, "models:/")
	if i := strings.IndexByte(s, '@'); i >= 0 {
		name, alias := s[:i], s[i+1:]
		if err := ValidateModelName(name); err != nil {
			return Ref{}, fmt.Errorf("%w %q: %w", ErrInvalidReference, s, err)
		}
		if n := versionAlias(alias); n > 0 {
			return Ref{Model: name, Version: n}, nil
		}
		if alias != Latest {
			if err := ValidateAlias(alias); err != nil {
				return Ref{}, fmt.Errorf("%w %q: %w", ErrInvalidReference, s, err)
			}
		}
		return Ref{Model: name, Alias: alias}, nil
	}
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		name, num := s[:i], s[i+1:]
		if err := ValidateModelName(name); err != nil {
			return Ref{}, fmt.Errorf("%w %q: %w", ErrInvalidReference, s, err)
		}
		if num == Latest {
			return Ref{Model: name, Alias: Latest}, nil
		}
		n, err := strconv.Atoi(num)
		if err != nil || n <= 0 || !allDigits(num) {
			return Ref{}, fmt.Errorf("%w %q: version must be a positive integer", ErrInvalidReference, s)
		}
		return Ref{Model: name, Version: n}, nil
	}
	return Ref{}, fmt.Errorf("%w %q: want name/N, name@alias or name@latest", ErrInvalidReference, s)
}
