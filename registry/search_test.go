package registry_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sextant-ml/sextant/registry"
)

// TestSearchPagesSurviveRegistrations: versions registered between two pages
// neither shift nor repeat what the next page returns.
func TestSearchPagesSurviveRegistrations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRegistry(t, openBucket(t, "mem://"), nil)
	for range 5 {
		must[*registry.Version](t)(r.Register(ctx, "alpha", nil))
	}
	must[*registry.Version](t)(r.Register(ctx, "beta", nil))
	var got []string
	opts := &registry.SearchOptions{PageSize: 2}
	for {
		page := must[*registry.VersionPage](t)(r.SearchVersions(ctx, opts))
		for _, v := range page.Versions {
			got = append(got, v.Ref().String())
		}
		if page.NextPageToken == "" {
			break
		}
		opts.PageToken = page.NextPageToken
		// Between pages, both models gain a version.
		must[*registry.Version](t)(r.Register(ctx, "alpha", nil))
		must[*registry.Version](t)(r.Register(ctx, "beta", nil))
	}
	// alpha's new versions sort before the resume point and are never seen;
	// beta's are seen up to when the listing reached beta (its third page,
	// after two rounds of registrations), not after.
	want := []string{"alpha/5", "alpha/4", "alpha/3", "alpha/2", "alpha/1", "beta/3", "beta/2", "beta/1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("paged search (-want +got):\n%s", diff)
	}
}

// TestSearchWarnsAboutSkippedModels: a search across models skips one whose
// log is damaged and says so on the Logger, naming the model and the entry.
func TestSearchWarnsAboutSkippedModels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := openBucket(t, "mem://")
	w := newRegistry(t, b, nil)
	must[*registry.Version](t)(w.Register(ctx, "good", nil))
	must[*registry.Version](t)(w.Register(ctx, "bad", nil))
	if err := b.CreateOnly(ctx, "registry/models/bad/log/00000000000000000002.json", []byte("{")); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	r := newRegistry(t, b, &registry.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	page := must[*registry.VersionPage](t)(r.SearchVersions(ctx, nil))
	if len(page.Versions) != 1 || page.Versions[0].Model != "good" {
		t.Fatalf("search = %+v", page.Versions)
	}
	models := must[*registry.ModelPage](t)(r.ListModels(ctx, nil))
	if len(models.Models) != 1 || models.Models[0].Name != "good" {
		t.Fatalf("listing = %+v", models.Models)
	}
	out := logs.String()
	for _, want := range []string{`msg="registry: search skips an unreadable model" model=bad`, `msg="registry: listing skips an unreadable model" model=bad`, `entry 2`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
