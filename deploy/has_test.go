package deploy_test

import (
	"testing"

	"github.com/sextant-ml/sextant/deploy/deploytest"
)

func TestRouterHas(t *testing.T) {
	r := deploytest.New[int](t, map[string]string{"a": "a", "b": "b"})
	if !r.Has("a") || !r.Has("b") || r.Has("c") || r.Has("") {
		t.Fatalf("Has: a %v, b %v, c %v, empty %v", r.Has("a"), r.Has("b"), r.Has("c"), r.Has(""))
	}
	if err := r.Remove("b"); err != nil {
		t.Fatal(err)
	}
	if r.Has("b") {
		t.Fatal("Has reports a removed version")
	}
	if n := testing.AllocsPerRun(100, func() { r.Has("a") }); n != 0 {
		t.Fatalf("Has allocates %v times per call", n)
	}
}
