package registry_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/registry"
)

// Open puts a registry on an artifact store. By default it hands out no
// files of unsigned versions: set TrustedKeys (and sign), or opt out with
// AllowUnsigned.
func ExampleOpen() {
	ctx := context.Background()
	store, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	strict, err := registry.Open(ctx, store, nil)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := strict.Register(ctx, "fraud", &registry.VersionSpec{
		Files: []registry.Upload{{Path: "model.onnx", Body: strings.NewReader("weights")}},
	}); err != nil {
		log.Fatal(err)
	}
	_, err = strict.OpenFile(ctx, "fraud/1", "model.onnx")
	fmt.Println(errors.Is(err, registry.ErrNoTrustedKeys))

	// A second registry on the same store sees the same log.
	notebook, err := registry.Open(ctx, store, &registry.Options{AllowUnsigned: true})
	if err != nil {
		log.Fatal(err)
	}
	f, err := notebook.OpenFile(ctx, "fraud@latest", "model.onnx")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	fmt.Println("opened model.onnx of fraud@latest")
	// Output:
	// true
	// opened model.onnx of fraud@latest
}
