package drift

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/internal/stats"
)

// The result types are drift's own, so go doc shows their fields: none is
// an alias, and every field carries a comment.
func TestResultTypesDocumentTheirFields(t *testing.T) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	specs := map[string]*ast.TypeSpec{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok {
				specs[ts.Name.Name] = ts
			}
			return true
		})
	}
	for _, name := range []string{"KSResult", "KSMethod", "MannWhitneyResult", "CramerVonMisesResult", "ChiSquareResult"} {
		t.Run(name, func(t *testing.T) {
			ts := specs[name]
			if ts == nil {
				t.Fatalf("no type %s in drift", name)
			}
			if ts.Assign.IsValid() {
				t.Fatalf("%s is an alias; go doc would show no fields", name)
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return
			}
			for _, f := range st.Fields.List {
				if f.Doc == nil || strings.TrimSpace(f.Doc.Text()) == "" {
					t.Errorf("%s.%s has no comment", name, f.Names[0].Name)
				}
			}
		})
	}
}

// Callers written against the internal types compile unchanged: the same
// field names, in the same order, with the same kinds.
func TestResultTypesMatchInternalFields(t *testing.T) {
	fields := func(v any) []string {
		rt := reflect.TypeOf(v)
		var out []string
		for i := range rt.NumField() {
			out = append(out, rt.Field(i).Name+" "+rt.Field(i).Type.Kind().String())
		}
		return out
	}
	for _, c := range []struct {
		name      string
		ours, int any
	}{
		{"KSResult", KSResult{}, stats.KSResult{}},
		{"MannWhitneyResult", MannWhitneyResult{}, stats.MannWhitneyResult{}},
		{"CramerVonMisesResult", CramerVonMisesResult{}, stats.CramerVonMisesResult{}},
		{"ChiSquareResult", ChiSquareResult{}, stats.ChiSquareResult{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(fields(c.int), fields(c.ours)); diff != "" {
				t.Errorf("fields (-internal +drift):\n%s", diff)
			}
		})
	}
}

func TestKSMethodConversion(t *testing.T) {
	for _, c := range []struct {
		ours     KSMethod
		internal stats.KSMethod
		name     string
	}{
		{KSAuto, stats.KSAuto, "auto"},
		{KSExact, stats.KSExact, "exact"},
		{KSAsymptotic, stats.KSAsymptotic, "asymptotic"},
		{KSMethod(7), stats.KSMethod(7), stats.KSMethod(7).String()},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.ours.stats(); got != c.internal {
				t.Errorf("%d.stats() = %d, want %d", c.ours, got, c.internal)
			}
			if got := ksMethodFrom(c.internal); got != c.ours {
				t.Errorf("ksMethodFrom(%d) = %d, want %d", c.internal, got, c.ours)
			}
			if got := c.ours.String(); got != c.name {
				t.Errorf("String() = %q, want %q", got, c.name)
			}
		})
	}
	if KSExactMaxN != stats.KSExactMaxN {
		t.Errorf("KSExactMaxN = %d, internal %d", KSExactMaxN, stats.KSExactMaxN)
	}
}

// KS passes the method through and reports the one used.
func TestKSReportsMethodUsed(t *testing.T) {
	x, y := []float64{1, 2, 3, 4, 5}, []float64{3, 4, 5, 6, 7, 8}
	for _, c := range []struct {
		in, want KSMethod
	}{
		{KSAuto, KSExact},
		{KSExact, KSExact},
		{KSAsymptotic, KSAsymptotic},
	} {
		t.Run(c.in.String(), func(t *testing.T) {
			r, err := KS(x, y, c.in)
			if err != nil {
				t.Fatal(err)
			}
			want, err := stats.KolmogorovSmirnov(x, y, c.in.stats())
			if err != nil {
				t.Fatal(err)
			}
			if r.Method != c.want || r.D != want.D || r.P != want.P {
				t.Errorf("KS = %+v, want D %v P %v method %v", r, want.D, want.P, c.want)
			}
		})
	}
}
