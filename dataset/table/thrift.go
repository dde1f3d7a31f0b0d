package table

import (
	"encoding/binary"
	"errors"
)

// Parquet's footer and page headers are Thrift compact-protocol structs.
// The decoder that turns them into Go values sizes each list and byte
// string by the length the input declares, so a few hostile bytes could
// ask for gigabytes before the decoder notices the data is not there.
// skimThrift walks the encoding first, without building anything, and
// refuses input whose declared lengths overrun the bytes or whose decoded
// form would exceed a memory budget; only input it accepts is decoded.

// errThriftShort reports an encoding that runs past the end of its bytes.
var errThriftShort = errors.New("truncated thrift struct")

// Compact-protocol type codes.
const (
	tBoolTrue  = 1
	tBoolFalse = 2
	tByte      = 3
	tI16       = 4
	tI32       = 5
	tI64       = 6
	tDouble    = 7
	tBinary    = 8
	tList      = 9
	tSet       = 10
	tMap       = 11
	tStruct    = 12
	tUUID      = 13
)

// Budget costs of decoded list elements: a struct element is charged more
// than any Parquet metadata struct occupies in memory (the largest, a
// column chunk, takes 560 bytes), a byte string its header plus its
// bytes, anything else a word or two.
const (
	costStruct = 1024
	costBinary = 32
	costScalar = 16
	// maxThriftDepth bounds struct nesting; Parquet metadata nests about
	// six deep.
	maxThriftDepth = 64
)

type thriftSkimmer struct {
	b      []byte
	off    int
	budget int64
}

// skimThrift checks that b begins with one compact-protocol struct whose
// lists and byte strings fit in b and whose decoded lists cost at most
// budget (see the cost constants). It returns the struct's length.
func skimThrift(b []byte, budget int64) (int, error) {
	s := &thriftSkimmer{b: b, budget: budget}
	if err := s.skimStruct(0); err != nil {
		return 0, err
	}
	return s.off, nil
}

func (s *thriftSkimmer) byte1() (byte, error) {
	if s.off >= len(s.b) {
		return 0, errThriftShort
	}
	c := s.b[s.off]
	s.off++
	return c, nil
}

func (s *thriftSkimmer) uvarint() (uint64, error) {
	v, n := binary.Uvarint(s.b[s.off:])
	if n <= 0 {
		if n == 0 {
			return 0, errThriftShort
		}
		return 0, errors.New("thrift varint overflows 64 bits")
	}
	s.off += n
	return v, nil
}

func (s *thriftSkimmer) skip(n uint64) error {
	if n > uint64(len(s.b)-s.off) {
		return errThriftShort
	}
	s.off += int(n)
	return nil
}

func (s *thriftSkimmer) charge(n uint64, each int64) error {
	if n > uint64(s.budget/each) {
		return errThriftBudget
	}
	s.budget -= int64(n) * each
	return nil
}

var errThriftBudget = errors.New("thrift struct too large")

func (s *thriftSkimmer) skimStruct(depth int) error {
	if depth > maxThriftDepth {
		return errors.New("thrift structs nested too deep")
	}
	for {
		h, err := s.byte1()
		if err != nil {
			return err
		}
		if h == 0 { // stop
			return nil
		}
		if h>>4 == 0 { // long form: the field id follows as a zigzag varint
			if _, err := s.uvarint(); err != nil {
				return err
			}
		}
		if err := s.skimValue(h&0x0f, depth, true); err != nil {
			return err
		}
	}
}

// skimValue skips one value of type t. In a struct field a boolean is
// carried by the type code; as a list element it takes a byte.
func (s *thriftSkimmer) skimValue(t byte, depth int, field bool) error {
	switch t {
	case tBoolTrue, tBoolFalse:
		if !field {
			_, err := s.byte1()
			return err
		}
		return nil
	case tByte:
		_, err := s.byte1()
		return err
	case tI16, tI32, tI64:
		_, err := s.uvarint()
		return err
	case tDouble:
		return s.skip(8)
	case tUUID:
		return s.skip(16)
	case tBinary:
		n, err := s.uvarint()
		if err != nil {
			return err
		}
		if err := s.charge(n, 1); err != nil {
			return err
		}
		return s.skip(n)
	case tStruct:
		return s.skimStruct(depth + 1)
	case tList, tSet:
		h, err := s.byte1()
		if err != nil {
			return err
		}
		n := uint64(h >> 4)
		if n == 15 {
			if n, err = s.uvarint(); err != nil {
				return err
			}
		}
		et := h & 0x0f
		// Every element takes at least a byte.
		if n > uint64(len(s.b)-s.off) {
			return errThriftShort
		}
		if err := s.charge(n, elementCost(et)); err != nil {
			return err
		}
		for range n {
			if err := s.skimValue(et, depth+1, false); err != nil {
				return err
			}
		}
		return nil
	case tMap:
		n, err := s.uvarint()
		if err != nil || n == 0 {
			return err
		}
		kv, err := s.byte1()
		if err != nil {
			return err
		}
		if n > uint64(len(s.b)-s.off) {
			return errThriftShort
		}
		kt, vt := kv>>4, kv&0x0f
		if err := s.charge(n, elementCost(kt)+elementCost(vt)); err != nil {
			return err
		}
		for range n {
			if err := s.skimValue(kt, depth+1, false); err != nil {
				return err
			}
			if err := s.skimValue(vt, depth+1, false); err != nil {
				return err
			}
		}
		return nil
	}
	return errors.New("unknown thrift type")
}

func elementCost(t byte) int64 {
	switch t {
	case tStruct, tList, tSet, tMap:
		return costStruct
	case tBinary:
		return costBinary
	}
	return costScalar
}
