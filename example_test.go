package sextant_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/drift"
	"github.com/sextant-ml/sextant/registry"
)

// The loop in a few lines: a model version is registered on a bucket with
// the profile of its training data, the production alias moves to it, and
// live traffic is checked for drift against the profile that production
// carries.
func Example() {
	ctx := context.Background()
	store, err := artifact.Open(ctx, "mem://", nil) // or file://, s3://, gs://, azblob://
	if err != nil {
		log.Fatal(err)
	}
	signer, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	models, err := registry.Open(ctx, store, &registry.Options{TrustedKeys: []crypto.PublicKey{signer.Public()}})
	if err != nil {
		log.Fatal(err)
	}

	// Profile the training data; register it with the model.
	training := drift.Data{Numeric: map[string][]float64{"amount": spread(500, 10, 100)}}
	profile, err := drift.Fit(training, nil)
	if err != nil {
		log.Fatal(err)
	}
	profileJSON, _ := json.Marshal(profile)
	v, err := models.Register(ctx, "fraud", &registry.VersionSpec{
		Files: []registry.Upload{
			{Path: "model.onnx", Body: strings.NewReader("weights")},
			{Path: "profile.json", Body: bytes.NewReader(profileJSON)},
		},
		Metrics: map[string]float64{"auc": 0.91},
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := models.Sign(ctx, v.Ref().String(), signer); err != nil { // nothing unsigned is served
		log.Fatal(err)
	}
	if err := models.SetAlias(ctx, "fraud", "production", v.Number); err != nil {
		log.Fatal(err)
	}

	// In the serving process: whatever production names, and its profile.
	f, err := models.OpenFile(ctx, "fraud@production", "profile.json")
	if err != nil {
		log.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	reference, err := drift.Parse(b)
	if err != nil {
		log.Fatal(err)
	}
	for _, live := range [][]float64{spread(200, 10, 100), spread(200, 60, 150)} {
		report, err := reference.Compare(drift.Data{Numeric: map[string][]float64{"amount": live}}, nil)
		if err != nil {
			log.Fatal(err)
		}
		c := report.Columns[0]
		fmt.Printf("%s on fraud/%d: %s p=%.2g drifted=%v\n", c.Column, v.Number, c.Method, c.Score, report.Drifted)
	}
	// Output:
	// amount on fraud/1: ks p=1 drifted=false
	// amount on fraud/1: ks p=1.9e-41 drifted=true
}

// spread returns n evenly spaced values from lo to hi.
func spread(n int, lo, hi float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return x
}
