package registry

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Filter is a parsed search filter. The language, close to MLflow's search
// syntax:
//
//	filter  = or
//	or      = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" unary | "(" or ")" | compare
//	compare = field op value
//	op      = "=" | "!=" | "<" | "<=" | ">" | ">=" | "like"
//	value   = 'text' | "text" | number | true | false
//
// Fields: name, version, status, author, description, alias, archived,
// created, updated, run_id, source, code_revision, dataset, tags.<key>,
// params.<key>, metrics.<key>. Keywords are case-insensitive. Metrics and
// version compare as numbers; created and updated as times (a quoted RFC 3339
// time or date); the rest as text, where "like" matches SQL-style patterns
// with % (any run) and _ (one character). alias and dataset compare with each of the
// version's aliases or dataset digests: = is true when one matches, != when none does. A comparison on a
// missing tag, param or metric is false. For models, the fields are name,
// description, owner, archived, created, updated, alias (any alias of the
// model), version (the latest version number) and tags.<key>.
type Filter struct {
	root node
	src  string
}

type node interface{ format(b *strings.Builder) }

type binNode struct {
	and         bool
	left, right node
}

type notNode struct{ x node }

type cmpNode struct {
	field string // canonical: name, tags.<key>, ...
	op    string
	val   value
}

type value struct {
	kind valueKind
	str  string
	num  float64
	t    time.Time
}

type valueKind int

const (
	kindString valueKind = iota
	kindNumber
	kindBool
)

const (
	maxFilterLen   = 4096
	maxFilterDepth = 64
)

// ParseFilter parses a filter; an empty or all-space filter matches
// everything. Errors match ErrInvalidFilter and give the offending position.
func ParseFilter(s string) (*Filter, error) {
	if len(s) > maxFilterLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrInvalidFilter, maxFilterLen)
	}
	p := &parser{src: s}
	if err := p.lex(); err != nil {
		return nil, err
	}
	if len(p.toks) == 0 {
		return &Filter{}, nil
	}
	n, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, p.errorf("unexpected %q", p.toks[p.pos].text)
	}
	f := &Filter{root: n}
	f.src = f.String()
	return f, nil
}

// String returns the filter in canonical form; parsing it gives the same filter.
func (f *Filter) String() string {
	if f == nil || f.root == nil {
		return ""
	}
	var b strings.Builder
	f.root.format(&b)
	return b.String()
}

func (n *binNode) format(b *strings.Builder) {
	b.WriteByte('(')
	n.left.format(b)
	if n.and {
		b.WriteString(" and ")
	} else {
		b.WriteString(" or ")
	}
	n.right.format(b)
	b.WriteByte(')')
}

func (n *notNode) format(b *strings.Builder) {
	b.WriteString("not ")
	n.x.format(b)
}

func (n *cmpNode) format(b *strings.Builder) {
	b.WriteString(n.field)
	b.WriteByte(' ')
	b.WriteString(n.op)
	b.WriteByte(' ')
	switch n.val.kind {
	case kindNumber:
		b.WriteString(strconv.FormatFloat(n.val.num, 'g', -1, 64))
	case kindBool:
		b.WriteString(n.val.str)
	default:
		b.WriteString(quote(n.val.str))
	}
}

// quote writes s in single quotes, doubling any quote inside, as SQL does.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

type tokKind int

const (
	tokWord tokKind = iota
	tokString
	tokNumber
	tokOp
	tokLParen
	tokRParen
)

type token struct {
	kind tokKind
	text string // words as written; strings unquoted
	pos  int
}

type parser struct {
	src  string
	toks []token
	pos  int
}

func (p *parser) errorf(format string, args ...any) error {
	at := len(p.src)
	if p.pos < len(p.toks) {
		at = p.toks[p.pos].pos
	}
	return fmt.Errorf("%w: at offset %d: %s", ErrInvalidFilter, at, fmt.Sprintf(format, args...))
}

func isWordByte(c byte) bool {
	return isAlnum(c) || c == '_' || c == '.' || c == '-'
}

func (p *parser) lex() error {
	s := p.src
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			p.toks = append(p.toks, token{tokLParen, "(", i})
			i++
		case c == ')':
			p.toks = append(p.toks, token{tokRParen, ")", i})
			i++
		case c == '=':
			p.toks = append(p.toks, token{tokOp, "=", i})
			i++
		case c == '!' || c == '<' || c == '>':
			if i+1 < len(s) && s[i+1] == '=' {
				p.toks = append(p.toks, token{tokOp, s[i : i+2], i})
				i += 2
			} else if c == '!' {
				return fmt.Errorf("%w: at offset %d: '!' must be followed by '='", ErrInvalidFilter, i)
			} else {
				p.toks = append(p.toks, token{tokOp, s[i : i+1], i})
				i++
			}
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return fmt.Errorf("%w: at offset %d: unterminated string", ErrInvalidFilter, i)
				}
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c { // doubled quote
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			p.toks = append(p.toks, token{tokString, b.String(), i})
			i = j + 1
		case c == '-' || c == '+' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(s) && (isAlnum(s[j]) || s[j] == '.' || (s[j] == '-' || s[j] == '+') && (s[j-1] == 'e' || s[j-1] == 'E')) {
				j++
			}
			p.toks = append(p.toks, token{tokNumber, s[i:j], i})
			i = j
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			p.toks = append(p.toks, token{tokWord, s[i:j], i})
			i = j
		default:
			return fmt.Errorf("%w: at offset %d: unexpected character %q", ErrInvalidFilter, i, rune(c))
		}
	}
	return nil
}

func (p *parser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == tokWord && strings.EqualFold(p.toks[p.pos].text, w)
}

func (p *parser) or(depth int) (node, error) {
	left, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.peekWord("or") {
		p.pos++
		right, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		left = &binNode{left: left, right: right}
	}
	return left, nil
}

func (p *parser) and(depth int) (node, error) {
	left, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for p.peekWord("and") {
		p.pos++
		right, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		left = &binNode{and: true, left: left, right: right}
	}
	return left, nil
}

func (p *parser) unary(depth int) (node, error) {
	if depth > maxFilterDepth {
		return nil, p.errorf("nested deeper than %d", maxFilterDepth)
	}
	if p.pos >= len(p.toks) {
		return nil, p.errorf("unexpected end of filter")
	}
	if p.peekWord("not") {
		p.pos++
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &notNode{x: x}, nil
	}
	if p.toks[p.pos].kind == tokLParen {
		p.pos++
		x, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.toks) || p.toks[p.pos].kind != tokRParen {
			return nil, p.errorf("missing ')'")
		}
		p.pos++
		return x, nil
	}
	return p.compare()
}

var textFields = []string{"name", "status", "author", "description", "alias", "run_id", "source", "code_revision", "dataset", "owner"}

func (p *parser) compare() (node, error) {
	t := p.toks[p.pos]
	if t.kind != tokWord {
		return nil, p.errorf("expected a field, got %q", t.text)
	}
	field := strings.ToLower(t.text)
	kind := kindString
	if pre, key, ok := strings.Cut(t.text, "."); ok {
		pre = strings.ToLower(pre)
		if pre != "tags" && pre != "params" && pre != "metrics" || key == "" {
			return nil, p.errorf("unknown field %q", t.text)
		}
		field = pre + "." + key // keys keep their case
		if pre == "metrics" {
			kind = kindNumber
		}
	} else {
		switch {
		case field == "version":
			kind = kindNumber
		case field == "archived":
			kind = kindBool
		case field == "created" || field == "updated":
		case slices.Contains(textFields, field):
		default:
			return nil, p.errorf("unknown field %q", t.text)
		}
	}
	p.pos++
	if p.pos >= len(p.toks) {
		return nil, p.errorf("expected an operator after %s", field)
	}
	opTok := p.toks[p.pos]
	op := opTok.text
	switch {
	case opTok.kind == tokOp:
	case opTok.kind == tokWord && strings.EqualFold(op, "like"):
		op = "like"
	default:
		return nil, p.errorf("expected an operator, got %q", op)
	}
	p.pos++
	if p.pos >= len(p.toks) {
		return nil, p.errorf("expected a value after %s %s", field, op)
	}
	vt := p.toks[p.pos]
	n := &cmpNode{field: field, op: op}
	isTime := field == "created" || field == "updated"
	switch {
	case kind == kindNumber:
		if vt.kind != tokNumber {
			return nil, p.errorf("%s compares numbers, got %q", field, vt.text)
		}
		f, err := strconv.ParseFloat(vt.text, 64)
		if err != nil || f != f || f > 1.7976931348623157e308 || f < -1.7976931348623157e308 {
			return nil, p.errorf("bad number %q", vt.text)
		}
		n.val = value{kind: kindNumber, num: f}
		if op == "like" {
			return nil, p.errorf("like needs a text field, not %s", field)
		}
	case kind == kindBool:
		if vt.kind != tokWord || !strings.EqualFold(vt.text, "true") && !strings.EqualFold(vt.text, "false") {
			return nil, p.errorf("%s compares with true or false, got %q", field, vt.text)
		}
		if op != "=" && op != "!=" {
			return nil, p.errorf("%s supports = and != only", field)
		}
		n.val = value{kind: kindBool, str: strings.ToLower(vt.text)}
	case isTime:
		if vt.kind != tokString {
			return nil, p.errorf("%s compares with a quoted time, got %q", field, vt.text)
		}
		tm, err := parseTime(vt.text)
		if err != nil {
			return nil, p.errorf("%s: %v", field, err)
		}
		if op == "like" {
			return nil, p.errorf("like needs a text field, not %s", field)
		}
		n.val = value{kind: kindString, str: vt.text, t: tm}
	default:
		if vt.kind != tokString {
			return nil, p.errorf("%s compares with a quoted string, got %q", field, vt.text)
		}
		n.val = value{kind: kindString, str: vt.text}
	}
	p.pos++
	return n, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time or a date", s)
}

// subject is what a filter evaluates: a version or a model.
type subject interface {
	text(field string) ([]string, bool)
	number(field string) (float64, bool)
	when(field string) time.Time
	flag(field string) bool
}

// modelFields are the fields a model filter may use.
var modelFields = []string{"name", "description", "owner", "author", "archived", "created", "updated", "alias", "version"}

// forModels checks that the filter only uses fields models have.
func (f *Filter) forModels() error {
	var bad string
	var walk func(n node)
	walk = func(n node) {
		switch n := n.(type) {
		case *binNode:
			walk(n.left)
			walk(n.right)
		case *notNode:
			walk(n.x)
		case *cmpNode:
			if !slices.Contains(modelFields, n.field) && !strings.HasPrefix(n.field, "tags.") && bad == "" {
				bad = n.field
			}
		}
	}
	if f != nil && f.root != nil {
		walk(f.root)
	}
	if bad != "" {
		return fmt.Errorf("%w: models have no field %s", ErrInvalidFilter, bad)
	}
	return nil
}

// Match reports whether v (with its Aliases filled in) passes the filter.
func (f *Filter) Match(v *Version) bool {
	if f == nil || f.root == nil {
		return true
	}
	return eval(f.root, versionSubject{v})
}

// MatchModel reports whether m passes the filter.
func (f *Filter) MatchModel(m *Model) bool {
	if f == nil || f.root == nil {
		return true
	}
	return eval(f.root, modelSubject{m})
}

func eval(n node, s subject) bool {
	switch n := n.(type) {
	case *binNode:
		if n.and {
			return eval(n.left, s) && eval(n.right, s)
		}
		return eval(n.left, s) || eval(n.right, s)
	case *notNode:
		return !eval(n.x, s)
	case *cmpNode:
		return n.match(s)
	}
	return false
}

func (n *cmpNode) match(s subject) bool {
	switch {
	case n.val.kind == kindNumber:
		x, ok := s.number(n.field)
		return ok && compareOrdered(x, n.val.num, n.op)
	case n.val.kind == kindBool:
		return (s.flag(n.field) == (n.val.str == "true")) == (n.op == "=")
	case n.field == "created" || n.field == "updated":
		return compareOrdered(s.when(n.field).UnixNano(), n.val.t.UnixNano(), n.op)
	}
	vals, ok := s.text(n.field)
	if !ok {
		return false
	}
	if n.op == "!=" {
		return !slices.Contains(vals, n.val.str)
	}
	for _, x := range vals {
		if n.op == "like" && like(x, n.val.str) || n.op != "like" && compareOrdered(x, n.val.str, n.op) {
			return true
		}
	}
	return false
}

func compareOrdered[T int64 | float64 | string](a, b T, op string) bool {
	switch op {
	case "=":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	}
	return false
}

// like matches SQL LIKE patterns: % any run, _ one byte. Iterative with one
// backtrack point, so it is linear-ish and cannot blow up.
func like(s, pat string) bool {
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pat) && (pat[pi] == '_' || pat[pi] == s[si]):
			si++
			pi++
		case pi < len(pat) && pat[pi] == '%':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pat) && pat[pi] == '%' {
		pi++
	}
	return pi == len(pat)
}

type versionSubject struct{ v *Version }

func (s versionSubject) text(field string) ([]string, bool) {
	v := s.v
	switch field {
	case "name":
		return []string{v.Model}, true
	case "status":
		return []string{string(v.Status)}, true
	case "author":
		return []string{v.Author}, true
	case "description":
		return []string{v.Description}, true
	case "alias":
		return v.Aliases, true
	case "run_id":
		return []string{v.Lineage.RunID}, true
	case "source":
		return []string{v.Lineage.Source}, true
	case "code_revision":
		return []string{v.Lineage.CodeRevision}, true
	case "dataset":
		return v.Lineage.Datasets, true
	}
	if key, ok := strings.CutPrefix(field, "tags."); ok {
		x, ok := v.Tags[key]
		return []string{x}, ok
	}
	if key, ok := strings.CutPrefix(field, "params."); ok {
		x, ok := v.Params[key]
		return []string{x}, ok
	}
	return nil, false
}

func (s versionSubject) number(field string) (float64, bool) {
	if field == "version" {
		return float64(s.v.Number), true
	}
	if key, ok := strings.CutPrefix(field, "metrics."); ok {
		x, ok := s.v.Metrics[key]
		return x, ok
	}
	return 0, false
}

func (s versionSubject) when(field string) time.Time {
	if field == "updated" {
		return s.v.Updated
	}
	return s.v.Created
}

func (s versionSubject) flag(string) bool { return s.v.Archived }

type modelSubject struct{ m *Model }

func (s modelSubject) text(field string) ([]string, bool) {
	m := s.m
	switch field {
	case "name":
		return []string{m.Name}, true
	case "description":
		return []string{m.Description}, true
	case "owner", "author":
		return []string{m.Owner}, true
	case "alias":
		out := make([]string, 0, len(m.Aliases))
		for a := range m.Aliases {
			out = append(out, a)
		}
		return out, true
	}
	if key, ok := strings.CutPrefix(field, "tags."); ok {
		x, ok := m.Tags[key]
		return []string{x}, ok
	}
	return nil, false
}

func (s modelSubject) number(field string) (float64, bool) {
	if field == "version" {
		return float64(s.m.LatestVersion), true
	}
	return 0, false
}

func (s modelSubject) when(field string) time.Time {
	if field == "updated" {
		return s.m.Updated
	}
	return s.m.Created
}

func (s modelSubject) flag(string) bool { return s.m.Archived }
