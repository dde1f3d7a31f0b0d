package drift

import (
	"fmt"
	"math"
	"slices"

	"github.com/sextant-ml/sextant/internal/stats"
)

// Epsilon replaces empty proportions in PSI and Kullback-Leibler, whose
// logarithms are undefined at zero.
const Epsilon = 1e-4

// StdFloor is the smallest reference standard deviation normed Wasserstein
// divides by, so a constant reference gives a finite score.
const StdFloor = 0.001

// proportions normalises counts (or weights) to sum to 1.
func proportions(counts []float64) ([]float64, error) {
	total := 0.0
	for i, c := range counts {
		if math.IsNaN(c) || c < 0 || math.IsInf(c, 0) {
			return nil, fmt.Errorf("%w: count %v at %d", ErrInvalid, c, i)
		}
		total += c
	}
	if total == 0 {
		return nil, fmt.Errorf("%w: counts sum to zero", ErrEmpty)
	}
	if math.IsInf(total, 0) {
		return nil, fmt.Errorf("%w: counts sum past the float64 range", ErrInvalid)
	}
	p := make([]float64, len(counts))
	for i, c := range counts {
		p[i] = c / total
	}
	return p, nil
}

// pair normalises two count vectors over the same bins.
func pair(ref, cur []float64) (p, q []float64, err error) {
	if len(ref) != len(cur) {
		return nil, nil, fmt.Errorf("%w: %d reference bins and %d current bins", ErrInvalid, len(ref), len(cur))
	}
	if p, err = proportions(ref); err != nil {
		return nil, nil, err
	}
	if q, err = proportions(cur); err != nil {
		return nil, nil, err
	}
	return p, q, nil
}

func floorEps(p float64) float64 {
	if p == 0 {
		return Epsilon
	}
	return p
}

// PSI returns the population stability index sum((q-p)*ln(q/p)) of current
// counts cur against reference counts ref over the same bins, with empty
// proportions replaced by Epsilon. Counts are normalised first.
func PSI(ref, cur []float64) (float64, error) {
	p, q, err := pair(ref, cur)
	if err != nil {
		return 0, err
	}
	s := 0.0
	for i := range p {
		pe, qe := floorEps(p[i]), floorEps(q[i])
		s += (qe - pe) * math.Log(qe/pe)
	}
	return s, nil
}

// KullbackLeibler returns KL(cur || ref) = sum(q*ln(q/p)) in nats, with
// empty proportions replaced by Epsilon and both vectors renormalised after
// the replacement (as scipy.stats.entropy does).
func KullbackLeibler(ref, cur []float64) (float64, error) {
	p, q, err := pair(ref, cur)
	if err != nil {
		return 0, err
	}
	var sp, sq float64
	for i := range p {
		p[i], q[i] = floorEps(p[i]), floorEps(q[i])
		sp += p[i]
		sq += q[i]
	}
	s := 0.0
	for i := range p {
		pi, qi := p[i]/sp, q[i]/sq
		s += qi * math.Log(qi/pi)
	}
	return s, nil
}

// JensenShannon returns the Jensen-Shannon distance in base 2 (the square
// root of the divergence, in [0, 1]) between the two distributions, as
// scipy.spatial.distance.jensenshannon(p, q, base=2).
func JensenShannon(ref, cur []float64) (float64, error) {
	p, q, err := pair(ref, cur)
	if err != nil {
		return 0, err
	}
	js := 0.0
	for i := range p {
		m := (p[i] + q[i]) / 2
		js += xlogy(p[i], m) + xlogy(q[i], m)
	}
	js /= math.Ln2
	return math.Sqrt(math.Max(js/2, 0)), nil
}

// xlogy returns x*ln(x/m), 0 when x is 0.
func xlogy(x, m float64) float64 {
	if x == 0 {
		return 0
	}
	return x * math.Log(x/m)
}

// Hellinger returns the Hellinger distance sqrt(1 - sum(sqrt(p*q))).
func Hellinger(ref, cur []float64) (float64, error) {
	p, q, err := pair(ref, cur)
	if err != nil {
		return 0, err
	}
	bc := 0.0
	for i := range p {
		bc += math.Sqrt(p[i] * q[i])
	}
	return math.Sqrt(math.Max(0, 1-bc)), nil
}

// LInfinity returns the largest absolute difference between the two
// distributions' proportions.
func LInfinity(ref, cur []float64) (float64, error) {
	p, q, err := pair(ref, cur)
	if err != nil {
		return 0, err
	}
	m := 0.0
	for i := range p {
		m = math.Max(m, math.Abs(p[i]-q[i]))
	}
	return m, nil
}

// Wasserstein returns the first Wasserstein (earth mover's) distance
// between two samples, as scipy.stats.wasserstein_distance(x, y).
func Wasserstein(x, y []float64) (float64, error) {
	if err := checkValues(x, y); err != nil {
		return 0, err
	}
	xs, ys := slices.Clone(x), slices.Clone(y)
	stats.Sort(xs)
	stats.Sort(ys)
	w := wassersteinCounted(stats.Counted{Values: xs}, ys)
	if math.IsInf(w, 0) || math.IsNaN(w) {
		return 0, fmt.Errorf("%w: wasserstein distance overflowed", ErrInvalid)
	}
	return w, nil
}

// WassersteinNormed returns Wasserstein(ref, cur) divided by the reference's
// population standard deviation, floored at StdFloor.
func WassersteinNormed(ref, cur []float64) (float64, error) {
	w, err := Wasserstein(ref, cur)
	if err != nil {
		return 0, err
	}
	var m moments
	for _, v := range ref {
		m.add(v)
	}
	if bad(m.Mean) || bad(m.M2) {
		return 0, fmt.Errorf("%w: reference standard deviation overflowed", ErrInvalid)
	}
	return w / math.Max(m.std(), StdFloor), nil
}

func checkValues(samples ...[]float64) error {
	for i, s := range samples {
		if len(s) == 0 {
			return fmt.Errorf("%w: sample %d has no values", ErrEmpty, i+1)
		}
		for j, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: sample %d holds %v at %d", ErrInvalid, i+1, v, j)
			}
		}
	}
	return nil
}
