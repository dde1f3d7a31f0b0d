package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// ErrBadRequest reports an inference request that does not follow the
// Open Inference Protocol (malformed JSON, unknown datatype, a shape that
// does not match the data). The HTTP handler answers it with 400.
var ErrBadRequest = errors.New("deploy: bad inference request")

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
	Name       string
	Datatype   string
	Shape      []int64
	Parameters map[string]any

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

// elements returns the product of shape, or an error for a negative
// dimension or a product beyond limit.
func elements(shape []int64, limit int) (int, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in shape %v", d, shape)
		}
		if d != 0 && n > int64(limit)/d {
			return 0, fmt.Errorf("shape %v holds more than %d values", shape, limit)
		}
		n *= d
	}
	return int(n), nil
}

// Validate checks the datatype and that the shape matches the values.
func (t *Tensor) Validate() error {
	if t.Name == "" {
		return fmt.Errorf("%w: tensor without a name", ErrBadRequest)
	}
	k, _ := dtInfo(t.Datatype)
	if k == kindNone {
		return fmt.Errorf("%w: tensor %q: unknown datatype %q", ErrBadRequest, t.Name, t.Datatype)
	}
	n, err := elements(t.Shape, math.MaxInt32)
	if err != nil {
		return fmt.Errorf("%w: tensor %q: %v", ErrBadRequest, t.Name, err)
	}
	if n != t.Len() {
		return fmt.Errorf("%w: tensor %q: shape %v needs %d values, got %d", ErrBadRequest, t.Name, t.Shape, n, t.Len())
	}
	return nil
}

type tensorJSON struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters map[string]any  `json:"parameters,omitempty"`
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
	return json.Marshal(tensorJSON{Name: t.Name, Shape: shape, Datatype: t.Datatype, Parameters: t.Parameters, Data: raw})
}

// UnmarshalJSON reads a tensor, flattening nested data, converting every
// value to the datatype (with range checks) and checking the shape.
func (t *Tensor) UnmarshalJSON(b []byte) error {
	var j tensorJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("%w: tensor: %v", ErrBadRequest, err)
	}
	*t = Tensor{Name: j.Name, Datatype: j.Datatype, Shape: j.Shape, Parameters: j.Parameters}
	if t.Name == "" {
		return fmt.Errorf("%w: tensor without a name", ErrBadRequest)
	}
	k, bits := dtInfo(j.Datatype)
	if k == kindNone {
		return fmt.Errorf("%w: tensor %q: unknown datatype %q", ErrBadRequest, t.Name, j.Datatype)
	}
	if j.Shape == nil {
		return fmt.Errorf("%w: tensor %q has no shape", ErrBadRequest, t.Name)
	}
	if len(j.Data) == 0 {
		return fmt.Errorf("%w: tensor %q has no data", ErrBadRequest, t.Name)
	}
	n, err := elements(j.Shape, len(j.Data))
	if err != nil {
		return fmt.Errorf("%w: tensor %q: %v", ErrBadRequest, t.Name, err)
	}
	dec := json.NewDecoder(bytes.NewReader(j.Data))
	dec.UseNumber()
	var add func(v any) error
	switch k {
	case kindBool:
		t.Bools = make([]bool, 0, n)
		add = func(v any) error {
			x, ok := v.(bool)
			if !ok {
				return fmt.Errorf("%v is not a boolean", v)
			}
			t.Bools = append(t.Bools, x)
			return nil
		}
	case kindInt:
		t.Ints = make([]int64, 0, n)
		add = func(v any) error {
			num, ok := v.(json.Number)
			if !ok {
				return fmt.Errorf("%v is not a number", v)
			}
			x, err := strconv.ParseInt(string(num), 10, bits)
			if err != nil {
				return fmt.Errorf("%s is not an %s", num, j.Datatype)
			}
			t.Ints = append(t.Ints, x)
			return nil
		}
	case kindUint:
		t.Uints = make([]uint64, 0, n)
		add = func(v any) error {
			num, ok := v.(json.Number)
			if !ok {
				return fmt.Errorf("%v is not a number", v)
			}
			x, err := strconv.ParseUint(string(num), 10, bits)
			if err != nil {
				return fmt.Errorf("%s is not a %s", num, j.Datatype)
			}
			t.Uints = append(t.Uints, x)
			return nil
		}
	case kindFloat:
		t.Floats = make([]float64, 0, n)
		limit := map[int]float64{16: 65504, 32: math.MaxFloat32, 64: math.MaxFloat64}[bits]
		add = func(v any) error {
			num, ok := v.(json.Number)
			if !ok {
				return fmt.Errorf("%v is not a number", v)
			}
			x, err := strconv.ParseFloat(string(num), 64)
			if err != nil || math.Abs(x) > limit {
				return fmt.Errorf("%s is not an %s", num, j.Datatype)
			}
			t.Floats = append(t.Floats, x)
			return nil
		}
	case kindBytes:
		t.Bytes = make([][]byte, 0, n)
		add = func(v any) error {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("%v is not a string", v)
			}
			t.Bytes = append(t.Bytes, []byte(s))
			return nil
		}
	}
	lay := layout{shape: j.Shape}
	if err := lay.flatten(dec, add, 0); err != nil {
		return fmt.Errorf("%w: tensor %q: data: %v", ErrBadRequest, t.Name, err)
	}
	if err := lay.check(); err != nil {
		return fmt.Errorf("%w: tensor %q: data: %v", ErrBadRequest, t.Name, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: tensor %q: data: trailing content", ErrBadRequest, t.Name)
	}
	if got := t.Len(); got != n {
		return fmt.Errorf("%w: tensor %q: shape %v needs %d values, got %d", ErrBadRequest, t.Name, j.Shape, n, got)
	}
	return nil
}

// layout follows the nesting of a tensor's data while it is flattened.
// Data is either flat (one array of scalars, in row-major order) or
// nested exactly as the shape says: one level per dimension, each array
// as long as its dimension.
type layout struct {
	shape  []int64
	nested bool  // an array held an array
	err    error // the first array that disagrees with the shape
}

func (l *layout) check() error {
	if l.nested {
		return l.err
	}
	return nil
}

// flatten reads one JSON value (an array, possibly nested, or a single
// scalar inside an array) and passes every scalar to add in order.
func (l *layout) flatten(dec *json.Decoder, add func(any) error, depth int) error {
	if depth > 32 {
		return errors.New("arrays nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); ok {
		if d != '[' {
			return fmt.Errorf("unexpected %v", d)
		}
		if depth > 0 {
			l.nested = true
		}
		var n int64
		for ; dec.More(); n++ {
			if err := l.flatten(dec, add, depth+1); err != nil {
				return err
			}
		}
		if l.err == nil && (depth >= len(l.shape) || l.shape[depth] != n) {
			l.err = fmt.Errorf("nested data does not have shape %v (an array of %d values at depth %d)", l.shape, n, depth+1)
		}
		_, err := dec.Token() // ']'
		return err
	}
	if depth == 0 {
		return errors.New("data must be an array")
	}
	if tok == nil {
		return errors.New("null is not a value")
	}
	if l.err == nil && depth != len(l.shape) {
		l.err = fmt.Errorf("nested data does not have shape %v (a value at depth %d)", l.shape, depth)
	}
	return add(tok)
}
