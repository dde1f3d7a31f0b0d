package rollout_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/sextant-ml/sextant/deploy/rollout"
)

// numbered stands for a registry whose versions are numbers, such as
// *registry.Registry.
type numbered map[string]int

func (n numbered) SetAlias(_ context.Context, model, alias string, version int) error {
	n[model+"@"+alias] = version
	return nil
}

// A rollout names versions as its router does ("3"); NumberedAliases turns
// that name into the registry's version number when the rollout promotes.
func ExampleNumberedAliases() {
	reg := numbered{}
	aliases := rollout.NumberedAliases(reg)
	ctx := context.Background()
	fmt.Println(aliases.SetAlias(ctx, "fraud", "production", "3"), reg["fraud@production"])
	err := aliases.SetAlias(ctx, "fraud", "production", "v4")
	fmt.Println(errors.Is(err, rollout.ErrInvalid), reg["fraud@production"])
	// Output:
	// <nil> 3
	// true 3
}
