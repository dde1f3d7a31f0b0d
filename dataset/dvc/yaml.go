package dvc

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file writes YAML the way DVC 3 does. DVC dumps .dvc files with
// ruamel.yaml's round-trip dumper (YAML 1.2, block style, indent 2, line
// width 80, Unicode written as is). The emitter below follows that
// dumper's rules for the values a .dvc file holds: scalars, block
// sequences and block mappings, and empty collections in flow style.

// Implicit types of a plain scalar under YAML 1.2, as ruamel.yaml's
// VersionedResolver resolves them (resolver.py, implicit_resolvers for
// version (1, 2)). Each entry lists the first characters it applies to,
// in the order ruamel registers them.
var resolvers12 = []struct {
	tag   string
	first string // "" matches the empty string only
	re    *regexp.Regexp
}{
	{"bool", "tTfF", regexp.MustCompile(`^(?:true|True|TRUE|false|False|FALSE)$`)},
	{"float", "-+0123456789.", regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)},
	{"int", "-+0123456789", regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$`)},
	{"merge", "<", regexp.MustCompile(`^(?:<<)$`)},
	{"null", "~nN", regexp.MustCompile(`^(?:~|null|Null|NULL)$`)},
	{"timestamp", "0123456789", regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)},
	{"value", "=", regexp.MustCompile(`^(?:=)$`)},
	{"yaml", "!&*", regexp.MustCompile(`^(?:!|&|\*)$`)},
}

// resolve12 returns the type ruamel.yaml gives the plain scalar s under
// YAML 1.2: "str" unless one of resolvers12 matches.
func resolve12(s string) string {
	if s == "" {
		return "null"
	}
	for _, r := range resolvers12 {
		if strings.IndexByte(r.first, s[0]) < 0 {
			continue
		}
		// Python's re "$" also matches before a final newline.
		if r.re.MatchString(s) || (strings.HasSuffix(s, "\n") && r.re.MatchString(s[:len(s)-1])) {
			return r.tag
		}
	}
	return "str"
}

// ynode is a YAML node to emit.
type ynode struct {
	kind  byte   // 's' scalar, 'q' sequence, 'm' mapping
	tag   string // of a scalar: str, int, bool, null, float
	text  string
	items []*ynode // sequence items, or mapping values
	keys  []*ynode // mapping keys
}

func ystr(s string) *ynode { return &ynode{kind: 's', tag: "str", text: s} }
func yint(i int64) *ynode  { return &ynode{kind: 's', tag: "int", text: strconv.FormatInt(i, 10)} }
func ybool(b bool) *ynode  { return &ynode{kind: 's', tag: "bool", text: strconv.FormatBool(b)} }
func ymap() *ynode         { return &ynode{kind: 'm'} }
func (n *ynode) set(k string, v *ynode) {
	n.keys, n.items = append(n.keys, ystr(k)), append(n.items, v)
}

// pyFloat formats f as Python's repr does, and ruamel writes it: .nan,
// .inf and -.inf for the special values.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	mant, exps, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(exps)
	if exp >= -4 && exp < 16 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsAny(s, ".") {
			s += ".0"
		}
		return s
	}
	sign := "+"
	if exp < 0 {
		sign, exp = "-", -exp
	}
	return fmt.Sprintf("%se%s%02d", mant, sign, exp)
}

// analysis is ruamel's ScalarAnalysis (emitter.py analyze_scalar).
type analysis struct {
	empty, multiline                             bool
	allowFlowPlain, allowBlockPlain, allowSingle bool
}

const yamlSpace = "\x00 \t\r\n\u0085\u2028\u2029"

func isBreak(r rune) bool { return r == '\n' || r == 0x85 || r == 0x2028 || r == 0x2029 }

func analyze(s string) analysis {
	if s == "" {
		return analysis{empty: true, allowBlockPlain: true, allowSingle: true}
	}
	rs := []rune(s)
	var blockInd, flowInd, lineBreaks, special bool
	var leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		blockInd, flowInd = true, true
	}
	preceded := true
	followed := len(rs) == 1 || strings.ContainsRune(yamlSpace, rs[1])
	prevSpace, prevBreak := false, false
	for i, ch := range rs {
		if i == 0 {
			if strings.ContainsRune("#,[]{}&*!|>'\"%@`", ch) {
				flowInd, blockInd = true, true
			}
			if ch == '?' || ch == ':' {
				if len(rs) == 1 {
					flowInd = true
				}
				if followed {
					blockInd = true
				}
			}
			if ch == '-' && followed {
				flowInd, blockInd = true, true
			}
		} else {
			if strings.ContainsRune(",[]{}", ch) {
				flowInd = true
			}
			if ch == ':' && followed {
				flowInd, blockInd = true, true
			}
			if ch == '#' && preceded {
				flowInd, blockInd = true, true
			}
		}
		if isBreak(ch) {
			lineBreaks = true
		}
		if !(ch == '\n' || (ch >= 0x20 && ch <= 0x7e)) {
			// Unicode is written as is (allow_unicode), except these.
			ok := (ch == 0x85 || (ch >= 0xa0 && ch <= 0xd7ff) || (ch >= 0xe000 && ch <= 0xfffd) ||
				(ch >= 0x10000 && ch <= 0x10ffff)) && ch != 0xfeff
			if !ok {
				special = true
			}
		}
		switch {
		case ch == ' ':
			if i == 0 {
				leadingSpace = true
			}
			if i == len(rs)-1 {
				trailingSpace = true
			}
			if prevBreak {
				breakSpace = true
			}
			prevSpace, prevBreak = true, false
		case isBreak(ch):
			if i == 0 {
				leadingBreak = true
			}
			if i == len(rs)-1 {
				trailingBreak = true
			}
			if prevSpace {
				spaceBreak = true
			}
			prevSpace, prevBreak = false, true
		default:
			prevSpace, prevBreak = false, false
		}
		preceded = strings.ContainsRune(yamlSpace, ch)
		followed = i+2 >= len(rs) || strings.ContainsRune(yamlSpace, rs[i+2])
	}
	a := analysis{multiline: lineBreaks, allowFlowPlain: true, allowBlockPlain: true, allowSingle: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.allowFlowPlain, a.allowBlockPlain = false, false
	}
	if breakSpace {
		a.allowFlowPlain, a.allowBlockPlain, a.allowSingle = false, false, false
	}
	if special || spaceBreak {
		a.allowFlowPlain, a.allowBlockPlain, a.allowSingle = false, false, false
	}
	if lineBreaks {
		a.allowFlowPlain, a.allowBlockPlain = false, false
	}
	if flowInd {
		a.allowFlowPlain = false
	}
	if blockInd {
		a.allowBlockPlain = false
	}
	return a
}

const bestWidth = 80

type indentEntry struct {
	has bool // the indent is not Python's None
	val int
	seq bool
}

// emitter is a port of the parts of ruamel.yaml's Emitter (emitter.py)
// that a .dvc file exercises, with DVC's settings: indent 2, dash offset
// 0, width 80, compact "- key:" items.
type emitter struct {
	b                      bytes.Buffer
	column                 int
	indent                 int
	hasIndent              bool
	indents                []indentEntry
	whitespace, indention  bool
	noNewline              bool
	seqCtx, mapCtx, keyCtx bool
	flowLevel              int
	err                    error
}

// emitYAML writes the document whose root is n.
func emitYAML(n *ynode) ([]byte, error) {
	e := &emitter{whitespace: true, indention: true}
	e.node(n, false, false, false)
	e.writeIndent() // document end
	return e.b.Bytes(), e.err
}

func (e *emitter) write(s string) {
	e.column += utf8.RuneCountInString(s)
	e.b.WriteString(s)
}

func (e *emitter) increaseIndent(flow, seq, indentless bool) {
	e.indents = append(e.indents, indentEntry{has: e.hasIndent, val: e.indent, seq: seq})
	if !e.hasIndent {
		if !flow {
			e.indent, e.hasIndent = 0, true
		}
		return
	}
	if !indentless {
		e.indent += 2 // best_sequence_indent and best_map_indent are both 2
	}
}

func (e *emitter) popIndent() {
	last := e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
	e.indent, e.hasIndent = last.val, last.has
}

// seqSeq is Indents.seq_seq: the last two entries are both sequences.
func (e *emitter) seqSeq() bool {
	n := len(e.indents)
	return n >= 2 && e.indents[n-2].seq && e.indents[n-1].seq
}

func (e *emitter) writeIndicator(ind string, needWhitespace, whitespace, indention bool) {
	if !e.whitespace && needWhitespace {
		ind = " " + ind
	}
	e.whitespace = whitespace
	e.indention = e.indention && indention
	e.write(ind)
}

func (e *emitter) writeIndent() {
	indent := e.indent
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		if e.noNewline {
			e.noNewline = false
		} else {
			e.writeLineBreak()
		}
	}
	if e.column < indent {
		e.whitespace = true
		e.write(strings.Repeat(" ", indent-e.column))
	}
}

func (e *emitter) writeLineBreak() { e.writeBreak('\n') }

// writeBreak is write_line_break with the break character to write.
func (e *emitter) writeBreak(br rune) {
	e.whitespace, e.indention = true, true
	e.column = 0
	e.b.WriteRune(br)
}

// node is expect_node for the contexts given.
func (e *emitter) node(n *ynode, seq, mapping, key bool) {
	e.seqCtx, e.mapCtx, e.keyCtx = seq, mapping, key
	switch n.kind {
	case 's':
		e.increaseIndent(true, false, false)
		e.scalar(n)
		e.popIndent()
	case 'q':
		if len(n.items) == 0 {
			e.emptyFlow("[", "]")
			return
		}
		indentless := e.mapCtx && !e.indention
		e.increaseIndent(false, true, indentless)
		if e.seqSeq() {
			e.indention, e.noNewline = true, false
		}
		for _, it := range n.items {
			nonl := e.noNewline && e.column == 0
			e.writeIndent()
			e.writeIndicator("-", true, false, true)
			if nonl {
				e.noNewline = true
			}
			e.node(it, true, false, false)
		}
		e.popIndent()
		e.noNewline = false
	case 'm':
		if len(n.items) == 0 {
			e.emptyFlow("{", "}")
			return
		}
		e.increaseIndent(false, false, false)
		for i, k := range n.keys {
			e.writeIndent()
			if e.simpleKey(k) {
				e.node(k, false, true, true)
				e.writeIndicator(":", false, false, false)
			} else {
				e.writeIndicator("?", true, false, true)
				e.node(k, false, true, false)
				e.writeIndent()
				e.writeIndicator(":", true, false, true)
			}
			e.node(n.items[i], false, true, false)
		}
		e.popIndent()
	}
}

// emptyFlow writes [] or {} in block context (expect_flow_sequence and
// expect_first_flow_sequence_item with no items).
func (e *emitter) emptyFlow(open, close string) {
	ind := 0
	if n := len(e.indents); n >= 2 && e.indents[n-1].seq {
		ind = max(0, e.indents[n-1].val+2-e.column-1)
	}
	e.writeIndicator(strings.Repeat(" ", ind)+open, true, true, false)
	e.writeIndicator(close, false, false, false)
	if e.flowLevel == 0 {
		e.writeLineBreak()
	}
}

func (e *emitter) simpleKey(k *ynode) bool {
	if k.kind != 's' {
		return false
	}
	a := analyze(k.text)
	// check_simple_key counts the tag ("!!str") though it is not written.
	return utf8.RuneCountInString(k.text)+len("!!"+k.tag) < 128 && !a.multiline
}

// style is choose_scalar_style: "" plain, "'" single, `"` double quoted.
func (e *emitter) style(n *ynode, a analysis) string {
	if resolve12(n.text) == n.tag { // implicit[0]: reads back as its own type
		if !(e.keyCtx && (a.empty || a.multiline)) &&
			((e.flowLevel > 0 && a.allowFlowPlain) || (e.flowLevel == 0 && a.allowBlockPlain)) {
			return ""
		}
	}
	if strings.ContainsAny(n.text, "'\n") {
		return `"`
	}
	if a.allowSingle && !(e.keyCtx && a.multiline) {
		return "'"
	}
	return `"`
}

func (e *emitter) scalar(n *ynode) {
	a := analyze(n.text)
	st := e.style(n, a)
	// A non-plain scalar is read back as a string; any other type would
	// need an explicit tag, which a .dvc file never carries.
	if st != "" && n.tag != "str" && e.err == nil {
		e.err = fmt.Errorf("dvc: cannot write %s %q", n.tag, n.text)
	}
	split := !e.keyCtx
	if e.seqCtx && e.flowLevel == 0 {
		e.writeIndent()
	}
	switch st {
	case `"`:
		e.writeDouble([]rune(n.text), split)
	case "'":
		e.writeSingle([]rune(n.text), split)
	default:
		e.writePlain([]rune(n.text), split)
	}
}

func (e *emitter) writePlain(text []rune, split bool) {
	if len(text) == 0 {
		return
	}
	if !e.whitespace {
		e.write(" ")
	}
	e.whitespace, e.indention = false, false
	spaces, breaks := false, false
	start := 0
	for end := 0; end <= len(text); end++ {
		var ch rune = -1
		if end < len(text) {
			ch = text[end]
		}
		switch {
		case spaces:
			if ch != ' ' {
				if start+1 == end && e.column > bestWidth && split {
					e.writeIndent()
					e.whitespace, e.indention = false, false
				} else {
					e.write(string(text[start:end]))
				}
				start = end
			}
		case breaks:
			if ch == -1 || !isBreak(ch) {
				if text[start] == '\n' {
					e.writeLineBreak()
				}
				for _, br := range text[start:end] {
					e.writeBreak(br)
				}
				e.writeIndent()
				e.whitespace, e.indention = false, false
				start = end
			}
		default:
			if ch == -1 || ch == ' ' || isBreak(ch) {
				data := text[start:end]
				if len(data) > bestWidth && e.hasIndent && e.column > e.indent {
					// ruamel gives a word longer than the line its own line
					e.writeIndent()
				}
				e.write(string(data))
				start = end
			}
		}
		if ch != -1 {
			spaces, breaks = ch == ' ', isBreak(ch)
		}
	}
}

func (e *emitter) writeSingle(text []rune, split bool) {
	e.writeIndicator("'", true, false, false)
	spaces, breaks := false, false
	start := 0
	for end := 0; end <= len(text); end++ {
		var ch rune = -1
		if end < len(text) {
			ch = text[end]
		}
		switch {
		case spaces:
			if ch != ' ' {
				if start+1 == end && e.column > bestWidth && split && start != 0 && end != len(text) {
					e.writeIndent()
				} else {
					e.write(string(text[start:end]))
				}
				start = end
			}
		case breaks:
			if ch == -1 || !isBreak(ch) {
				if text[start] == '\n' {
					e.writeLineBreak()
				}
				for _, br := range text[start:end] {
					e.writeBreak(br)
				}
				e.writeIndent()
				start = end
			}
		default:
			if ch == -1 || ch == ' ' || isBreak(ch) || ch == '\'' {
				if start < end {
					e.write(string(text[start:end]))
					start = end
				}
			}
		}
		if ch == '\'' {
			e.write("''")
			start = end + 1
		}
		if ch != -1 {
			spaces, breaks = ch == ' ', isBreak(ch)
		}
	}
	e.writeIndicator("'", false, false, false)
}

var escapes = map[rune]string{
	0: "0", 0x07: "a", 0x08: "b", 0x09: "t", 0x0a: "n", 0x0b: "v", 0x0c: "f",
	0x0d: "r", 0x1b: "e", '"': "\"", '\\': "\\", 0x85: "N", 0xa0: "_",
	0x2028: "L", 0x2029: "P",
}

func (e *emitter) writeDouble(text []rune, split bool) {
	e.writeIndicator(`"`, true, false, false)
	start := 0
	for end := 0; end <= len(text); end++ {
		var ch rune = -1
		if end < len(text) {
			ch = text[end]
		}
		if ch == -1 || strings.ContainsRune("\"\\\u0085\u2028\u2029\ufeff", ch) ||
			!((ch >= 0x20 && ch <= 0x7e) || (ch >= 0xa0 && ch <= 0xd7ff) ||
				(ch >= 0xe000 && ch <= 0xfffd) || (ch >= 0x10000 && ch <= 0x10ffff)) {
			if start < end {
				e.write(string(text[start:end]))
				start = end
			}
			if ch != -1 {
				var data string
				if r, ok := escapes[ch]; ok {
					data = `\` + r
				} else if ch <= 0xff {
					data = fmt.Sprintf(`\x%02X`, ch)
				} else if ch <= 0xffff {
					data = fmt.Sprintf(`\u%04X`, ch)
				} else {
					data = fmt.Sprintf(`\U%08X`, ch)
				}
				e.write(data)
				start = end + 1
			}
		}
		if 0 < end && end < len(text)-1 && (ch == ' ' || start >= end) &&
			e.column+(end-start) > bestWidth && split {
			needBackslash := true
			if len(text) > end {
				if sp := indexRune(text, ' ', end); sp >= 0 && sp+1 < len(text) {
					seg := string(text[end:sp])
					if !strings.ContainsAny(seg, `"'`) && text[sp+1] != ' ' &&
						!(text[end-1] == ' ' && text[end] == ' ') {
						needBackslash = false
					}
				}
			}
			data := ""
			if start < end {
				data = string(text[start:end])
			}
			if needBackslash {
				data += `\`
			}
			if start < end {
				start = end
			}
			e.write(data)
			e.writeIndent()
			e.whitespace, e.indention = false, false
			if text[start] == ' ' {
				if !needBackslash {
					start++
				} else {
					e.write(`\`)
				}
			}
		}
	}
	e.writeIndicator(`"`, false, false, false)
}

func indexRune(text []rune, r rune, from int) int {
	for i := from; i < len(text); i++ {
		if text[i] == r {
			return i
		}
	}
	return -1
}
