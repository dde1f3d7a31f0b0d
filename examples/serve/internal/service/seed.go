package service

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/sextant-ml/sextant/drift"
	"github.com/sextant-ml/sextant/registry"
)

// SeedFeatures are the features of the seeded models.
var SeedFeatures = []string{"temperature", "vibration", "pressure"}

// SeedModels are the two versions Seed registers: version 1 and version 2.
var SeedModels = [2]Model{
	{Features: SeedFeatures, Weights: []float64{0.8, 1.2, -0.4}, Bias: -1},
	{Features: SeedFeatures, Weights: []float64{0.9, 1.1, -0.5}, Bias: -0.9},
}

// ReferenceRow returns row i of the reference data the seeded profile was
// fitted on: standard normal features from a fixed seed. Live traffic drawn
// the same way does not drift; traffic shifted by a few standard deviations
// does.
func ReferenceRow(r *rand.Rand) []float64 {
	x := make([]float64, len(SeedFeatures))
	for j := range x {
		x[j] = r.NormFloat64()
	}
	return x
}

// Seed registers SeedModels as versions 1 and 2 of model, each with its
// model file and the drift profile of 2,000 reference rows, signs both with
// signer when it is not nil, and points alias at version 1 and "candidate"
// at version 2. It returns the numbers registered.
func Seed(ctx context.Context, reg *registry.Registry, model, alias string, signer crypto.Signer) ([]int, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := drift.Data{Numeric: map[string][]float64{}}
	for range 2000 {
		for j, x := range ReferenceRow(rng) {
			data.Numeric[SeedFeatures[j]] = append(data.Numeric[SeedFeatures[j]], x)
		}
	}
	prof, err := drift.Fit(data, nil)
	if err != nil {
		return nil, fmt.Errorf("service: seed: %w", err)
	}
	profJSON, err := json.Marshal(prof)
	if err != nil {
		return nil, fmt.Errorf("service: seed: %w", err)
	}
	var nums []int
	for i, m := range SeedModels {
		mJSON, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("service: seed: %w", err)
		}
		v, err := reg.Register(ctx, model, &registry.VersionSpec{
			Description: fmt.Sprintf("seeded logistic regression %d", i+1),
			Files: []registry.Upload{
				{Path: ModelFile, Body: bytes.NewReader(mJSON)},
				{Path: ProfileFile, Body: bytes.NewReader(profJSON)},
			},
			Metrics: map[string]float64{"auc": 0.80 + 0.02*float64(i)},
		})
		if err != nil {
			return nil, fmt.Errorf("service: seed: %w", err)
		}
		if signer != nil {
			if _, err := reg.Sign(ctx, v.Ref().String(), signer); err != nil {
				return nil, fmt.Errorf("service: seed: %w", err)
			}
		}
		nums = append(nums, v.Number)
	}
	if err := reg.SetAlias(ctx, model, alias, nums[0]); err != nil {
		return nil, fmt.Errorf("service: seed: %w", err)
	}
	if err := reg.SetAlias(ctx, model, "candidate", nums[1]); err != nil {
		return nil, fmt.Errorf("service: seed: %w", err)
	}
	return nums, nil
}
