package dvc

import (
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sextant-ml/sextant/internal/relpath"
	"go.yaml.in/yaml/v3"
)

// File is a .dvc file: the outputs it tracks.
type File struct {
	Outs []Out
	// MD5, Wdir, Frozen, Deps and Meta are carried for round trips and
	// not interpreted. Deps holds the maps of a `dvc import`ed file;
	// Meta any YAML value.
	MD5    string
	Wdir   string
	Frozen bool
	Deps   []map[string]any
	Meta   any
}

// Out is one tracked file or directory.
type Out struct {
	// MD5 is the hex MD5 of a file, or of a directory listing followed by
	// ".dir".
	MD5 string
	// Size is the total number of bytes; nil when the file does not say
	// (DVC writes it for every output it hashed, "size: 0" included).
	Size *int64
	// NFiles is the number of files of a directory; nil when not given.
	NFiles *int
	// IsExec marks an executable file ("isexec: true").
	IsExec bool
	// Hash names the hash scheme; DVC 3 writes "md5".
	Hash string
	// Path is relative to the directory of the .dvc file, slash-separated.
	Path string

	Desc   string
	Type   string
	Labels []string
	Meta   any
	// Cache is nil unless the file says "cache: false"; Push likewise
	// unless it says "push: false". DVC writes neither when true.
	Cache   *bool
	Persist bool
	Remote  string
	Push    *bool
}

// IsDir reports whether o tracks a directory.
func (o Out) IsDir() bool { return strings.HasSuffix(o.MD5, DirSuffix) }

// Parse reads a DVC 3 .dvc file strictly: unknown fields, a missing or
// non-"md5" hash scheme, malformed MD5s, negative sizes and paths that
// leave the .dvc file's directory are errors matching ErrInvalidFile (or
// ErrUnsupported for DVC 2 files).
//
// Scalars are read as DVC reads them (YAML 1.2): path, md5, hash and the
// other string fields take the scalar's text whatever it looks like, so
// "path: no" names the file "no" and "md5: 1234…" is the string of
// digits; booleans are true or false only; sizes are decimal integers.
func Parse(data []byte) (*File, error) {
	f, err := parse(data)
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidFile, err)
	}
	return f, nil
}

// fieldError reports a field of the wrong shape.
func fieldError(key string, n *yaml.Node, want string) error {
	return fmt.Errorf("line %d: %s must be %s", n.Line, key, want)
}

func parse(data []byte) (*File, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not valid UTF-8")
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one YAML document")
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("empty document")
	}
	if err := checkNoAlias(doc.Content[0], 0); err != nil {
		return nil, err
	}
	var f File
	err := fields(doc.Content[0], "file", func(key string, v *yaml.Node) (err error) {
		switch key {
		case "md5":
			f.MD5, err = str(key, v)
		case "wdir":
			f.Wdir, err = str(key, v)
		case "frozen":
			f.Frozen, err = boolean(key, v)
		case "deps":
			if v.Kind != yaml.SequenceNode {
				return fieldError(key, v, "a list")
			}
			for _, d := range v.Content {
				if d.Kind != yaml.MappingNode {
					return fieldError(key, d, "a list of mappings")
				}
				m, err := toValue(d)
				if err != nil {
					return err
				}
				f.Deps = append(f.Deps, m.(map[string]any))
			}
		case "meta":
			f.Meta, err = meta(v)
		case "outs":
			if v.Kind != yaml.SequenceNode {
				return fieldError(key, v, "a list")
			}
			for i, o := range v.Content {
				out, err := parseOut(o)
				if err != nil {
					return fmt.Errorf("out %d: %w", i, err)
				}
				f.Outs = append(f.Outs, out)
			}
		default:
			return fmt.Errorf("line %d: unknown field %q", v.Line, key)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(f.Outs) == 0 {
		return nil, errors.New("no outs")
	}
	seen := make(map[string]bool, len(f.Outs))
	for i, o := range f.Outs {
		if err := o.check(); err != nil {
			return nil, fmt.Errorf("out %d: %w", i, err)
		}
		if seen[o.Path] {
			return nil, fmt.Errorf("path %q listed twice", o.Path)
		}
		seen[o.Path] = true
	}
	return &f, nil
}

// checkNoAlias refuses anchors' aliases (which DVC never writes and which
// could multiply the work of reading) and nesting deeper than 100.
func checkNoAlias(n *yaml.Node, depth int) error {
	if depth > 100 {
		return errors.New("nested too deeply")
	}
	if n.Kind == yaml.AliasNode {
		return fmt.Errorf("line %d: aliases are not read", n.Line)
	}
	for _, c := range n.Content {
		if err := checkNoAlias(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// fields calls fn for each key of the mapping n, refusing duplicate and
// non-scalar keys.
func fields(n *yaml.Node, what string, fn func(key string, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: %s must be a mapping", n.Line, what)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: a key of %s is not a scalar", k.Line, what)
		}
		if seen[k.Value] {
			return fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
		}
		seen[k.Value] = true
		if err := fn(k.Value, v); err != nil {
			return err
		}
	}
	return nil
}

// explicitTag reports a tag written in the file ("!!str 5"); a plain
// scalar's implicit type is decided by resolve12, not by yaml.v3.
func explicitTag(n *yaml.Node) string {
	if n.Style&yaml.TaggedStyle != 0 {
		return n.Tag
	}
	return ""
}

// str reads a string field: any scalar, by its text. DVC's YAML 1.2
// reader takes "y", "no" and "on" as strings, and for md5 it turns an
// integer (all digits) back into its digits.
func str(key string, n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", fieldError(key, n, "a string")
	}
	if t := explicitTag(n); t != "" && t != "!!str" {
		return "", fieldError(key, n, "a string, not "+t)
	}
	return n.Value, nil
}

func plain(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Style&^yaml.TaggedStyle == 0 && explicitTag(n) == ""
}

func boolean(key string, n *yaml.Node) (bool, error) {
	if !plain(n) || resolve12(n.Value) != "bool" {
		return false, fieldError(key, n, "true or false")
	}
	return n.Value[0] == 't' || n.Value[0] == 'T', nil
}

// count reads a size or file count: decimal digits, as DVC writes them.
func count(key string, n *yaml.Node) (int64, error) {
	if !plain(n) || n.Value == "" || strings.Trim(n.Value, "0123456789") != "" {
		return 0, fieldError(key, n, "a non-negative decimal integer")
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, fieldError(key, n, "a non-negative decimal integer")
	}
	return v, nil
}

func parseOut(n *yaml.Node) (Out, error) {
	var o Out
	err := fields(n, "an out", func(key string, v *yaml.Node) (err error) {
		switch key {
		case "md5":
			o.MD5, err = str(key, v)
		case "hash":
			o.Hash, err = str(key, v)
		case "path":
			o.Path, err = str(key, v)
		case "size":
			var c int64
			c, err = count(key, v)
			o.Size = &c
		case "nfiles":
			var c int64
			if c, err = count(key, v); err == nil && c > int64(^uint(0)>>1) {
				err = fieldError(key, v, "a smaller number")
			}
			nf := int(c)
			o.NFiles = &nf
		case "isexec":
			o.IsExec, err = boolean(key, v)
		case "desc":
			o.Desc, err = str(key, v)
		case "type":
			o.Type, err = str(key, v)
		case "remote":
			o.Remote, err = str(key, v)
		case "labels":
			if v.Kind != yaml.SequenceNode {
				return fieldError(key, v, "a list of strings")
			}
			for _, l := range v.Content {
				s, err := str(key, l)
				if err != nil {
					return err
				}
				o.Labels = append(o.Labels, s)
			}
		case "meta":
			o.Meta, err = meta(v)
		case "persist":
			o.Persist, err = boolean(key, v)
		case "cache", "push":
			var b bool
			if b, err = boolean(key, v); err == nil && !b {
				if key == "cache" {
					o.Cache = &b
				} else {
					o.Push = &b
				}
			}
		default:
			return fmt.Errorf("line %d: unknown field %q", v.Line, key)
		}
		return err
	})
	return o, err
}

// toValue converts a node to string, bool, int64, float64, nil, []any or
// map[string]any, typing plain scalars as YAML 1.2 does. A plain integer
// too large for int64 stays a string of its text.
func toValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if t := explicitTag(n); t != "" && t != "!!str" {
			return nil, fmt.Errorf("line %d: tag %s is not read", n.Line, t)
		}
		if !plain(n) {
			return n.Value, nil
		}
		clean := strings.ReplaceAll(n.Value, "_", "")
		switch resolve12(n.Value) {
		case "bool":
			return n.Value[0] == 't' || n.Value[0] == 'T', nil
		case "null":
			return nil, nil
		case "int":
			if v, err := strconv.ParseInt(clean, 0, 64); err == nil {
				return v, nil
			}
			return n.Value, nil
		case "float":
			lower := strings.ToLower(clean)
			switch strings.TrimLeft(lower, "+") {
			case ".inf":
				return math.Inf(1), nil
			case "-.inf":
				return math.Inf(-1), nil
			case ".nan":
				return n.Value, nil // NaN equals nothing; keep its text
			}
			if v, err := strconv.ParseFloat(clean, 64); err == nil && !math.IsInf(v, 0) {
				return v, nil
			}
			return n.Value, nil
		}
		return n.Value, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := toValue(c)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		err := fields(n, "a mapping", func(key string, v *yaml.Node) error {
			val, err := toValue(v)
			m[key] = val
			return err
		})
		return m, err
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

// meta reads a meta field; DVC drops an empty one, so it reads as nil.
func meta(n *yaml.Node) (any, error) {
	v, err := toValue(n)
	if err != nil || isEmpty(v) {
		return nil, err
	}
	return v, nil
}

// check validates what Parse and Marshal require of an out.
func (o Out) check() error {
	if why := pathProblem(strings.TrimSuffix(o.Path, "/")); why != "" {
		return fmt.Errorf("path %q: %s", o.Path, why)
	}
	switch o.Hash {
	case "md5":
	case "":
		return fmt.Errorf("%w: %s has no \"hash: md5\" (a DVC 2 file; re-add it with DVC 3)", ErrUnsupported, o.Path)
	default:
		return fmt.Errorf("%w: %s uses hash %q", ErrUnsupported, o.Path, o.Hash)
	}
	if !isMD5(strings.TrimSuffix(o.MD5, DirSuffix)) {
		return fmt.Errorf("%s has md5 %q", o.Path, o.MD5)
	}
	if (o.Size != nil && *o.Size < 0) || (o.NFiles != nil && *o.NFiles < 0) {
		return fmt.Errorf("%s has a negative size or file count", o.Path)
	}
	if o.NFiles != nil && !o.IsDir() {
		return fmt.Errorf("%s has nfiles but is not a directory", o.Path)
	}
	return nil
}

func (o Out) validate() error {
	if err := o.check(); err != nil {
		if errors.Is(err, ErrUnsupported) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrInvalidFile, err)
	}
	return nil
}

// pathProblem returns why p may not name an output or a listing entry,
// or "". DVC on Linux takes any byte but NUL and "/" in a file name, so
// ':' , '\\', tabs, newlines and other control characters are ordinary
// characters; what is refused is what could leave the directory: an
// empty path, a leading "/", an empty, "." or ".." segment, NUL, and
// invalid UTF-8. On Windows '\\' is a separator and ':' names a drive or
// a stream, so both are refused there.
func pathProblem(p string) string {
	switch {
	case strings.IndexByte(p, 0) >= 0:
		return "NUL character"
	case runtime.GOOS == "windows" && strings.ContainsAny(p, `\:`):
		return "backslash or colon on Windows"
	}
	return relpath.Shape(p)
}

// Marshal writes f byte for byte as DVC 3 writes a new .dvc file (dvc
// add, dvc import): keys in DVC's order (see doc.go) and scalars quoted
// as ruamel.yaml quotes them under YAML 1.2.
func (f *File) Marshal() ([]byte, error) {
	if len(f.Outs) == 0 {
		return nil, fmt.Errorf("%w: no outs", ErrInvalidFile)
	}
	for _, o := range f.Outs {
		if err := o.validate(); err != nil {
			return nil, err
		}
	}
	// dvc/stage/utils.py get_dump: desc, md5, cmd, wdir, frozen, deps,
	// outs, always_changed, meta; empty values are left out.
	root := ymap()
	if f.MD5 != "" {
		root.set("md5", ystr(f.MD5))
	}
	if f.Wdir != "" {
		root.set("wdir", ystr(f.Wdir))
	}
	if f.Frozen {
		root.set("frozen", ybool(true))
	}
	if len(f.Deps) > 0 {
		deps := &ynode{kind: 'q'}
		for _, d := range f.Deps {
			n, err := fromValue(d, depOrder)
			if err != nil {
				return nil, err
			}
			deps.items = append(deps.items, n)
		}
		root.set("deps", deps)
	}
	outs := &ynode{kind: 'q'}
	for _, o := range f.Outs {
		n, err := o.node()
		if err != nil {
			return nil, err
		}
		outs.items = append(outs.items, n)
	}
	root.set("outs", outs)
	if !isEmpty(f.Meta) {
		n, err := fromValue(f.Meta, nil)
		if err != nil {
			return nil, err
		}
		root.set("meta", n)
	}
	out, err := emitYAML(root)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidFile, err)
	}
	return out, nil
}

// node is the mapping DVC writes for an out (dvc/output.py Output.dumpd):
// the hash (md5), the metadata DVC computed (size, nfiles, isexec only
// when true; dvc_data Meta.to_dict), hash: md5, path, then the
// annotations (desc, type, labels, meta; empty ones dropped) and the
// flags that differ from their defaults (cache: false, persist: true,
// remote, push: false).
func (o Out) node() (*ynode, error) {
	n := ymap()
	n.set("md5", ystr(o.MD5))
	if o.Size != nil {
		n.set("size", yint(*o.Size))
	}
	if o.NFiles != nil {
		n.set("nfiles", yint(int64(*o.NFiles)))
	}
	if o.IsExec {
		n.set("isexec", ybool(true))
	}
	n.set("hash", ystr(o.Hash))
	n.set("path", ystr(o.Path))
	if o.Desc != "" {
		n.set("desc", ystr(o.Desc))
	}
	if o.Type != "" {
		n.set("type", ystr(o.Type))
	}
	if len(o.Labels) > 0 {
		l := &ynode{kind: 'q'}
		for _, s := range o.Labels {
			l.items = append(l.items, ystr(s))
		}
		n.set("labels", l)
	}
	if !isEmpty(o.Meta) {
		m, err := fromValue(o.Meta, nil)
		if err != nil {
			return nil, err
		}
		n.set("meta", m)
	}
	if o.Cache != nil && !*o.Cache {
		n.set("cache", ybool(false))
	}
	if o.Persist {
		n.set("persist", ybool(true))
	}
	if o.Remote != "" {
		n.set("remote", ystr(o.Remote))
	}
	if o.Push != nil && !*o.Push {
		n.set("push", ybool(false))
	}
	return n, nil
}

// isEmpty is Python's falsiness for the values DVC drops (funcy compact,
// get_dump's "if value").
func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	case string:
		return v == ""
	case bool:
		return !v
	case int64:
		return v == 0
	case int:
		return v == 0
	case float64:
		return v == 0
	}
	return false
}

// depOrder is the key order of a dependency (Output.dumpd for dvc
// import-url; RepoDependency.dumpd and _dump_def_repo for dvc import);
// other keys follow, sorted.
var depOrder = []string{"md5", "etag", "checksum", "size", "nfiles", "isexec", "version_id", "hash", "path", "repo", "url", "rev", "rev_lock", "config", "remote"}

// fromValue builds the node for a value toValue can return (and int,
// []string). Mapping keys follow order where listed, the rest sorted:
// a Go map keeps no order, so other keys cannot come back as written.
func fromValue(v any, order []string) (*ynode, error) {
	switch v := v.(type) {
	case nil:
		return &ynode{kind: 's', tag: "null"}, nil
	case string:
		return ystr(v), nil
	case bool:
		return ybool(v), nil
	case int:
		return yint(int64(v)), nil
	case int64:
		return yint(v), nil
	case float64:
		return &ynode{kind: 's', tag: "float", text: pyFloat(v)}, nil
	case []string:
		n := &ynode{kind: 'q'}
		for _, s := range v {
			n.items = append(n.items, ystr(s))
		}
		return n, nil
	case []any:
		n := &ynode{kind: 'q'}
		for _, it := range v {
			c, err := fromValue(it, order)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, c)
		}
		return n, nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		rank := func(k string) int {
			if i := slices.Index(order, k); i >= 0 {
				return i
			}
			return len(order)
		}
		slices.SortFunc(keys, func(a, b string) int {
			if ra, rb := rank(a), rank(b); ra != rb {
				return ra - rb
			}
			return strings.Compare(a, b)
		})
		n := ymap()
		for _, k := range keys {
			c, err := fromValue(v[k], order)
			if err != nil {
				return nil, err
			}
			n.set(k, c)
		}
		return n, nil
	}
	return nil, fmt.Errorf("%w: cannot write a %T", ErrInvalidFile, v)
}

func isMD5(s string) bool {
	if len(s) != 2*md5.Size {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
