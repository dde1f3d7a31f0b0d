package bench

import "testing"

func TestSameAnswers(t *testing.T) {
	for _, c := range Cases(false) {
		t.Run(c.Name, func(t *testing.T) {
			a, err := c.Sextant()
			if err != nil {
				t.Fatal(err)
			}
			e, err := c.Casbin()
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Check(a, e); err != nil {
				t.Error(err)
			}
		})
	}
}

func BenchmarkDecide(b *testing.B) {
	for _, c := range Cases(true) {
		a, err := c.Sextant()
		if err != nil {
			b.Fatal(err)
		}
		e, err := c.Casbin()
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Check(a, e); err != nil {
			b.Fatal(err)
		}
		b.Run(c.Name+"/sextant", func(b *testing.B) { c.BenchSextant(b, a) })
		b.Run(c.Name+"/casbin", func(b *testing.B) { c.BenchCasbin(b, e) })
	}
}
