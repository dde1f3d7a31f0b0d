package oip

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// ErrBadRequest reports an inference request that does not follow the
// Open Inference Protocol (malformed JSON, unknown datatype, a shape that
// does not match the data). The HTTP handler answers it with 400.
var ErrBadRequest = errors.New("oip: bad inference request")

// ErrBodyTooLarge reports a request body over HandlerOptions.MaxBodyBytes
// (Limits.MaxBodyBytes); the handler answers it with 413. It also
// matches ErrBadRequest.
var ErrBodyTooLarge error = limitError("oip: inference request body too large")

// ErrTooManyElements reports a request whose tensors' shapes ask for
// more values than HandlerOptions.MaxElements (Limits.MaxElements); it
// is found from the shapes alone, before any value is read or any slice
// allocated, and the handler answers it with 400. It also matches
// ErrBadRequest.
var ErrTooManyElements error = limitError("oip: inference request holds too many tensor values")

// limitError is a sentinel for a limit that is also a bad request.
type limitError string

func (e limitError) Error() string        { return string(e) }
func (e limitError) Is(target error) bool { return target == ErrBadRequest }

// Datatypes of the Open Inference Protocol v2 that this package reads
// and writes. FP16 values are carried as float64.
const (
	BOOL   = "BOOL"
	UINT8  = "UINT8"
	UINT16 = "UINT16"
	UINT32 = "UINT32"
	UINT64 = "UINT64"
	INT8   = "INT8"
	INT16  = "INT16"
	INT32  = "INT32"
	INT64  = "INT64"
	FP16   = "FP16"
	FP32   = "FP32"
	FP64   = "FP64"
	BYTES  = "BYTES"
)

type dtKind int

const (
	kindNone dtKind = iota
	kindBool
	kindInt
	kindUint
	kindFloat
	kindBytes
)

// dtInfo gives a datatype's kind and bit size.
func dtInfo(dt string) (dtKind, int) {
	switch dt {
	case BOOL:
		return kindBool, 1
	case UINT8:
		return kindUint, 8
	case UINT16:
		return kindUint, 16
	case UINT32:
		return kindUint, 32
	case UINT64:
		return kindUint, 64
	case INT8:
		return kindInt, 8
	case INT16:
		return kindInt, 16
	case INT32:
		return kindInt, 32
	case INT64:
		return kindInt, 64
	case FP16:
		return kindFloat, 16
	case FP32:
		return kindFloat, 32
	case FP64:
		return kindFloat, 64
	case BYTES:
		return kindBytes, 0
	}
	return kindNone, 0
}

// Tensor is a named, typed, shaped array. Exactly one of the value
// slices is used, chosen by Datatype: Bools for BOOL, Ints for INT8 to
// INT64, Uints for UINT8 to UINT64, Floats for FP16, FP32 and FP64,
// Bytes for BYTES (sent as JSON strings). Values are in row-major order.
type Tensor struct {
	Name     string
	Datatype string
	Shape    []int64
	// Parameters is the tensor's parameters object, kept as JSON text
	// (compacted when read); nil when absent.
	Parameters json.RawMessage

	Bools  []bool
	Ints   []int64
	Uints  []uint64
	Floats []float64
	Bytes  [][]byte
}

// Len returns the number of values the tensor holds.
func (t *Tensor) Len() int {
	switch k, _ := dtInfo(t.Datatype); k {
	case kindBool:
		return len(t.Bools)
	case kindInt:
		return len(t.Ints)
	case kindUint:
		return len(t.Uints)
	case kindFloat:
		return len(t.Floats)
	case kindBytes:
		return len(t.Bytes)
	}
	return 0
}

// errTooMany is elements' report of a product beyond its limit.
var errTooMany = errors.New("too many values")

// maxRank bounds the number of dimensions of a tensor's shape.
const maxRank = 64

// elements returns the product of shape, or an error for a negative
// dimension, more than maxRank dimensions or a product beyond limit.
// It never overflows: each factor is checked against limit before it is
// multiplied in, and a shape with a zero dimension holds no values
// whatever its other dimensions.
func elements(shape []int64, limit int64) (int64, error) {
	if len(shape) > maxRank {
		return 0, fmt.Errorf("shape has %d dimensions, more than %d", len(shape), maxRank)
	}
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in shape %v", d, shape)
		}
		if d == 0 {
			return 0, nil
		}
	}
	n := int64(1)
	for _, d := range shape {
		if n > limit/d {
			return 0, errTooMany
		}
		n *= d
	}
	return n, nil
}

// Validate checks the datatype, that the shape matches the values and
// that Parameters, when set, is a JSON object.
func (t *Tensor) Validate() error {
	if t.Name == "" {
		return fmt.Errorf("%w: tensor without a name", ErrBadRequest)
	}
	k, _ := dtInfo(t.Datatype)
	if k == kindNone {
		return fmt.Errorf("%w: tensor %q: unknown datatype %q", ErrBadRequest, t.Name, t.Datatype)
	}
	n, err := elements(t.Shape, math.MaxInt32)
	if err == errTooMany {
		return fmt.Errorf("%w: tensor %q: shape %v holds more than %d values", ErrTooManyElements, t.Name, t.Shape, math.MaxInt32)
	}
	if err != nil {
		return fmt.Errorf("%w: tensor %q: %v", ErrBadRequest, t.Name, err)
	}
	if n != int64(t.Len()) {
		return fmt.Errorf("%w: tensor %q: shape %v needs %d values, got %d", ErrBadRequest, t.Name, t.Shape, n, t.Len())
	}
	if _, err := parameters(t.Parameters); err != nil {
		return fmt.Errorf("%w: tensor %q: %v", ErrBadRequest, t.Name, err)
	}
	return nil
}

// parameters checks that p is absent, null or a JSON object and returns
// it compacted (nil for absent or null), so that equal parameters
// compare equal whatever the whitespace they arrived with.
func parameters(p json.RawMessage) (json.RawMessage, error) {
	v := bytes.TrimSpace(p)
	if len(v) == 0 || string(v) == "null" {
		return nil, nil
	}
	if v[0] != '{' || !json.Valid(v) {
		return nil, errors.New("parameters must be a JSON object")
	}
	var b bytes.Buffer
	b.Grow(len(v))
	if err := json.Compact(&b, v); err != nil {
		return nil, errors.New("parameters must be a JSON object")
	}
	return b.Bytes(), nil
}

type tensorJSON struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data"`
}

// MarshalJSON writes the tensor in the protocol's JSON form, with the
// data flat.
func (t Tensor) MarshalJSON() ([]byte, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	var data any
	switch k, _ := dtInfo(t.Datatype); k {
	case kindBool:
		data = t.Bools
	case kindInt:
		data = t.Ints
	case kindUint:
		data = t.Uints
	case kindFloat:
		for _, f := range t.Floats {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("%w: tensor %q: %v cannot be written as JSON", ErrBadRequest, t.Name, f)
			}
		}
		data = t.Floats
	case kindBytes:
		s := make([]string, len(t.Bytes))
		for i, b := range t.Bytes {
			s[i] = string(b)
		}
		data = s
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	if string(raw) == "null" {
		raw = []byte("[]")
	}
	shape := t.Shape
	if shape == nil {
		shape = []int64{}
	}
	params, _ := parameters(t.Parameters) // checked by Validate
	return json.Marshal(tensorJSON{Name: t.Name, Shape: shape, Datatype: t.Datatype, Parameters: params, Data: raw})
}

// UnmarshalJSON reads a tensor, flattening nested data, converting every
// value to the datatype (with range checks) and checking the shape. A
// tensor read on its own may hold up to math.MaxInt32 values; requests
// read by DecodeInferRequest are held to Limits.MaxElements.
func (t *Tensor) UnmarshalJSON(b []byte) error {
	var p pendingTensor
	if err := p.UnmarshalJSON(b); err != nil {
		return err
	}
	n, err := p.count(math.MaxInt32)
	if err != nil {
		return err
	}
	return p.decode(t, n)
}

// pendingTensor is a tensor whose header is read and whose data is not
// yet converted, so that a request's element budget can be checked
// across all its tensors before any value slice is allocated.
type pendingTensor struct {
	j tensorJSON
}

func (p *pendingTensor) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &p.j); err != nil {
		return fmt.Errorf("%w: tensor: %v", ErrBadRequest, err)
	}
	j := &p.j
	if j.Name == "" {
		return fmt.Errorf("%w: tensor without a name", ErrBadRequest)
	}
	if k, _ := dtInfo(j.Datatype); k == kindNone {
		return fmt.Errorf("%w: tensor %q: unknown datatype %q", ErrBadRequest, j.Name, j.Datatype)
	}
	if j.Shape == nil {
		return fmt.Errorf("%w: tensor %q has no shape", ErrBadRequest, j.Name)
	}
	if len(j.Data) == 0 || string(j.Data) == "null" {
		return fmt.Errorf("%w: tensor %q has no data", ErrBadRequest, j.Name)
	}
	params, err := parameters(j.Parameters)
	if err != nil {
		return fmt.Errorf("%w: tensor %q: %v", ErrBadRequest, j.Name, err)
	}
	j.Parameters = params
	return nil
}

// count returns the number of values the shape asks for, checked
// against limit (ErrTooManyElements) and against the data's length: a
// value takes at least one byte, so a shape needing more values than the
// data has bytes cannot match and is refused before anything is
// allocated for it.
func (p *pendingTensor) count(limit int64) (int64, error) {
	n, err := elements(p.j.Shape, limit)
	if err == errTooMany {
		return 0, fmt.Errorf("%w: tensor %q: shape %v holds more than %d values", ErrTooManyElements, p.j.Name, p.j.Shape, limit)
	}
	if err != nil {
		return 0, fmt.Errorf("%w: tensor %q: %v", ErrBadRequest, p.j.Name, err)
	}
	if n > int64(len(p.j.Data)) {
		return 0, fmt.Errorf("%w: tensor %q: shape %v needs %d values, more than its %d bytes of data can hold", ErrBadRequest, p.j.Name, p.j.Shape, n, len(p.j.Data))
	}
	return n, nil
}

// decode converts the data into t's value slice, allocated once with
// room for n values; no value allocates on its own.
func (p *pendingTensor) decode(t *Tensor, n int64) error {
	j := &p.j
	*t = Tensor{Name: j.Name, Datatype: j.Datatype, Shape: j.Shape, Parameters: j.Parameters}
	k, bits := dtInfo(j.Datatype)
	sc := scanner{d: j.Data, shape: j.Shape, kind: k, bits: bits, dt: j.Datatype, want: int(n)}
	switch k {
	case kindBool:
		sc.bools = make([]bool, 0, n)
	case kindInt:
		sc.ints = make([]int64, 0, n)
	case kindUint:
		sc.uints = make([]uint64, 0, n)
	case kindFloat:
		sc.floats = make([]float64, 0, n)
		sc.limit = math.MaxFloat64
		switch bits {
		case 16:
			sc.limit = 65504
		case 32:
			sc.limit = math.MaxFloat32
		}
	case kindBytes:
		sc.bytes = make([][]byte, 0, n)
		sc.arena = make([]byte, 0, len(j.Data))
	}
	if err := sc.run(); err != nil {
		return fmt.Errorf("%w: tensor %q: data: %v", ErrBadRequest, t.Name, err)
	}
	t.Bools, t.Ints, t.Uints, t.Floats, t.Bytes = sc.bools, sc.ints, sc.uints, sc.floats, sc.bytes
	if sc.count != int(n) {
		return fmt.Errorf("%w: tensor %q: shape %v needs %d values, got %d", ErrBadRequest, t.Name, j.Shape, n, sc.count)
	}
	return nil
}

// scanner walks the JSON text of a tensor's data and stores each value
// straight into the typed slice, without tokens, interfaces or strings
// per value. Data is either flat (one array of scalars, in row-major
// order) or nested exactly as the shape says: one level per dimension,
// each array as long as its dimension. The text has already been checked
// to be JSON; the scanner still reports any byte it does not expect.
type scanner struct {
	d     []byte
	i     int
	shape []int64
	kind  dtKind
	bits  int
	dt    string
	limit float64 // largest magnitude of a float datatype
	want  int     // values stored at most; more are counted only
	count int

	nested bool  // an array held an array
	lerr   error // the first array or value that disagrees with the shape

	bools  []bool
	ints   []int64
	uints  []uint64
	floats []float64
	bytes  [][]byte
	arena  []byte // backing store of the BYTES values
}

const maxNesting = 32

func (s *scanner) run() error {
	s.space()
	if s.i >= len(s.d) || s.d[s.i] != '[' {
		return errors.New("data must be an array")
	}
	if err := s.value(0); err != nil {
		return err
	}
	s.space()
	if s.i != len(s.d) {
		return errors.New("trailing content")
	}
	if s.nested {
		return s.lerr
	}
	return nil
}

func (s *scanner) space() {
	for s.i < len(s.d) {
		switch s.d[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) value(depth int) error {
	if depth > maxNesting {
		return errors.New("arrays nested too deeply")
	}
	s.space()
	if s.i >= len(s.d) {
		return io.ErrUnexpectedEOF
	}
	if s.d[s.i] == '[' {
		return s.array(depth)
	}
	start := s.i
	var str bool
	switch c := s.d[s.i]; {
	case c == '"':
		if err := s.skipString(); err != nil {
			return err
		}
		str = true
	case c == '-' || c >= '0' && c <= '9':
		for s.i < len(s.d) && isNumberByte(s.d[s.i]) {
			s.i++
		}
	case c == 't' || c == 'f' || c == 'n':
		for s.i < len(s.d) && s.d[s.i] >= 'a' && s.d[s.i] <= 'z' {
			s.i++
		}
		if lit := string(s.d[start:s.i]); lit == "null" {
			return errors.New("null is not a value")
		} else if lit != "true" && lit != "false" {
			return fmt.Errorf("unexpected %s", quoteShort(s.d[start:s.i]))
		}
	default:
		return fmt.Errorf("unexpected %c", c)
	}
	if s.lerr == nil && depth != len(s.shape) {
		s.lerr = fmt.Errorf("nested data does not have shape %v (a value at depth %d)", s.shape, depth)
	}
	return s.store(s.d[start:s.i], str)
}

func (s *scanner) array(depth int) error {
	if depth > 0 {
		s.nested = true
	}
	s.i++ // '['
	s.space()
	var n int64
	if s.i < len(s.d) && s.d[s.i] == ']' {
		s.i++
	} else {
		for {
			if err := s.value(depth + 1); err != nil {
				return err
			}
			n++
			s.space()
			if s.i >= len(s.d) {
				return io.ErrUnexpectedEOF
			}
			c := s.d[s.i]
			s.i++
			if c == ']' {
				break
			}
			if c != ',' {
				return fmt.Errorf("unexpected %c in an array", c)
			}
		}
	}
	if s.lerr == nil && (depth >= len(s.shape) || s.shape[depth] != n) {
		s.lerr = fmt.Errorf("nested data does not have shape %v (an array of %d values at depth %d)", s.shape, n, depth+1)
	}
	return nil
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// skipString moves past a JSON string starting at s.i.
func (s *scanner) skipString() error {
	for j := s.i + 1; j < len(s.d); j++ {
		switch s.d[j] {
		case '\\':
			j++
		case '"':
			s.i = j + 1
			return nil
		}
	}
	return io.ErrUnexpectedEOF
}

// quoteShort renders a token for an error message, cut at 32 bytes so
// that a huge value is not echoed back whole.
func quoteShort(tok []byte) string {
	if len(tok) > 32 {
		return string(tok[:32]) + "..."
	}
	return string(tok)
}

// numberString views a number token as a string for strconv without
// copying it. The token is part of s.d, which nobody writes while the
// string is in use, and strconv keeps no reference to its input (its
// errors hold a copy).
func numberString(tok []byte) string {
	return unsafe.String(unsafe.SliceData(tok), len(tok))
}

func (s *scanner) store(tok []byte, str bool) error {
	s.count++
	full := s.count > s.want // counted only, to report the mismatch
	switch s.kind {
	case kindBool:
		var x bool
		switch string(tok) {
		case "true":
			x = true
		case "false":
		default:
			return fmt.Errorf("%s is not a boolean", quoteShort(tok))
		}
		if !full {
			s.bools = append(s.bools, x)
		}
	case kindInt:
		if str || tok[0] == 't' || tok[0] == 'f' {
			return fmt.Errorf("%s is not a number", quoteShort(tok))
		}
		x, err := strconv.ParseInt(numberString(tok), 10, s.bits)
		if err != nil {
			return fmt.Errorf("%s is not an %s", quoteShort(tok), s.dt)
		}
		if !full {
			s.ints = append(s.ints, x)
		}
	case kindUint:
		if str || tok[0] == 't' || tok[0] == 'f' {
			return fmt.Errorf("%s is not a number", quoteShort(tok))
		}
		x, err := strconv.ParseUint(numberString(tok), 10, s.bits)
		if err != nil {
			return fmt.Errorf("%s is not a %s", quoteShort(tok), s.dt)
		}
		if !full {
			s.uints = append(s.uints, x)
		}
	case kindFloat:
		if str || tok[0] == 't' || tok[0] == 'f' {
			return fmt.Errorf("%s is not a number", quoteShort(tok))
		}
		x, err := strconv.ParseFloat(numberString(tok), 64)
		if err != nil || math.Abs(x) > s.limit {
			return fmt.Errorf("%s is not an %s", quoteShort(tok), s.dt)
		}
		if !full {
			s.floats = append(s.floats, x)
		}
	case kindBytes:
		if !str {
			return fmt.Errorf("%s is not a string", quoteShort(tok))
		}
		if !full {
			start := len(s.arena)
			var err error
			if s.arena, err = unquote(s.arena, tok); err != nil {
				return err
			}
			s.bytes = append(s.bytes, s.arena[start:len(s.arena):len(s.arena)])
		}
	}
	return nil
}

// unquote appends the contents of the JSON string tok (quotes included)
// to dst, as encoding/json reads it: escapes resolved, a lone or
// mismatched UTF-16 surrogate and every invalid UTF-8 byte replaced by
// U+FFFD.
func unquote(dst, tok []byte) ([]byte, error) {
	body := tok[1 : len(tok)-1]
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return append(dst, body...), nil
	}
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '\\':
			if i+1 >= len(body) {
				return dst, errors.New("malformed string escape")
			}
			e := body[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				dst = append(dst, e)
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := hex4(body[i:])
				if r < 0 {
					return dst, errors.New("malformed string escape")
				}
				i += 4
				if utf16.IsSurrogate(r) {
					if len(body) >= i+6 && body[i] == '\\' && body[i+1] == 'u' {
						if r2 := hex4(body[i+2:]); r2 >= 0 {
							if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
								dst = utf8.AppendRune(dst, d)
								i += 6
								continue
							}
						}
					}
					r = utf8.RuneError
				}
				dst = utf8.AppendRune(dst, r)
			default:
				return dst, errors.New("malformed string escape")
			}
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(body[i:])
			dst = utf8.AppendRune(dst, r)
			i += size
		}
	}
	return dst, nil
}

// hex4 reads four hexadecimal digits, or returns -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}
