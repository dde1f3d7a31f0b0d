package beam

import "github.com/sextant-ml/sextant/drift"

// Row is one record of the data to profile: its numeric values and its
// categorical values by column name. A name must not be in both maps, in
// this row or across rows. A column missing from a row is not a value
// there (a null, as package drift/tabular leaves nulls out); NaN and ±Inf
// numeric values and empty categorical values are values that drift counts
// as missing and drops, as drift.Fit does.
//
// Rows encode with Beam's schema coder, so a PCollection of Row moves
// between workers on any runner. Convert your own record type to Row with
// a ParDo (see the package example).
type Row struct {
	Num map[string]float64
	Cat map[string]string
}

// Data returns the drift.Data the rows stand for: per column its values in
// row order, a column missing from a row contributing nothing there. FitProfile
// over a PCollection of these rows fits the profile drift.Fit fits on
// Data(rows) (see the package documentation for what is exact).
func Data(rows []Row) drift.Data {
	d := drift.Data{Numeric: map[string][]float64{}, Categorical: map[string][]string{}}
	for _, r := range rows {
		for k, v := range r.Num {
			d.Numeric[k] = append(d.Numeric[k], v)
		}
		for k, v := range r.Cat {
			d.Categorical[k] = append(d.Categorical[k], v)
		}
	}
	return d
}
