package drift

import "math"

// moments accumulates count, mean and the sum of squared deviations with
// Welford's update; two accumulators merge exactly in the sense of Chan et
// al. (the merged mean and variance equal those of the union up to
// rounding).
type moments struct {
	N    int64   `json:"n"`
	Mean float64 `json:"mean"`
	M2   float64 `json:"m2"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
}

func (m *moments) add(v float64) {
	if m.N == 0 {
		m.Min, m.Max = v, v
	}
	m.N++
	d := v - m.Mean
	m.Mean += d / float64(m.N)
	m.M2 += d * (v - m.Mean)
	m.Min = math.Min(m.Min, v)
	m.Max = math.Max(m.Max, v)
}

func (m *moments) merge(o moments) {
	if o.N == 0 {
		return
	}
	if m.N == 0 {
		*m = o
		return
	}
	n := m.N + o.N
	d := o.Mean - m.Mean
	m.Mean += d * float64(o.N) / float64(n)
	m.M2 += o.M2 + d*d*float64(m.N)*float64(o.N)/float64(n)
	m.N = n
	m.Min = math.Min(m.Min, o.Min)
	m.Max = math.Max(m.Max, o.Max)
}

// std returns the population standard deviation (NumPy's np.std default).
func (m moments) std() float64 {
	if m.N == 0 {
		return 0
	}
	return math.Sqrt(math.Max(m.M2, 0) / float64(m.N))
}
