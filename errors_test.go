package sextant_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/dataset/dvc"
	"github.com/sextant-ml/sextant/dataset/table"
	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/drift"
	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/pipeline"
	"github.com/sextant-ml/sextant/registry"
	"github.com/sextant-ml/sextant/tracking"
	"github.com/sextant-ml/sextant/ui"
)

// Every package's "not found" is fs.ErrNotExist to errors.Is, as os and
// io/fs answer it; "already exists" is fs.ErrExist, invalid input
// fs.ErrInvalid and an unsupported format errors.ErrUnsupported. Each
// package's own sentinel still matches only its own errors.
func Example_errors() {
	ctx := context.Background()
	store, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	models, err := registry.Open(ctx, store, nil)
	if err != nil {
		log.Fatal(err)
	}
	data, err := dataset.Open(ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	_, errModel := models.Get(ctx, "churn/1")
	_, errData := data.Resolve(ctx, "sensors", "latest")
	_, errBlob := store.Get(ctx, artifact.FromBytes([]byte("never stored")))
	for _, err := range []error{errModel, errData, errBlob} {
		fmt.Println(errors.Is(err, fs.ErrNotExist), errors.Is(err, registry.ErrNotFound))
	}
	// Output:
	// true true
	// true false
	// true false
}

// TestSentinelConditions checks each sentinel against the standard error
// of its condition and against the others.
func TestSentinelConditions(t *testing.T) {
	kinds := []error{fs.ErrNotExist, fs.ErrExist, fs.ErrInvalid, errors.ErrUnsupported}
	for _, tt := range []struct {
		name     string
		sentinel error
		kind     error
	}{
		{"artifact.ErrNotFound", artifact.ErrNotFound, fs.ErrNotExist},
		{"artifact.ErrExist", artifact.ErrExist, fs.ErrExist},
		{"artifact.ErrInvalidKey", artifact.ErrInvalidKey, fs.ErrInvalid},
		{"artifact.ErrInvalidDigest", artifact.ErrInvalidDigest, fs.ErrInvalid},
		{"dataset.ErrNotFound", dataset.ErrNotFound, fs.ErrNotExist},
		{"dataset.ErrInvalidName", dataset.ErrInvalidName, fs.ErrInvalid},
		{"dataset.ErrUnsupported", dataset.ErrUnsupported, errors.ErrUnsupported},
		{"dvc.ErrUnsupported", dvc.ErrUnsupported, errors.ErrUnsupported},
		{"table.ErrUnsupported", table.ErrUnsupported, errors.ErrUnsupported},
		{"registry.ErrNotFound", registry.ErrNotFound, fs.ErrNotExist},
		{"registry.ErrExist", registry.ErrExist, fs.ErrExist},
		{"registry.ErrInvalidName", registry.ErrInvalidName, fs.ErrInvalid},
		{"registry.ErrInvalidArgument", registry.ErrInvalidArgument, fs.ErrInvalid},
		{"registry.ErrInvalidFilter", registry.ErrInvalidFilter, fs.ErrInvalid},
		{"registry.ErrInvalidPageToken", registry.ErrInvalidPageToken, fs.ErrInvalid},
		{"registry.ErrUnsupportedEntry", registry.ErrUnsupportedEntry, errors.ErrUnsupported},
		{"tracking.ErrNotFound", tracking.ErrNotFound, fs.ErrNotExist},
		{"tracking.ErrAlreadyExists", tracking.ErrAlreadyExists, fs.ErrExist},
		{"tracking.ErrInvalidParameter", tracking.ErrInvalidParameter, fs.ErrInvalid},
		{"tracking.ErrInvalidName", tracking.ErrInvalidName, fs.ErrInvalid},
		{"pipeline.ErrRunNotFound", pipeline.ErrRunNotFound, fs.ErrNotExist},
		{"pipeline.ErrInvalidName", pipeline.ErrInvalidName, fs.ErrInvalid},
		{"pipeline.ErrUnsupported", pipeline.ErrUnsupported, errors.ErrUnsupported},
		{"deploy.ErrInvalid", deploy.ErrInvalid, fs.ErrInvalid},
		{"rollout.ErrInvalid", rollout.ErrInvalid, fs.ErrInvalid},
		{"rollout.ErrNoState", rollout.ErrNoState, fs.ErrNotExist},
		{"rollout.ErrUnsupported", rollout.ErrUnsupported, errors.ErrUnsupported},
		{"drift.ErrInvalid", drift.ErrInvalid, fs.ErrInvalid},
		{"monitor.ErrInvalidOptions", monitor.ErrInvalidOptions, fs.ErrInvalid},
		{"ui.ErrInvalid", ui.ErrInvalid, fs.ErrInvalid},
	} {
		wrapped := fmt.Errorf("%w: detail", tt.sentinel)
		for _, k := range kinds {
			if got, want := errors.Is(wrapped, k), k == tt.kind; got != want {
				t.Errorf("errors.Is(%s, %v) = %v, want %v", tt.name, k, got, want)
			}
		}
		if !errors.Is(wrapped, tt.sentinel) {
			t.Errorf("%s wrapped no longer matches itself", tt.name)
		}
	}
	// Two packages' sentinels of one condition stay apart.
	if errors.Is(registry.ErrNotFound, dataset.ErrNotFound) || errors.Is(dataset.ErrNotFound, artifact.ErrNotFound) {
		t.Error("one package's not found matches another's")
	}
}
