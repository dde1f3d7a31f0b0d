package registry_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/registry"
)

// openExample returns a registry on an in-memory bucket with a fixed actor and clock.
func openExample() *registry.Registry {
	ctx := context.Background()
	store, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	r, err := registry.Open(ctx, store, &registry.Options{
		Actor: func(context.Context) string { return "alice" },
		Now:   func() time.Time { return time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC) },
	})
	if err != nil {
		log.Fatal(err)
	}
	return r
}

func ExampleRegistry_Register() {
	ctx := context.Background()
	r := openExample()
	v, err := r.Register(ctx, "fraud", &registry.VersionSpec{
		Files: []registry.Upload{
			{Path: "model.onnx", Body: strings.NewReader("weights")},
			{Path: "config.json", Body: strings.NewReader(`{"threshold":0.7}`)},
		},
		Params:  map[string]string{"max_depth": "6"},
		Metrics: map[string]float64{"auc": 0.91},
		Lineage: registry.Lineage{RunID: "run-42"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.Ref(), v.Status, v.Author)
	for _, f := range v.Files { // sorted by path; digests as sha256sum prints them
		fmt.Println(f.Path, f.Size, f.Digest.Hex()[:12])
	}
	// Output:
	// fraud/1 ready alice
	// config.json 17 8a1ed50b6d1d
	// model.onnx 7 9a129038d9a0
}

func ExampleRegistry_SetAlias() {
	ctx := context.Background()
	r := openExample()
	for range 3 {
		if _, err := r.Register(ctx, "fraud", nil); err != nil {
			log.Fatal(err)
		}
	}
	if err := r.SetAlias(ctx, "fraud", "production", 2); err != nil {
		log.Fatal(err)
	}
	if err := r.SetAlias(ctx, "fraud", "production", 3); err != nil { // move it
		log.Fatal(err)
	}
	for _, ref := range []string{"fraud@production", "fraud@latest", "fraud/1"} {
		n, err := r.Resolve(ctx, ref)
		fmt.Println(ref, n, err)
	}
	err := r.SetAlias(ctx, "fraud", "latest", 1)
	fmt.Println(errors.Is(err, registry.ErrInvalidAlias))
	history, _ := r.History(ctx, "fraud")
	for _, e := range history[3:] {
		fmt.Println(e.Seq, e.Type, e.Alias, e.Previous, "->", e.Version, "by", e.Actor)
	}
	// Output:
	// fraud@production 3 <nil>
	// fraud@latest 3 <nil>
	// fraud/1 1 <nil>
	// true
	// 4 alias.set production 0 -> 2 by alice
	// 5 alias.set production 2 -> 3 by alice
}

func ExampleRegistry_Promote() {
	ctx := context.Background()
	r := openExample()
	for _, auc := range []float64{0.90, 0.91, 0.95} {
		if _, err := r.Register(ctx, "fraud", &registry.VersionSpec{Metrics: map[string]float64{"auc": auc}}); err != nil {
			log.Fatal(err)
		}
	}
	gate := registry.Gate{"auc": {
		Threshold:         registry.Float(0.85),
		MinAbsoluteChange: registry.Float(0.02),
		GreaterIsBetter:   true,
	}}
	if _, err := r.Promote(ctx, "fraud/1", "production", gate); err != nil {
		log.Fatal(err)
	}
	_, err := r.Promote(ctx, "fraud/2", "production", gate)
	var ge *registry.GateError
	if errors.As(err, &ge) {
		f := ge.Failures[0]
		fmt.Printf("rejected: %s %s, short by %.2f\n", f.Metric, f.Check, f.Shortfall)
	}
	if _, err := r.Promote(ctx, "fraud/3", "production", gate); err != nil {
		log.Fatal(err)
	}
	n, _ := r.Resolve(ctx, "fraud@production")
	fmt.Println("production is version", n)
	// Output:
	// rejected: auc min_absolute_change, short by 0.01
	// production is version 3
}

func ExampleRegistry_RenderCard() {
	ctx := context.Background()
	r := openExample()
	if _, err := r.CreateModel(ctx, "fraud", &registry.ModelSpec{Description: "Flags card transactions for review."}); err != nil {
		log.Fatal(err)
	}
	if _, err := r.Register(ctx, "fraud", &registry.VersionSpec{
		Files:   []registry.Upload{{Path: "model.onnx", Body: strings.NewReader("weights")}},
		Metrics: map[string]float64{"auc": 0.93},
	}); err != nil {
		log.Fatal(err)
	}
	if err := r.SetAlias(ctx, "fraud", "production", 1); err != nil {
		log.Fatal(err)
	}
	card, err := r.RenderCard(ctx, "fraud@production", nil)
	if err != nil {
		log.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(card))
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "#") || strings.HasPrefix(line, "| auc") {
			fmt.Println(line)
		}
	}
	// A template of one's own:
	short, _ := r.RenderCard(ctx, "fraud/1", &registry.CardOptions{Template: "{{.Model.Name}} v{{.Version.Number}}: {{.Model.Description}}"})
	fmt.Println(string(short))
	// Output:
	// # fraud version 1
	// ## Overview
	// ## Training data
	// ## Evaluation metrics
	// | auc | 0.93 |
	// ## Parameters
	// ## Files
	// ## Deployment
	// fraud v1: Flags card transactions for review.
}
