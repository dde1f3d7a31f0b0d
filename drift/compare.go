package drift

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/sextant-ml/sextant/internal/stats"
)

// ColumnOptions override the comparison of one column.
type ColumnOptions struct {
	// Method is the test or distance. Default MethodAuto.
	Method Method
	// Threshold is the p-value below which a test flags drift, in (0, 1],
	// or the distance at which a distance flags drift, finite and
	// positive. Default: the method's DefaultThreshold.
	Threshold float64
	// KSMethod selects exact or asymptotic KS p-values. Default KSAuto.
	KSMethod KSMethod
}

// Rule decides dataset-level drift from the column verdicts.
type Rule string

// Dataset rules.
const (
	// RuleShare flags the data set when the share of drifted columns
	// reaches CompareOptions.Share (Evidently's rule).
	RuleShare Rule = "share"
	// RuleBonferroni tests every p-value at Alpha divided by the number of
	// tested columns and flags the data set when any column drifts.
	RuleBonferroni Rule = "bonferroni"
	// RuleBenjaminiHochberg controls the false discovery rate at Alpha:
	// a tested column drifts when its p-value is at most the largest
	// p_(i) with p_(i) <= i*Alpha/k; the data set drifts when any column
	// does.
	RuleBenjaminiHochberg Rule = "benjamini_hochberg"
)

// CompareOptions tune Compare. The zero value (or nil) gives the defaults.
type CompareOptions struct {
	// Columns overrides the method and threshold per column by name.
	// Default: MethodAuto with the method's threshold for every column.
	Columns map[string]ColumnOptions
	// Rule decides dataset drift. Default RuleShare.
	Rule Rule
	// Share is RuleShare's threshold. Default 0.5.
	Share float64
	// Alpha is the family-wise error rate (Bonferroni) or false discovery
	// rate (Benjamini-Hochberg). Default 0.05.
	Alpha float64
}

func (o *CompareOptions) withDefaults() (CompareOptions, error) {
	var c CompareOptions
	if o != nil {
		c = *o
	}
	if c.Rule == "" {
		c.Rule = RuleShare
	}
	if c.Share == 0 {
		c.Share = 0.5
	}
	if c.Alpha == 0 {
		c.Alpha = 0.05
	}
	switch {
	case c.Rule != RuleShare && c.Rule != RuleBonferroni && c.Rule != RuleBenjaminiHochberg:
		return c, fmt.Errorf("%w: unknown rule %q", ErrInvalid, c.Rule)
	case !(c.Share > 0 && c.Share <= 1) || !(c.Alpha > 0 && c.Alpha < 1):
		return c, fmt.Errorf("%w: share %v and alpha %v must lie in (0, 1]", ErrInvalid, c.Share, c.Alpha)
	}
	return c, nil
}

// Counts describes the values of one side of a column comparison.
type Counts struct {
	// Rows counts every value given.
	Rows int64 `json:"rows"`
	// Used counts the values compared (Rows minus NaN and Inf).
	Used int64 `json:"used"`
	// NaN counts NaN values, or empty strings in categorical columns.
	NaN int64 `json:"nan"`
	// Inf counts infinite values.
	Inf int64 `json:"inf"`
}

// Chart holds the shares of reference and current values per bin or
// category, for plotting.
type Chart struct {
	Labels    []string  `json:"labels"`
	Reference []float64 `json:"reference"`
	Current   []float64 `json:"current"`
}

// ColumnResult is the verdict on one column.
type ColumnResult struct {
	Column string `json:"column"`
	Kind   Kind   `json:"kind"`
	Method Method `json:"method"`
	// Statistic is the test statistic (MethodKS D, chi-square, z, U, T) or the
	// distance.
	Statistic float64 `json:"statistic"`
	// Score is the p-value for tests and the distance otherwise; Drifted
	// compares it with Threshold.
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
	IsTest    bool    `json:"is_test"`
	Drifted   bool    `json:"drifted"`
	Reference Counts  `json:"reference"`
	Current   Counts  `json:"current"`
	// Unseen lists current categories absent from the reference.
	Unseen []string `json:"unseen,omitempty"`
	Chart  Chart    `json:"chart"`
	// PValue is a p-value beside the score: the score itself for tests;
	// for distances the p-value of PValueMethod (MethodKS on numeric
	// columns, MethodChiSquare on categorical ones) on the same data.
	// Nil when that test cannot be computed (a single category).
	PValue       *float64 `json:"p_value,omitempty"`
	PValueMethod Method   `json:"p_value_method,omitempty"`
	// Stats summarise each side of the column.
	Stats ColumnStats `json:"stats"`
	// Histogram and ECDF, for numeric columns only, place both sides on
	// one value axis; nil when the column's range overflows float64. The
	// numeric summaries are nil when its moments overflow.
	Histogram *ValueHistogram `json:"histogram,omitempty"`
	ECDF      *ECDF           `json:"ecdf,omitempty"`
}

// Report is the outcome of comparing current data with a reference.
type Report struct {
	Columns        []ColumnResult `json:"columns"`
	Rule           Rule           `json:"rule"`
	ShareThreshold float64        `json:"share_threshold,omitempty"`
	Alpha          float64        `json:"alpha,omitempty"`
	DriftedColumns int            `json:"drifted_columns"`
	Share          float64        `json:"share"`
	Drifted        bool           `json:"drifted"`
}

// Compare tests reference data against current data column by column
// without a persisted profile: the reference is profiled with every value
// kept, so each test and distance equals SciPy's on the raw data.
func Compare(reference, current Data, opts *CompareOptions) (*Report, error) {
	p, err := Fit(reference, &FitOptions{SampleSize: -1})
	if err != nil {
		return nil, err
	}
	return p.Compare(current, opts)
}

// Compare tests current data against the profile, column by column, and
// decides dataset drift by the options' rule. The current data must have
// exactly the profile's columns with the same kinds (ErrUnknownColumn) and
// at least one usable value per column (ErrEmpty). A nil profile
// (ErrInvalid) or one that breaks Fit's invariants (ErrCorrupt) is
// rejected before anything is compared.
//
// With MethodAuto, a column's method is chosen as Evidently does, from the
// reference's row count and the number of distinct values in reference and
// current together: numeric columns use MethodKS up to 1000 reference rows
// and normed MethodWasserstein above, except that a column with at most 5
// distinct values is treated as categorical; categorical columns use
// MethodZ for at most 2 categories and MethodChiSquare otherwise up to
// 1000 rows, and MethodJensenShannon above.
func (p *Profile) Compare(current Data, opts *CompareOptions) (*Report, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	names, err := current.names()
	if err != nil {
		return nil, err
	}
	if len(names) != len(p.Columns) {
		return nil, fmt.Errorf("%w: current data has %d columns, the profile %d", ErrUnknownColumn, len(names), len(p.Columns))
	}
	for n := range o.Columns {
		if _, err := p.Column(n); err != nil {
			return nil, err
		}
	}
	r := &Report{}
	for i := range p.Columns {
		col := &p.Columns[i]
		var cur batch
		switch vals, ok := current.Numeric[col.Name]; {
		case ok && col.Kind == Numeric:
			cur = numericCurrent(vals)
		case !ok && col.Kind == Categorical:
			cv, ok := current.Categorical[col.Name]
			if !ok {
				return nil, fmt.Errorf("%w: %q missing from the current data", ErrUnknownColumn, col.Name)
			}
			cur = categoricalCurrent(cv)
		default:
			return nil, fmt.Errorf("%w: %q is %s in the profile but not in the current data", ErrUnknownColumn, col.Name, col.Kind)
		}
		res, err := compareColumn(col, cur, o.Columns[col.Name])
		if err != nil {
			return nil, err
		}
		r.Columns = append(r.Columns, res)
	}
	r.decide(o)
	return r, nil
}

// batch is one column of current data, cleaned.
type batch struct {
	counts Counts
	sorted []float64        // numeric: finite values, ascending
	cats   map[string]int64 // categorical
}

func numericCurrent(vals []float64) batch {
	c := batch{counts: Counts{Rows: int64(len(vals))}, sorted: make([]float64, 0, len(vals))}
	for _, v := range vals {
		switch {
		case math.IsNaN(v):
			c.counts.NaN++
		case math.IsInf(v, 0):
			c.counts.Inf++
		default:
			c.sorted = append(c.sorted, v)
		}
	}
	stats.Sort(c.sorted)
	c.counts.Used = int64(len(c.sorted))
	return c
}

func categoricalCurrent(vals []string) batch {
	c := batch{counts: Counts{Rows: int64(len(vals))}, cats: make(map[string]int64)}
	for _, v := range vals {
		if v == "" {
			c.counts.NaN++
			continue
		}
		c.cats[v]++
	}
	c.counts.Used = c.counts.Rows - c.counts.NaN
	return c
}

// compareColumn scores one column. It is shared by Compare and Stream.
func compareColumn(col *ColumnProfile, cur batch, o ColumnOptions) (ColumnResult, error) {
	res := ColumnResult{
		Column:    col.Name,
		Kind:      col.Kind,
		Reference: Counts{Rows: col.Rows, NaN: col.NaN, Inf: col.Inf, Used: col.Rows - col.NaN - col.Inf},
		Current:   cur.counts,
	}
	if cur.counts.Used == 0 {
		return res, fmt.Errorf("%w: column %q has no usable current values", ErrEmpty, col.Name)
	}
	method := o.Method
	if col.Kind == Numeric {
		np := col.Numeric
		distinct := countDistinct(np.Values, cur.sorted, 6)
		if method == MethodAuto {
			method = autoNumeric(col.Rows, distinct)
		}
		if err := method.check(Numeric); err != nil {
			return res, within(err, "column %q", col.Name)
		}
		res.Chart = binChart(np.Edges, np.BinCounts, sortedHistogram(np.Edges, cur.sorted))
		if err := scoreNumeric(&res, np, cur.sorted, method, o.KSMethod); err != nil {
			return res, within(fromStats(err), "column %q", col.Name)
		}
	} else {
		labels, ref, cr, unseen := categoryVectors(col.Categorical.Counts, cur.cats)
		res.Unseen = unseen
		if method == MethodAuto {
			method = autoCategorical(col.Rows, len(labels))
		}
		if err := method.check(Categorical); err != nil {
			return res, within(err, "column %q", col.Name)
		}
		res.Chart = shareChart(labels, ref, cr)
		if err := scoreCategories(&res, ref, cr, method); err != nil {
			return res, within(fromStats(err), "column %q", col.Name)
		}
	}
	res.Method = method
	res.IsTest = method.IsTest()
	res.Threshold = o.Threshold
	if res.Threshold == 0 {
		res.Threshold = method.DefaultThreshold()
	}
	if !(res.Threshold > 0) || math.IsInf(res.Threshold, 0) || (res.IsTest && res.Threshold > 1) {
		return res, fmt.Errorf("%w: column %q: threshold %v for %s", ErrInvalid, col.Name, res.Threshold, method)
	}
	if bad(res.Score) || bad(res.Statistic) {
		return res, fmt.Errorf("%w: column %q: %s overflowed (statistic %v, score %v)", ErrInvalid, col.Name, method, res.Statistic, res.Score)
	}
	res.Drifted = verdict(res.IsTest, res.Score, res.Threshold)
	describe(&res, col, cur)
	return res, nil
}

// bad reports a number JSON cannot carry.
func bad(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }

func verdict(isTest bool, score, threshold float64) bool {
	if isTest {
		return score < threshold
	}
	return score >= threshold
}

func autoNumeric(rows int64, distinct int) Method {
	switch {
	case rows <= 1000 && distinct <= 2:
		return MethodZ
	case rows <= 1000 && distinct <= 5:
		return MethodChiSquare
	case rows <= 1000:
		return MethodKS
	case distinct <= 5:
		return MethodJensenShannon
	}
	return MethodWasserstein
}

func autoCategorical(rows int64, categories int) Method {
	switch {
	case rows > 1000:
		return MethodJensenShannon
	case categories <= 2:
		return MethodZ
	}
	return MethodChiSquare
}

// countDistinct counts distinct values across two sorted slices, stopping
// at limit.
func countDistinct(a, b []float64, limit int) int {
	n, i, j := 0, 0, 0
	for (i < len(a) || j < len(b)) && n < limit {
		var v float64
		if j >= len(b) || (i < len(a) && a[i] <= b[j]) {
			v = a[i]
		} else {
			v = b[j]
		}
		for i < len(a) && a[i] == v {
			i++
		}
		for j < len(b) && b[j] == v {
			j++
		}
		n++
	}
	return n
}

func scoreNumeric(res *ColumnResult, np *NumericProfile, cur []float64, m Method, ksm KSMethod) error {
	ref := stats.Counted{Values: np.Values, Counts: np.Counts}
	c := stats.Counted{Values: cur}
	switch m {
	case MethodKS:
		r, err := stats.KolmogorovSmirnovCounted(ref, c, ksm.stats())
		res.Statistic, res.Score = r.D, r.P
		return err
	case MethodCramerVonMises:
		r, err := stats.CramerVonMisesCounted(ref, c)
		res.Statistic, res.Score = r.Statistic, r.P
		return err
	case MethodMannWhitney:
		r, err := stats.MannWhitneyUCounted(ref, c)
		res.Statistic, res.Score = r.U, r.P
		return err
	case MethodWasserstein, MethodWassersteinRaw:
		w := wassersteinCounted(ref, cur)
		if m == MethodWasserstein {
			w /= math.Max(np.Std(), StdFloor)
		}
		res.Statistic, res.Score = w, w
		return nil
	case MethodChiSquare, MethodChiSquareGOF, MethodZ:
		// Discrete numeric data: categories are the distinct values.
		labels, r, cr := valueVectors(np.Values, np.Counts, cur)
		res.Chart = shareChart(labels, r, cr)
		return scoreCategories(res, r, cr, m)
	}
	ref2 := make([]float64, len(np.BinCounts))
	for i, v := range np.BinCounts {
		ref2[i] = float64(v)
	}
	cr := make([]float64, len(ref2))
	for i, v := range sortedHistogram(np.Edges, cur) {
		cr[i] = float64(v)
	}
	return scoreCategories(res, ref2, cr, m)
}

func scoreCategories(res *ColumnResult, ref, cur []float64, m Method) error {
	var err error
	switch m {
	case MethodChiSquare:
		var r stats.ChiSquareResult
		r, err = stats.ChiSquareContingency(ref, cur)
		res.Statistic, res.Score = r.Statistic, r.P
	case MethodChiSquareGOF:
		var r stats.ChiSquareResult
		r, err = chiSquareGOF(ref, cur)
		res.Statistic, res.Score = r.Statistic, r.P
	case MethodZ:
		if len(ref) > 2 {
			return fmt.Errorf("%w: z-test needs at most two categories, have %d", ErrMethod, len(ref))
		}
		var nr, nc float64
		for i := range ref {
			nr += ref[i]
			nc += cur[i]
		}
		res.Statistic, res.Score, err = stats.TwoProportionZ(int64(ref[0]), int64(nr), int64(cur[0]), int64(nc))
	default:
		var d float64
		d, err = distanceFunc(m)(ref, cur)
		res.Statistic, res.Score = d, d
	}
	return err
}

func distanceFunc(m Method) func(ref, cur []float64) (float64, error) {
	switch m {
	case MethodPSI:
		return PSI
	case MethodKL:
		return KullbackLeibler
	case MethodHellinger:
		return Hellinger
	case MethodLInfinity:
		return LInfinity
	}
	return JensenShannon
}

// wassersteinCounted is Wasserstein-1 between a counted reference and a
// sorted current sample: the integral of |F_ref - F_cur| over the pooled
// sample.
func wassersteinCounted(ref stats.Counted, cur []float64) float64 {
	nr, nc := float64(ref.N()), float64(len(cur))
	var cr, cc float64
	i, j := 0, 0
	sum := 0.0
	prev := math.Min(ref.Values[0], cur[0])
	for i < len(ref.Values) || j < len(cur) {
		var v float64
		if j >= len(cur) || (i < len(ref.Values) && ref.Values[i] <= cur[j]) {
			v = ref.Values[i]
		} else {
			v = cur[j]
		}
		sum += math.Abs(cr/nr-cc/nc) * (v - prev)
		prev = v
		for i < len(ref.Values) && ref.Values[i] == v {
			if ref.Counts == nil {
				cr++
			} else {
				cr += float64(ref.Counts[i])
			}
			i++
		}
		for j < len(cur) && cur[j] == v {
			cc++
			j++
		}
	}
	return sum
}

// categoryVectors aligns reference and current category counts over the
// sorted union of categories.
func categoryVectors(ref, cur map[string]int64) (labels []string, r, c []float64, unseen []string) {
	for k := range ref {
		labels = append(labels, k)
	}
	for k := range cur {
		if _, ok := ref[k]; !ok {
			labels = append(labels, k)
			unseen = append(unseen, k)
		}
	}
	slices.Sort(labels)
	slices.Sort(unseen)
	r, c = make([]float64, len(labels)), make([]float64, len(labels))
	for i, k := range labels {
		r[i], c[i] = float64(ref[k]), float64(cur[k])
	}
	return labels, r, c, unseen
}

// valueVectors counts distinct values of a counted reference and a sorted
// current sample over their union.
func valueVectors(vals []float64, counts []int64, cur []float64) (labels []string, r, c []float64) {
	i, j := 0, 0
	for i < len(vals) || j < len(cur) {
		var v float64
		if j >= len(cur) || (i < len(vals) && vals[i] <= cur[j]) {
			v = vals[i]
		} else {
			v = cur[j]
		}
		var rc, cc float64
		for i < len(vals) && vals[i] == v {
			rc += float64(counts[i])
			i++
		}
		for j < len(cur) && cur[j] == v {
			cc++
			j++
		}
		labels = append(labels, strconv.FormatFloat(v, 'g', -1, 64))
		r, c = append(r, rc), append(c, cc)
	}
	return labels, r, c
}

func shareChart(labels []string, ref, cur []float64) Chart {
	return Chart{Labels: labels, Reference: shares(ref), Current: shares(cur)}
}

func binChart(edges []float64, ref, cur []int64) Chart {
	labels := make([]string, len(edges)+1)
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
	for i := range labels {
		switch {
		case len(edges) == 0:
			labels[i] = "all"
		case i == 0:
			labels[i] = "< " + f(edges[0])
		case i == len(edges):
			labels[i] = "≥ " + f(edges[i-1])
		default:
			labels[i] = "[" + f(edges[i-1]) + ", " + f(edges[i]) + ")"
		}
	}
	rf, cf := make([]float64, len(ref)), make([]float64, len(cur))
	for i := range ref {
		rf[i], cf[i] = float64(ref[i]), float64(cur[i])
	}
	return shareChart(labels, rf, cf)
}

func shares(counts []float64) []float64 {
	total := 0.0
	for _, c := range counts {
		total += c
	}
	out := make([]float64, len(counts))
	if total == 0 {
		return out
	}
	for i, c := range counts {
		out[i] = c / total
	}
	return out
}

// decide applies the dataset rule to the column verdicts.
func (r *Report) decide(o CompareOptions) {
	r.Rule = o.Rule
	var tested []int
	for i, c := range r.Columns {
		if c.IsTest {
			tested = append(tested, i)
		}
	}
	switch o.Rule {
	case RuleShare:
		r.ShareThreshold = o.Share
	case RuleBonferroni:
		r.Alpha = o.Alpha
		for _, i := range tested {
			c := &r.Columns[i]
			c.Threshold = o.Alpha / float64(len(tested))
			c.Drifted = c.Score < c.Threshold
		}
	case RuleBenjaminiHochberg:
		r.Alpha = o.Alpha
		k := float64(len(tested))
		order := slices.Clone(tested)
		slices.SortStableFunc(order, func(a, b int) int {
			switch pa, pb := r.Columns[a].Score, r.Columns[b].Score; {
			case pa < pb:
				return -1
			case pa > pb:
				return 1
			}
			return 0
		})
		cut := o.Alpha / k
		for rank, i := range order {
			crit := float64(rank+1) * o.Alpha / k
			if r.Columns[i].Score <= crit {
				cut = crit
			}
		}
		for _, i := range tested {
			c := &r.Columns[i]
			c.Threshold = cut
			c.Drifted = c.Score <= cut
		}
	}
	r.DriftedColumns = 0
	for _, c := range r.Columns {
		if c.Drifted {
			r.DriftedColumns++
		}
	}
	r.Share = float64(r.DriftedColumns) / float64(len(r.Columns))
	if o.Rule == RuleShare {
		r.Drifted = r.Share >= o.Share
	} else {
		r.Drifted = r.DriftedColumns > 0
	}
}
