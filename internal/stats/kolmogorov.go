package stats

import "math"

// KolmogorovSF returns Pr(D_n > d) for the two-sided one-sample
// Kolmogorov-Smirnov statistic D_n with n observations: SciPy's
// kstwo.sf(d, n). It follows Simard and L'Ecuyer (2011) in choosing, by n
// and n*d^2, between the Ruben-Gambino closed forms, twice the exact
// one-sided Smirnov tail, the Durbin matrix (Marsaglia-Tsang-Wang) and the
// Pelz-Good expansion. Where SciPy uses Pomeranz's recursion this uses the
// Durbin matrix, which computes the same exact probability.
func KolmogorovSF(n int64, d float64) float64 {
	switch {
	case n <= 0 || math.IsNaN(d):
		return math.NaN()
	case d >= 1:
		return 0
	case d <= 0:
		return 1
	}
	fn := float64(n)
	t := fn * d
	if t <= 1 {
		if t <= 0.5 {
			return 1
		}
		var cdf float64
		if n <= 140 {
			cdf = 1
			for i := int64(1); i <= n; i++ {
				cdf *= float64(i) * (1 / fn) * (2*t - 1)
			}
		} else {
			cdf = math.Exp(logFactorialOverPower(fn) + fn*math.Log(2*t-1))
		}
		return clip01(1 - cdf)
	}
	if t >= fn-1 {
		return clip01(2 * math.Pow(1-d, fn))
	}
	if d >= 0.5 {
		return clip01(2 * SmirnovSF(n, d))
	}
	nd2 := t * d
	if n <= 140 {
		if nd2 <= 4 {
			return clip01(1 - durbinCDF(n, d))
		}
		return clip01(2 * SmirnovSF(n, d))
	}
	if nd2 >= 370 {
		return 0
	}
	if nd2 >= 2.2 {
		return clip01(2 * SmirnovSF(n, d))
	}
	var cdf float64
	switch {
	case nd2 >= 18:
		cdf = 1
	case n <= 100000 && fn*math.Pow(d, 1.5) <= 1.4:
		cdf = durbinCDF(n, d)
	default:
		cdf = pelzGoodCDF(fn, d)
	}
	return clip01(1 - cdf)
}

// logFactorialOverPower returns log(n!/n^n) by Stirling's series.
func logFactorialOverPower(n float64) float64 {
	coeffs := [...]float64{
		-2.955065359477124183e-2, 6.4102564102564102564e-3,
		-1.9175269175269175269e-3, 8.4175084175084175084e-4,
		-5.952380952380952381e-4, 7.9365079365079365079e-4,
		-2.7777777777777777778e-3, 8.3333333333333333333e-2,
	}
	rn := 1 / n
	x := rn / n
	poly := 0.0
	for _, c := range coeffs {
		poly = poly*x + c
	}
	return math.Log(n)/2 - n + math.Log(2*math.Pi)/2 + rn*poly
}

// SmirnovSF returns Pr(D+_n >= e), the exact upper tail of the one-sided
// Kolmogorov-Smirnov statistic (Birnbaum and Tingey), SciPy's
// special.smirnov(n, e). Terms are summed in log space, so large n neither
// overflows nor underflows.
func SmirnovSF(n int64, e float64) float64 {
	switch {
	case n <= 0 || math.IsNaN(e) || e < 0 || e > 1:
		return math.NaN()
	case e == 0:
		return 1
	case e == 1:
		return 0
	}
	fn := float64(n)
	last := int64(math.Floor(fn * (1 - e)))
	lgN1, _ := math.Lgamma(fn + 1)
	sum := 0.0
	// logC tracks log C(n, v) by the ratio (n-v)/(v+1), re-anchored on
	// Lgamma every 1024 terms so rounding cannot accumulate.
	logC := 0.0
	for v := int64(0); v <= last; v++ {
		fv := float64(v)
		if v%1024 == 0 {
			lgv, _ := math.Lgamma(fv + 1)
			lgnv, _ := math.Lgamma(fn - fv + 1)
			logC = lgN1 - lgv - lgnv
		}
		evn := e + fv/fn
		rest := (fn-fv)/fn - e
		if rest > 0 {
			lt := logC + (fv-1)*math.Log(evn) + (fn-fv)*math.Log(rest)
			if lt > -745 {
				sum += math.Exp(lt)
			}
		}
		logC += math.Log((fn - fv) / (fv + 1))
	}
	return clip01(sum * e)
}

// durbinCDF returns Pr(D_n <= d) by raising Durbin's matrix to the n-th
// power with Marsaglia, Tsang and Wang's scaling (2003).
func durbinCDF(n int64, d float64) float64 {
	const scaleExp = 128
	scale := math.Ldexp(1, scaleExp)
	fn := float64(n)
	nd := fn * d
	if d >= 1 {
		return 1
	}
	if nd <= 0.5 {
		return 0
	}
	k := int(math.Ceil(nd))
	h := float64(k) - nd
	m := 2*k - 1
	v := make([]float64, m)
	w := make([]float64, m)
	fac := 1.0
	for j := 1; j <= m; j++ {
		w[j-1] = fac
		fac /= float64(j)
		v[j-1] = (1 - math.Pow(h, float64(j))) * fac
	}
	tt := math.Pow(math.Max(2*h-1, 0), float64(m)) - 2*math.Pow(h, float64(m))
	v[m-1] = (1 + tt) * fac

	H := newSquare(m)
	for i := 1; i < m; i++ {
		for r := i - 1; r < m; r++ {
			H.set(r, i, w[r-i+1])
		}
	}
	for r := 0; r < m; r++ {
		H.set(r, 0, v[r])
	}
	for c := 0; c < m; c++ {
		H.set(m-1, c, v[m-1-c])
	}
	pw := newSquare(m)
	for i := 0; i < m; i++ {
		pw.set(i, i, 1)
	}
	tmp := newSquare(m)
	expnt, hExpnt := 0, 0
	for nn := n; nn > 0; nn /= 2 {
		if nn%2 == 1 {
			tmp.mul(pw, H)
			pw, tmp = tmp, pw
			expnt += hExpnt
		}
		tmp.mul(H, H)
		H, tmp = tmp, H
		hExpnt *= 2
		if math.Abs(H.at(k-1, k-1)) > scale {
			for i := range H.a {
				H.a[i] /= scale
			}
			hExpnt += scaleExp
		}
	}
	p := pw.at(k-1, k-1)
	for i := int64(1); i <= n; i++ {
		p = float64(i) * p / fn
		if math.Abs(p) < 1/scale {
			p *= scale
			expnt -= scaleExp
		}
	}
	return clip01(math.Ldexp(p, expnt))
}

type square struct {
	n int
	a []float64
}

func newSquare(n int) *square { return &square{n: n, a: make([]float64, n*n)} }

func (s *square) at(r, c int) float64     { return s.a[r*s.n+c] }
func (s *square) set(r, c int, v float64) { s.a[r*s.n+c] = v }

// mul sets s = x * y.
func (s *square) mul(x, y *square) {
	n := s.n
	clear(s.a)
	for r := 0; r < n; r++ {
		row := s.a[r*n : (r+1)*n]
		for k := 0; k < n; k++ {
			xv := x.a[r*n+k]
			if xv == 0 {
				continue
			}
			yr := y.a[k*n : (k+1)*n]
			for c := range row {
				row[c] += xv * yr[c]
			}
		}
	}
}

// pelzGoodCDF returns the Pelz-Good (1976) approximation of Pr(D_n <= x):
// the Li-Chien/Korolyuk expansion in powers of 1/sqrt(n) with each term
// rewritten through Jacobi theta functions to suit small z = x*sqrt(n).
func pelzGoodCDF(n, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	pi2 := math.Pi * math.Pi
	pi4, pi6 := pi2*pi2, pi2*pi2*pi2
	sqrt2pi := math.Sqrt(2 * math.Pi)
	z := math.Sqrt(n) * x
	z2, z3, z4, z6 := z*z, z*z*z, z*z*z*z, z*z*z*z*z*z
	qlog := -pi2 / 8 / z2
	if qlog < -708 {
		return 0
	}
	q := math.Exp(qlog)
	k1a, k1b := -z2, pi2/4
	k2a := 6*z6 + 2*z4
	k2b := (2*z4 - 5*z2) * pi2 / 4
	k2c := pi4 * (1 - 2*z2) / 16
	k3d := pi6 * (5 - 30*z2) / 64
	k3c := pi4 * (-60*z2 + 212*z4) / 16
	k3b := pi2 * (135*z4 - 96*z6) / 4
	k3a := -30*z6 - 90*math.Pow(z, 8)
	var K [4]float64
	maxk := int(math.Ceil(16 * z / math.Pi))
	for k := maxk; k > 0; k-- {
		m := float64(2*k - 1)
		m2 := m * m
		m4, m6 := m2*m2, m2*m2*m2
		qp := math.Pow(q, float64(8*k))
		c := [4]float64{
			1,
			k1a + k1b*m2,
			k2a + k2b*m2 + k2c*m4,
			k3a + k3b*m2 + k3c*m4 + k3d*m6,
		}
		for i := range K {
			K[i] = K[i]*qp + c[i]
		}
	}
	den := [4]float64{z, 6 * z4, 72 * math.Pow(z, 7), 6480 * math.Pow(z, 10)}
	for i := range K {
		K[i] = K[i] * q * sqrt2pi / den[i]
	}
	q = math.Exp(-pi2 / 2 / z2)
	sqrt3z := math.Sqrt(3) * z
	var k2extra, k3extra float64
	for k := maxk; k > 0; k-- {
		fk := float64(k)
		k2 := fk * fk
		qk := math.Pow(q, k2)
		kpi := math.Pi * fk
		k2extra += k2 * qk
		k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk
	}
	K[2] += k2extra * pi2 * sqrt2pi / (-36 * z3)
	K[3] += k3extra * pi2 * sqrt2pi / (216 * z6)
	sum := 0.0
	for i := range K {
		sum += K[i] / math.Pow(n, float64(i)/2)
	}
	return sum
}
