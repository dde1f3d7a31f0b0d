package registrytest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sextant-ml/sextant/registry/registrytest"
)

// A service that loads whatever version "production" names, tested against a
// seeded in-memory registry.
func loadProduction(ctx context.Context, r interface {
	Resolve(ctx context.Context, ref string) (int, error)
}, model string) (string, error) {
	n, err := r.Resolve(ctx, model+"@production")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/%d", model, n), nil
}

func TestLoadProduction(t *testing.T) {
	r := registrytest.New(t, &registrytest.Seed{Models: []registrytest.Model{{
		Name: "fraud",
		Versions: []registrytest.Version{
			{Files: map[string]string{"model.onnx": "old weights"}},
			{Files: map[string]string{"model.onnx": "new weights"}, Metrics: map[string]float64{"auc": 0.93}},
		},
		Aliases: map[string]int{"production": 2},
	}}}, nil)
	got, err := loadProduction(context.Background(), r, "fraud")
	if err != nil {
		t.Fatal(err)
	}
	if got != "fraud/2" {
		t.Fatalf("loaded %s, want fraud/2", got)
	}
}
