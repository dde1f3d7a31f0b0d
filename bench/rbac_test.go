package bench

import (
	"math/rand/v2"
	"testing"

	"github.com/casbin/casbin/v2"

	"github.com/sextant-ml/sextant/rbac"
)

// engines builds both engines for a case.
func engines(tb testing.TB, c *Case) (*rbac.Authorizer, *casbin.Enforcer) {
	tb.Helper()
	a, err := c.Sextant()
	if err != nil {
		tb.Fatal(err)
	}
	e, err := c.Casbin()
	if err != nil {
		tb.Fatal(err)
	}
	return a, e
}

func TestSameAnswers(t *testing.T) {
	for _, c := range Cases(false) {
		t.Run(c.Name, func(t *testing.T) {
			a, e := engines(t, &c)
			ce, err := c.CasbinCached()
			if err != nil {
				t.Fatal(err)
			}
			se, err := c.CasbinSyncedCached()
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range []Enforcer{e, ce, se} {
				// Twice: the cached enforcers answer the second round
				// from their caches.
				for range 2 {
					if err := c.Check(a, e); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
}

// TestEnginesAgree asks both engines random questions about each shape,
// beyond the fixed benchmark requests: users, data names and verbs drawn
// from the shape (half the time a name one of the user's roles holds, and
// a few strangers), with no expected answer but each other's. Casbin's
// Enforce takes milliseconds on the medium shape, hence fewer draws there.
func TestEnginesAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	draws := map[string]int{"five-rules": 2000, "small": 1000, "medium": 150}
	for _, c := range Cases(false) {
		t.Run(c.Name, func(t *testing.T) {
			a, e := engines(t, &c)
			held := map[string][]string{} // role or user -> names granted to it directly
			for _, p := range c.P {
				held[p[0]] = append(held[p[0]], p[1])
			}
			users := []string{"bob", "nobody"}
			var names []string
			for _, g := range c.G {
				users = append(users, g[0])
				held[g[0]] = append(held[g[0]], held[g[1]]...)
			}
			for _, p := range c.P {
				names = append(names, p[1])
			}
			names = append(names, "data-has-a-very-long-name-999999")
			n := draws[c.Name]
			allowed := 0
			for range n {
				user := users[r.IntN(len(users))]
				name := names[r.IntN(len(names))]
				if own := held[user]; len(own) > 0 && r.IntN(2) == 0 {
					name = own[r.IntN(len(own))]
				}
				verb := []string{"get", "update"}[r.IntN(2)]
				want, err := e.Enforce(user, name, verb)
				if err != nil {
					t.Fatal(err)
				}
				got := a.Decide(rbac.Subject{Kind: rbac.User, Name: user}, verb, "datasets", "", name).Allowed
				if got != want {
					t.Fatalf("%s %s %s: sextant %v, casbin %v", user, verb, name, got, want)
				}
				if got {
					allowed++
				}
			}
			if allowed < n/10 || allowed > n*9/10 {
				t.Errorf("%d of %d requests allowed: the draw hardly exercises one of the answers", allowed, n)
			}
		})
	}
}

func BenchmarkDecide(b *testing.B) {
	for _, c := range Cases(true) {
		a, e := engines(b, &c)
		if err := c.Check(a, e); err != nil {
			b.Fatal(err)
		}
		b.Run(c.Name+"/sextant", func(b *testing.B) { c.BenchSextant(b, a) })
		b.Run(c.Name+"/casbin", func(b *testing.B) { c.BenchCasbin(b, e) })
		ce, err := c.CasbinCached()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.Name+"/casbin-cached", func(b *testing.B) { c.BenchCasbin(b, ce) })
		se, err := c.CasbinSyncedCached()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.Name+"/casbin-synced-cached", func(b *testing.B) { c.BenchCasbin(b, se) })
	}
}
