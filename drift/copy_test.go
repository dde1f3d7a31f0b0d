package drift

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestDeepCopySharesNothing copies a profile whose every slice, map and
// pointer field is set, checks that the copy equals it, and walks both in
// step: no slice, map or pointer of the copy may be the original's. The
// walk is by reflection, so it covers a field added later; and it fails
// when the fixture leaves such a field of any profile type empty, so that
// the check keeps covering every one.
func TestDeepCopySharesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := Data{Numeric: map[string][]float64{"x": normalSample(rng, 5000, 0, 1)}, Categorical: map[string][]string{"c": {"a", "b", "a", "c"}}}
	p, err := Fit(data, &FitOptions{SampleSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	c := p.deepCopy()
	if !reflect.DeepEqual(c, p) {
		t.Fatal("the copy differs from the profile")
	}
	seen := map[string]bool{}
	var walk func(path string, a, b reflect.Value)
	walk = func(path string, a, b reflect.Value) {
		switch a.Kind() {
		case reflect.Pointer:
			if a.IsNil() {
				return
			}
			if a.Pointer() == b.Pointer() {
				t.Errorf("%s: the copy shares the pointer", path)
			}
			walk(path, a.Elem(), b.Elem())
		case reflect.Slice, reflect.Map:
			if a.Len() == 0 {
				return
			}
			seen[path] = true
			if a.Pointer() == b.Pointer() {
				t.Errorf("%s: the copy shares the %s", path, a.Kind())
			}
			if a.Kind() == reflect.Slice {
				for i := range a.Len() {
					walk(path, a.Index(i), b.Index(i))
				}
			}
		case reflect.Struct:
			for i := range a.NumField() {
				f := a.Type().Field(i)
				walk(a.Type().Name()+"."+f.Name, a.Field(i), b.Field(i))
			}
		}
	}
	walk("Profile", reflect.ValueOf(p), reflect.ValueOf(c))
	// Every slice and map field of the profile types, found the same way.
	var fields func(t reflect.Type, out map[string]bool)
	fields = func(typ reflect.Type, out map[string]bool) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				if ft.Kind() == reflect.Slice {
					out[typ.Name()+"."+f.Name] = true
				}
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Map {
				out[typ.Name()+"."+f.Name] = true
			}
			if ft.Kind() == reflect.Struct {
				fields(ft, out)
			}
		}
	}
	all := map[string]bool{}
	fields(reflect.TypeOf(Profile{}), all)
	for f := range all {
		if !seen[f] {
			t.Errorf("the fixture leaves %s empty, so its copy is not checked", f)
		}
	}
	if len(all) < 6 {
		t.Fatalf("found only %v: the field walk is broken", all)
	}
	// Merging into the copy leaves the original as it was.
	before := p.deepCopy()
	if err := c.mergeFrom(p); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, before) {
		t.Fatal("merging into the copy changed the original")
	}
}
