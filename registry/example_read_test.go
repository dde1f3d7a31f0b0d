package registry_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/registry"
)

// registerAUCs registers one version of model per value of auc.
func registerAUCs(r *registry.Registry, model string, aucs ...float64) {
	for _, auc := range aucs {
		_, err := r.Register(context.Background(), model, &registry.VersionSpec{
			Files:   []registry.Upload{{Path: "model.bin", Body: strings.NewReader(fmt.Sprint("weights ", auc))}},
			Metrics: map[string]float64{"auc": auc},
			Tags:    map[string]string{"team": "risk"},
		})
		if err != nil {
			log.Fatal(err)
		}
	}
}

// Get takes a reference by number ("fraud/2"), by alias ("fraud@production")
// or to the newest version ("fraud@latest"); Resolve only answers its
// number.
func ExampleRegistry_Get() {
	ctx := context.Background()
	r := openExample()
	registerAUCs(r, "fraud", 0.90, 0.93)
	if err := r.SetAlias(ctx, "fraud", "production", 1); err != nil {
		log.Fatal(err)
	}
	for _, ref := range []string{"fraud/2", "fraud@production", "fraud@latest"} {
		v, err := r.Get(ctx, ref)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ref, "->", v.Ref(), v.Metrics["auc"], v.Aliases)
	}
	_, err := r.Get(ctx, "fraud/9")
	fmt.Println(errors.Is(err, registry.ErrNotFound))
	// Output:
	// fraud/2 -> fraud/2 0.93 []
	// fraud@production -> fraud/1 0.9 [production]
	// fraud@latest -> fraud/2 0.93 []
	// true
}

// ParseRef splits a reference the way every method taking one does.
func ExampleParseRef() {
	for _, s := range []string{"fraud/3", "fraud@champion", "fraud", "fraud/0"} {
		ref, err := registry.ParseRef(s)
		fmt.Printf("%-15s model=%q version=%d alias=%q err=%v\n", s, ref.Model, ref.Version, ref.Alias, err != nil)
	}
	// Output:
	// fraud/3         model="fraud" version=3 alias="" err=false
	// fraud@champion  model="fraud" version=0 alias="champion" err=false
	// fraud           model="" version=0 alias="" err=true
	// fraud/0         model="" version=0 alias="" err=true
}

// SearchVersions filters with the language of ParseFilter and pages through
// the results, by model name and newest version first.
func ExampleRegistry_SearchVersions() {
	ctx := context.Background()
	r := openExample()
	registerAUCs(r, "fraud", 0.88, 0.91, 0.95)
	registerAUCs(r, "churn", 0.93)
	page, err := r.SearchVersions(ctx, &registry.SearchOptions{Filter: "metrics.auc > 0.9 AND tags.team = 'risk'", PageSize: 2})
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range page.Versions {
		fmt.Println(v.Ref(), v.Metrics["auc"])
	}
	page, err = r.SearchVersions(ctx, &registry.SearchOptions{Filter: "metrics.auc > 0.9 AND tags.team = 'risk'", PageSize: 2, PageToken: page.NextPageToken})
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range page.Versions {
		fmt.Println(v.Ref(), v.Metrics["auc"])
	}
	fmt.Println(page.NextPageToken == "")
	// Output:
	// churn/1 0.93
	// fraud/3 0.95
	// fraud/2 0.91
	// true
}

// ParseFilter checks a filter once; Match applies it to versions the
// caller already holds.
func ExampleParseFilter() {
	f, err := registry.ParseFilter("metrics.auc >= 0.9 AND params.max_depth = '6'")
	if err != nil {
		log.Fatal(err)
	}
	v := &registry.Version{Metrics: map[string]float64{"auc": 0.91}, Params: map[string]string{"max_depth": "6"}}
	fmt.Println(f.Match(v))
	v.Metrics["auc"] = 0.8
	fmt.Println(f.Match(v))
	_, err = registry.ParseFilter("metrics.auc >>> 1")
	fmt.Println(errors.Is(err, registry.ErrInvalidFilter))
	// Output:
	// true
	// false
	// true
}

// ListModels lists the models, a page at a time.
func ExampleRegistry_ListModels() {
	ctx := context.Background()
	r := openExample()
	for _, name := range []string{"fraud", "churn", "ltv"} {
		if _, err := r.CreateModel(ctx, name, &registry.ModelSpec{Description: name + " model"}); err != nil {
			log.Fatal(err)
		}
	}
	page, err := r.ListModels(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range page.Models {
		fmt.Println(m.Name, "-", m.Description)
	}
	// Output:
	// churn - churn model
	// fraud - fraud model
	// ltv - ltv model
}

// History is the model's log: who changed what, when, in order. The first
// registration creates the model.
func ExampleRegistry_History() {
	ctx := context.Background()
	r := openExample()
	registerAUCs(r, "fraud", 0.90, 0.92)
	if err := r.SetAlias(ctx, "fraud", "production", 1); err != nil {
		log.Fatal(err)
	}
	if err := r.SetAlias(ctx, "fraud", "production", 2); err != nil {
		log.Fatal(err)
	}
	events, err := r.History(ctx, "fraud")
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range events {
		fmt.Println(e.Seq, e.Type, e.Actor, e.Version, e.Alias, e.Previous)
	}
	// Output:
	// 1 version.register alice 1  0
	// 2 version.register alice 2  0
	// 3 alias.set alice 1 production 0
	// 4 alias.set alice 2 production 1
}

// Compare lists what changed between two versions: params, tags, metrics
// and files.
func ExampleRegistry_Compare() {
	ctx := context.Background()
	r := openExample()
	registerAUCs(r, "fraud", 0.90, 0.93)
	c, err := r.Compare(ctx, "fraud/1", "fraud/2")
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range c.Metrics {
		fmt.Printf("metric %s %s: %.2f -> %.2f (%+.2f)\n", m.Name, m.Kind, m.From, m.To, m.Delta)
	}
	for _, f := range c.Files {
		fmt.Println("file", f.Path, f.Kind)
	}
	// Output:
	// metric auc modified: 0.90 -> 0.93 (+0.03)
	// file model.bin modified
}

// Gate.Evaluate is the promotion check on its own, for a candidate's and a
// baseline's metrics held by the caller.
func ExampleGate_Evaluate() {
	gate := registry.Gate{
		"auc":        {Threshold: registry.Float(0.85), GreaterIsBetter: true},
		"latency_ms": {MinRelativeChange: registry.Float(0.1)}, // at least 10% lower
	}
	failures := gate.Evaluate(
		map[string]float64{"auc": 0.91, "latency_ms": 95},
		map[string]float64{"auc": 0.90, "latency_ms": 100})
	for _, f := range failures {
		fmt.Println(f)
	}
	// Output:
	// metric "latency_ms" min_relative_change: relative change 0.05 (candidate 95, baseline 100) is short of 0.1 by 0.05
}

// Load checks out a version's files into a directory, verifying every
// byte; OpenFile streams one of them. Both refuse unsigned versions unless
// Options.AllowUnsigned is set (or Options.TrustedKeys holds the signer).
func ExampleRegistry_Load() {
	ctx := context.Background()
	store, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	r, err := registry.Open(ctx, store, &registry.Options{AllowUnsigned: true})
	if err != nil {
		log.Fatal(err)
	}
	registerAUCs(r, "fraud", 0.9)
	dir, err := os.MkdirTemp("", "model")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	v, err := r.Load(ctx, "fraud@latest", dir)
	if err != nil {
		log.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "model.bin"))
	fmt.Printf("%s: %q %v\n", v.Ref(), b, err)
	rc, err := r.OpenFile(ctx, "fraud/1", "model.bin")
	if err != nil {
		log.Fatal(err)
	}
	defer rc.Close()
	b, err = io.ReadAll(rc)
	fmt.Printf("%q %v\n", b, err)
	// Output:
	// fraud/1: "weights 0.9" <nil>
	// "weights 0.9" <nil>
}

// Sign records a signature over a version's files and metadata; Verify
// checks it against trusted keys before anything loads the model.
func ExampleRegistry_Sign() {
	ctx := context.Background()
	r := openExample()
	registerAUCs(r, "fraud", 0.9)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	sig, err := r.Sign(ctx, "fraud/1", key)
	if err != nil {
		log.Fatal(err)
	}
	id, err := r.Verify(ctx, "fraud/1", []crypto.PublicKey{key.Public()})
	fmt.Println(id == sig.KeyID, err)

	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, err = r.Verify(ctx, "fraud/1", []crypto.PublicKey{other.Public()})
	fmt.Println(errors.Is(err, registry.ErrSignature))
	// Output:
	// true <nil>
	// true
}

// Watch follows an alias, so a serving process reloads when production
// moves.
func ExampleRegistry_Watch() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := openExample()
	registerAUCs(r, "fraud", 0.90, 0.93)
	events, err := r.Watch(ctx, "fraud", &registry.WatchOptions{Alias: "production", Interval: 10 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range []int{1, 2} {
		if err := r.SetAlias(ctx, "fraud", "production", n); err != nil {
			log.Fatal(err)
		}
		e := <-events
		fmt.Printf("%s@%s: %d -> %d by %s\n", e.Model, e.Alias, e.Previous, e.Version, e.Actor)
	}
	// Output:
	// fraud@production: 0 -> 1 by alice
	// fraud@production: 1 -> 2 by alice
}
