package drift

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"testing"
)

// currentFrom turns fuzz bytes into current data for every column of p:
// numeric values from 8-byte words (NaN, infinities and subnormals
// included), categories from single bytes.
func currentFrom(p *Profile, raw []byte) Data {
	var nums []float64
	for b := raw; len(b) >= 8; b = b[8:] {
		nums = append(nums, math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
	var cats []string
	for _, c := range raw {
		cats = append(cats, string(rune('a'+c%5)))
	}
	cur := Data{Numeric: map[string][]float64{}, Categorical: map[string][]string{}}
	for _, c := range p.Columns {
		if c.Kind == Numeric {
			cur.Numeric[c.Name] = nums
		} else {
			cur.Categorical[c.Name] = cats
		}
	}
	return cur
}

// FuzzProfileDecode feeds the persisted profile decoder arbitrary bytes,
// directly and nested in a larger document, and uses whatever it accepts
// against arbitrary current data: every error wraps a drift sentinel and
// every report it produces encodes as JSON and HTML.
func FuzzProfileDecode(f *testing.F) {
	p, _ := Fit(Data{Numeric: map[string][]float64{"x": {1, 2, 2, 3, 4, 8}}, Categorical: map[string][]string{"c": {"a", "b", "b"}}}, nil)
	good, _ := json.Marshal(p)
	f.Add(good, []byte("0123456789abcdef"))
	f.Add(good, []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f})
	f.Add([]byte(`{"version":1,"bins":2,"sample_size":-1,"columns":[{"name":"x","kind":"numeric","rows":1,"numeric":{"count":1,"mean":0,"m2":0,"min":0,"max":0,"edges":[0],"bin_counts":[1,0],"values":[0],"counts":[1],"complete":true}}]}`), []byte{})
	f.Add([]byte(`{"version":1,"bins":2,"sample_size":1,"columns":[{"name":"c","kind":"categorical","rows":3,"nan":2,"categorical":{"counts":{"a":1}}}]}`), []byte("abc"))
	f.Add([]byte(`{"version":1,"columns":null}`), []byte(nil))
	f.Fuzz(func(t *testing.T, data, raw []byte) {
		p, err := Parse(data)
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Parse: error %v does not wrap ErrCorrupt", err)
		}
		// The decoder behaves the same inside a larger document.
		if json.Valid(data) {
			var doc struct {
				P *Profile `json:"p"`
			}
			nerr := json.Unmarshal(append(append([]byte(`{"p":`), data...), '}'), &doc)
			if (nerr == nil) != (err == nil) {
				t.Fatalf("nested decode error %v, direct %v", nerr, err)
			}
			if nerr != nil && !errors.Is(nerr, ErrCorrupt) {
				t.Fatalf("nested decode: error %v does not wrap ErrCorrupt", nerr)
			}
		}
		if err != nil {
			return
		}
		rep, err := p.Compare(currentFrom(p, raw), nil)
		if err != nil {
			if !isDriftError(err) {
				t.Fatalf("Compare: error %v wraps no drift sentinel", err)
			}
			return
		}
		if _, err := json.Marshal(rep); err != nil {
			t.Fatalf("report does not encode: %v", err)
		}
		if err := rep.WriteHTML(io.Discard, nil); err != nil {
			t.Fatalf("report does not render: %v", err)
		}
	})
}
