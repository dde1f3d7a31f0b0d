package stats

import (
	"fmt"
	"math"
)

// runs walks a sorted sample given as values with optional multiplicities
// (nil counts mean one each), one distinct value at a time.
type runs struct {
	v []float64
	c []int64
	i int
}

func (r *runs) done() bool { return r.i >= len(r.v) }

func (r *runs) peek() float64 { return r.v[r.i] }

// take consumes every entry equal to x and returns their total count.
func (r *runs) take(x float64) int64 {
	var n int64
	for r.i < len(r.v) && r.v[r.i] == x {
		if r.c == nil {
			n++
		} else {
			n += r.c[r.i]
		}
		r.i++
	}
	return n
}

// nextValue returns the smallest value not yet consumed by either walker.
func nextValue(a, b *runs) float64 {
	if b.done() || (!a.done() && a.peek() <= b.peek()) {
		return a.peek()
	}
	return b.peek()
}

// Counted is a sorted sample stored as ascending values with their
// multiplicities, the form a reference profile keeps. A nil Counts means
// every value occurs once.
type Counted struct {
	Values []float64
	Counts []int64
}

// N returns the number of observations.
func (c Counted) N() int64 {
	if c.Counts == nil {
		return int64(len(c.Values))
	}
	var n int64
	for _, k := range c.Counts {
		n += k
	}
	return n
}

func (c Counted) runs() *runs { return &runs{v: c.Values, c: c.Counts} }

// check validates a counted sample: aligned counts, positive counts whose
// total fits an int64, ascending values and no NaN.
func (c Counted) check(test string, which int) error {
	if c.Counts != nil && len(c.Counts) != len(c.Values) {
		return fmt.Errorf("%w: %s sample %d has %d values and %d counts", ErrInvalid, test, which, len(c.Values), len(c.Counts))
	}
	if len(c.Values) == 0 {
		return fmt.Errorf("%w: %s sample %d has no values", ErrEmpty, test, which)
	}
	for i, v := range c.Values {
		if v != v {
			return fmt.Errorf("%w: %s sample %d at index %d", ErrNaN, test, which, i)
		}
		if i > 0 && v < c.Values[i-1] {
			return fmt.Errorf("%w: %s sample %d is not sorted at index %d", ErrInvalid, test, which, i)
		}
		if c.Counts != nil && c.Counts[i] <= 0 {
			return fmt.Errorf("%w: %s sample %d has count %d at index %d", ErrInvalid, test, which, c.Counts[i], i)
		}
	}
	var total int64
	for _, k := range c.Counts {
		if total > math.MaxInt64-k {
			return fmt.Errorf("%w: %s sample %d counts overflow", ErrInvalid, test, which)
		}
		total += k
	}
	return nil
}
