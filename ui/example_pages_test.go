package ui_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/tracking"
	"github.com/sextant-ml/sextant/ui"
)

// get answers a GET of path from h: its status and whether the page holds
// want.
func get(h http.Handler, path, want string) string {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return fmt.Sprint(path, " ", rec.Code, " ", strings.Contains(rec.Body.String(), want))
}

// Without an Authorizer every page is allowed; a section whose source is
// not configured answers 404. Here datasets and runs on one bucket, and a
// drift report between two versions of a dataset's file.
func ExampleHandler_ServeHTTP() {
	ctx := context.Background()
	ds, err := dataset.Open(ctx, "mem://", nil)
	if err != nil {
		panic(err)
	}
	defer ds.Close()
	for _, rows := range []string{"temp\n20\n21\n22\n20\n21\n", "temp\n30\n31\n32\n30\n31\n"} {
		dir, err := os.MkdirTemp("", "sensors")
		if err != nil {
			panic(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "readings.csv"), []byte(rows), 0o600); err != nil {
			panic(err)
		}
		if _, err := ds.Commit(ctx, "sensors", dir, nil); err != nil {
			panic(err)
		}
		os.RemoveAll(dir)
	}
	tr, err := tracking.Open(ctx, ds.Artifacts(), nil)
	if err != nil {
		panic(err)
	}
	if _, err := tr.CreateRun(ctx, "", &tracking.RunOptions{Name: "baseline"}); err != nil {
		panic(err)
	}
	h, err := ui.New(&ui.Options{Datasets: ds, Tracker: tr, Title: "Plant 7"})
	if err != nil {
		panic(err)
	}
	fmt.Println(get(h, "/", "Plant 7"))
	fmt.Println(get(h, "/datasets/sensors", "sensors"))
	fmt.Println(get(h, "/datasets/sensors/drift?from=1&to=2&file=readings.csv", "<svg"))
	fmt.Println(get(h, "/runs", "baseline"))
	fmt.Println(get(h, "/models", ""))
	// Output:
	// / 200 true
	// /datasets/sensors 200 true
	// /datasets/sensors/drift?from=1&to=2&file=readings.csv 200 true
	// /runs 200 true
	// /models 404 true
}

// Options are checked when the handler is made.
func ExampleNew_invalid() {
	store, err := artifact.Open(context.Background(), "mem://", nil)
	if err != nil {
		panic(err)
	}
	defer store.Close()
	_, err = ui.New(&ui.Options{Artifacts: store, RunsResource: "runs"})
	fmt.Println(errors.Is(err, ui.ErrInvalid))
	h, err := ui.New(nil) // an empty UI
	fmt.Println(h != nil, err)
	// Output:
	// true
	// true <nil>
}
