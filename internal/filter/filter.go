// Package filter is the search-filter language that registry and tracking
// share: a parser to a small tree, a canonical printer and an evaluator over
// any subject. Each consumer supplies a Schema that names its fields and
// their kinds, and a Subject that returns a record's values.
//
// The language, close to MLflow's search syntax:
//
//	filter  = or
//	or      = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" unary | "(" or ")" | compare
//	compare = field op value
//	field   = word | prefix "." quoted        (tags.`my key`, tags."a b")
//	op      = "=" | "!=" | "<" | "<=" | ">" | ">=" | "like" | "ilike"
//	value   = 'text' | "text" | number | true | false
//
// Keywords are case-insensitive. Number fields compare with numbers, Bool
// fields with true or false (= and != only), Time fields with a quoted
// RFC 3339 time or date, Text fields with a quoted string, where "like"
// matches SQL-style patterns with % (any run) and _ (one byte) and "ilike"
// does so ignoring case. A Text field may hold several values: = (and <,
// like, ...) is true when one of them matches, != when none is equal. A
// comparison on a field the subject lacks is false.
//
// A Filter is immutable and safe for concurrent use.
package filter

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits on the source of a filter.
const (
	MaxLen   = 4096
	MaxDepth = 64
)

// Kind is the type of a field's values.
type Kind int

// Field kinds.
const (
	Text Kind = iota
	Number
	Bool
	Time
)

// Schema resolves a field as written (a key after its prefix unquoted, the
// rest as typed) to its canonical name and kind; ok is false for a field
// the consumer does not know.
type Schema func(field string) (canon string, kind Kind, ok bool)

// Subject is what a filter evaluates. Each method reports false for a field
// the subject lacks.
type Subject interface {
	Text(field string) (TextValue, bool)
	Number(field string) (float64, bool)
	Time(field string) (time.Time, bool)
	Bool(field string) (bool, bool)
}

// TextValue is the value of a text field: one string, or the strings of a
// field that holds several (a version's aliases). It is returned by value,
// so a subject answers without allocating.
type TextValue struct {
	one   string
	many  []string
	multi bool
}

// One is the value of a field holding one string.
func One(s string) TextValue { return TextValue{one: s} }

// Many is the value of a field holding several strings (possibly none).
func Many(s []string) TextValue { return TextValue{many: s, multi: true} }

// Len returns the number of strings.
func (v TextValue) Len() int {
	if v.multi {
		return len(v.many)
	}
	return 1
}

// At returns string i, 0 <= i < Len().
func (v TextValue) At(i int) string {
	if v.multi {
		return v.many[i]
	}
	return v.one
}

// CompareText orders two values as slices.Compare orders their strings.
func CompareText(a, b TextValue) int {
	for i := 0; i < a.Len() && i < b.Len(); i++ {
		if c := strings.Compare(a.At(i), b.At(i)); c != 0 {
			return c
		}
	}
	return a.Len() - b.Len()
}

// Error is a filter that does not parse: what is wrong and, when Offset is
// not negative, the byte offset where.
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string {
	if e.Offset < 0 {
		return e.Msg
	}
	return fmt.Sprintf("at offset %d: %s", e.Offset, e.Msg)
}

// Filter is a parsed filter; the nil or empty Filter matches everything.
type Filter struct {
	root node
}

type node interface{ format(b *strings.Builder) }

type binNode struct {
	and         bool
	left, right node
}

type notNode struct{ x node }

type cmpNode struct {
	field string // canonical
	kind  Kind
	op    string
	val   value
}

type value struct {
	str string
	num float64
	b   bool
	t   time.Time
}

// Parse parses s against schema; an empty or all-space filter matches
// everything. Errors are *Error.
func Parse(s string, schema Schema) (*Filter, error) {
	if len(s) > MaxLen {
		return nil, &Error{Offset: -1, Msg: fmt.Sprintf("longer than %d bytes", MaxLen)}
	}
	p := &parser{src: s, schema: schema}
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
	return &Filter{root: n}, nil
}

// Empty reports whether the filter matches everything.
func (f *Filter) Empty() bool { return f == nil || f.root == nil }

// String returns the filter in canonical form; parsing it with the same
// schema gives the same filter.
func (f *Filter) String() string {
	if f.Empty() {
		return ""
	}
	var b strings.Builder
	f.root.format(&b)
	return b.String()
}

// Fields returns the canonical names of the fields the filter uses, in the
// order they first appear.
func (f *Filter) Fields() []string {
	var out []string
	var walk func(n node)
	walk = func(n node) {
		switch n := n.(type) {
		case *binNode:
			walk(n.left)
			walk(n.right)
		case *notNode:
			walk(n.x)
		case *cmpNode:
			if !slices.Contains(out, n.field) {
				out = append(out, n.field)
			}
		}
	}
	if !f.Empty() {
		walk(f.root)
	}
	return out
}

// Match reports whether s passes the filter.
func (f *Filter) Match(s Subject) bool {
	if f.Empty() {
		return true
	}
	return eval(f.root, s)
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
	b.WriteString(formatField(n.field))
	b.WriteByte(' ')
	b.WriteString(n.op)
	b.WriteByte(' ')
	switch n.kind {
	case Number:
		b.WriteString(strconv.FormatFloat(n.val.num, 'g', -1, 64))
	case Bool:
		b.WriteString(strconv.FormatBool(n.val.b))
	default:
		b.WriteString(Quote(n.val.str))
	}
}

// formatField writes a canonical field name, quoting the key after the
// first dot in backticks when it holds bytes a word cannot.
func formatField(f string) string {
	if !strings.ContainsFunc(f, func(r rune) bool { return r > 0x7f || !isWordByte(byte(r)) }) && !strings.HasSuffix(f, ".") {
		return f
	}
	pre, key, ok := strings.Cut(f, ".")
	if !ok {
		return f // a schema's own name: never needs quoting
	}
	return pre + ".`" + strings.ReplaceAll(key, "`", "``") + "`"
}

// Quote writes s in single quotes, doubling any quote inside, as SQL does.
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

type tokKind int

const (
	tokWord  tokKind = iota
	tokField         // prefix "." quoted key: text is prefix + "." + key
	tokString
	tokNumber
	tokOp
	tokLParen
	tokRParen
)

type token struct {
	kind tokKind
	text string // words as written; strings and quoted keys unquoted
	pos  int
}

type parser struct {
	src    string
	schema Schema
	toks   []token
	pos    int
}

func (p *parser) errorf(format string, args ...any) error {
	at := len(p.src)
	if p.pos < len(p.toks) {
		at = p.toks[p.pos].pos
	}
	return &Error{Offset: at, Msg: fmt.Sprintf(format, args...)}
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isWordByte(c byte) bool {
	return isAlnum(c) || c == '_' || c == '.' || c == '-'
}

// quoted reads the string quoted by s[i] (', " or `), a doubled quote
// standing for one, and returns it and the offset after it.
func quoted(s string, i int) (string, int, error) {
	c := s[i]
	var b strings.Builder
	for j := i + 1; ; {
		if j >= len(s) {
			return "", 0, &Error{Offset: i, Msg: "unterminated string"}
		}
		if s[j] == c {
			if j+1 < len(s) && s[j+1] == c {
				b.WriteByte(c)
				j += 2
				continue
			}
			return b.String(), j + 1, nil
		}
		b.WriteByte(s[j])
		j++
	}
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
				return &Error{Offset: i, Msg: "'!' must be followed by '='"}
			} else {
				p.toks = append(p.toks, token{tokOp, s[i : i+1], i})
				i++
			}
		case c == '\'' || c == '"':
			str, next, err := quoted(s, i)
			if err != nil {
				return err
			}
			p.toks = append(p.toks, token{tokString, str, i})
			i = next
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
			word := s[i:j]
			if strings.HasSuffix(word, ".") && strings.Count(word, ".") == 1 && j < len(s) && (s[j] == '`' || s[j] == '"' || s[j] == '\'') {
				key, next, err := quoted(s, j)
				if err != nil {
					return err
				}
				p.toks = append(p.toks, token{tokField, word + key, i})
				i = next
				continue
			}
			p.toks = append(p.toks, token{tokWord, word, i})
			i = j
		default:
			return &Error{Offset: i, Msg: fmt.Sprintf("unexpected character %q", rune(c))}
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
	if depth > MaxDepth {
		return nil, p.errorf("nested deeper than %d", MaxDepth)
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

func (p *parser) compare() (node, error) {
	t := p.toks[p.pos]
	if t.kind != tokWord && t.kind != tokField {
		return nil, p.errorf("expected a field, got %q", t.text)
	}
	field, kind, ok := p.schema(t.text)
	if !ok {
		return nil, p.errorf("unknown field %q", t.text)
	}
	p.pos++
	if p.pos >= len(p.toks) {
		return nil, p.errorf("expected an operator after %s", field)
	}
	opTok := p.toks[p.pos]
	op := opTok.text
	switch {
	case opTok.kind == tokOp:
	case opTok.kind == tokWord && (strings.EqualFold(op, "like") || strings.EqualFold(op, "ilike")):
		op = strings.ToLower(op)
	default:
		return nil, p.errorf("expected an operator, got %q", op)
	}
	p.pos++
	if p.pos >= len(p.toks) {
		return nil, p.errorf("expected a value after %s %s", field, op)
	}
	vt := p.toks[p.pos]
	n := &cmpNode{field: field, kind: kind, op: op}
	if kind != Text && (op == "like" || op == "ilike") {
		return nil, p.errorf("%s needs a text field, not %s", op, field)
	}
	switch kind {
	case Number:
		if vt.kind != tokNumber {
			return nil, p.errorf("%s compares numbers, got %q", field, vt.text)
		}
		f, err := strconv.ParseFloat(vt.text, 64)
		if err != nil || f != f || f > 1.7976931348623157e308 || f < -1.7976931348623157e308 {
			return nil, p.errorf("bad number %q", vt.text)
		}
		n.val.num = f
	case Bool:
		if vt.kind != tokWord || !strings.EqualFold(vt.text, "true") && !strings.EqualFold(vt.text, "false") {
			return nil, p.errorf("%s compares with true or false, got %q", field, vt.text)
		}
		if op != "=" && op != "!=" {
			return nil, p.errorf("%s supports = and != only", field)
		}
		n.val.b = strings.EqualFold(vt.text, "true")
	case Time:
		if vt.kind != tokString {
			return nil, p.errorf("%s compares with a quoted time, got %q", field, vt.text)
		}
		tm, err := parseTime(vt.text)
		if err != nil {
			return nil, p.errorf("%s: %v", field, err)
		}
		n.val = value{str: vt.text, t: tm}
	default:
		if vt.kind != tokString {
			return nil, p.errorf("%s compares with a quoted string, got %q", field, vt.text)
		}
		n.val.str = vt.text
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

func eval(n node, s Subject) bool {
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

func (n *cmpNode) match(s Subject) bool {
	switch n.kind {
	case Number:
		x, ok := s.Number(n.field)
		return ok && compareOrdered(x, n.val.num, n.op)
	case Bool:
		x, ok := s.Bool(n.field)
		return ok && (x == n.val.b) == (n.op == "=")
	case Time:
		x, ok := s.Time(n.field)
		return ok && compareOrdered(x.UnixNano(), n.val.t.UnixNano(), n.op)
	}
	vals, ok := s.Text(n.field)
	if !ok {
		return false
	}
	if n.op == "!=" {
		for i := range vals.Len() {
			if vals.At(i) == n.val.str {
				return false
			}
		}
		return true
	}
	for i := range vals.Len() {
		x := vals.At(i)
		switch n.op {
		case "like":
			if Like(x, n.val.str) {
				return true
			}
		case "ilike":
			if ilike(x, n.val.str) {
				return true
			}
		default:
			if compareOrdered(x, n.val.str, n.op) {
				return true
			}
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

// Like matches SQL LIKE patterns: % any run, _ one byte. Iterative with one
// backtrack point, so it is linear-ish and cannot blow up.
func Like(s, pat string) bool { return like(s, pat, false) }

// ilike is Like after lower-casing both sides; ASCII text is folded byte
// by byte as it is compared, without a copy.
func ilike(s, pat string) bool {
	if isASCII(s) && isASCII(pat) {
		return like(s, pat, true)
	}
	return Like(strings.ToLower(s), strings.ToLower(pat))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// lowerASCII folds an ASCII upper-case letter.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func like(s, pat string, fold bool) bool {
	same := func(a, b byte) bool { return a == b || fold && lowerASCII(a) == lowerASCII(b) }
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pat) && (pat[pi] == '_' || pat[pi] != '%' && same(pat[pi], s[si])):
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
