package registry_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/s3test"
	"github.com/sextant-ml/sextant/registry"
	"gocloud.dev/blob"
)

// backend opens a fresh bucket of one kind for a test.
type backend struct {
	name string
	open func(t *testing.T) *artifact.Bucket
}

func backends() []backend {
	return []backend{
		{"mem", func(t *testing.T) *artifact.Bucket { return openBucket(t, "mem://") }},
		{"file", func(t *testing.T) *artifact.Bucket { return openBucket(t, "file://"+filepath.ToSlash(t.TempDir())) }},
		{"s3", func(t *testing.T) *artifact.Bucket {
			srv := s3test.New(t)
			b, err := artifact.NewBucket(srv.Bucket(t, "models"), &artifact.BucketOptions{Prefix: "team"})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
	}
}

func openBucket(t *testing.T, url string) *artifact.Bucket {
	t.Helper()
	b, err := artifact.OpenBucket(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func newRegistry(t *testing.T, b *artifact.Bucket, opts *registry.Options) *registry.Registry {
	t.Helper()
	r, err := registry.Open(context.Background(), newStore(t, b), opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func files(kv ...string) []registry.Upload {
	var out []registry.Upload
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, registry.Upload{Path: kv[i], Body: strings.NewReader(kv[i+1])})
	}
	return out
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestSuite runs every behaviour on mem://, file:// and S3 (the AWS SDK v2
// through s3blob against an in-process gofakes3 server).
func TestSuite(t *testing.T) {
	t.Parallel()
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			t.Run("RegisterGetLoad", func(t *testing.T) { testRegisterGetLoad(t, be.open(t)) })
			t.Run("Aliases", func(t *testing.T) { testAliases(t, be.open(t)) })
			t.Run("ArchiveDelete", func(t *testing.T) { testArchiveDelete(t, be.open(t)) })
			t.Run("SearchPagination", func(t *testing.T) { testSearch(t, be.open(t)) })
			t.Run("PromoteGate", func(t *testing.T) { testPromote(t, be.open(t)) })
			t.Run("CardCompare", func(t *testing.T) { testCardCompare(t, be.open(t)) })
			t.Run("SignVerify", func(t *testing.T) { testSign(t, be.open(t)) })
			t.Run("Watch", func(t *testing.T) { testWatch(t, be.open(t)) })
			t.Run("Checkpoints", func(t *testing.T) { testCheckpoints(t, be.open(t)) })
			t.Run("Corruption", func(t *testing.T) { testCorruption(t, be.open(t)) })
		})
	}
}

func testRegisterGetLoad(t *testing.T, b *artifact.Bucket) {
	ctx := context.Background()
	r := newRegistry(t, b, &registry.Options{Actor: func(context.Context) string { return "alice" }, AllowUnsigned: true})
	v1 := must[*registry.Version](t)(r.Register(ctx, "fraud", &registry.VersionSpec{
		Files:   files("model.bin", "weights-1", "config.json", `{"depth":6}`),
		Params:  map[string]string{"depth": "6"},
		Metrics: map[string]float64{"auc": 0.9},
		Lineage: registry.Lineage{RunID: "run-1", Datasets: []string{string(artifact.FromBytes([]byte("data")))}},
	}))
	if v1.Number != 1 || v1.Author != "alice" || v1.Status != registry.StatusReady || len(v1.Files) != 2 {
		t.Fatalf("v1 = %+v", v1)
	}
	if v1.Files[0].Path != "config.json" || v1.Files[1].Digest != artifact.FromBytes([]byte("weights-1")) || v1.Files[1].Size != 9 {
		t.Fatalf("manifest = %+v", v1.Files)
	}
	// Same weights again, a new config: the shared content is referenced, not re-uploaded.
	v2 := must[*registry.Version](t)(r.Register(ctx, "fraud", &registry.VersionSpec{
		Files: append(files("model.bin", "weights-1"), registry.Upload{Path: "config.json", Digest: v1.Files[0].Digest}),
	}))
	if v2.Number != 2 || !slices.Equal(v1.Files, v2.Files) {
		t.Fatalf("v2 = %+v, want the files of v1", v2.Files)
	}
	got := must[*registry.Version](t)(r.Get(ctx, "fraud/1"))
	if diff := cmp.Diff(v1, got); diff != "" {
		t.Fatalf("Get (-want +got):\n%s", diff)
	}
	if n := must[int](t)(r.Resolve(ctx, "fraud@latest")); n != 2 {
		t.Fatalf("latest = %d, want 2", n)
	}
	rc := must[io.ReadCloser](t)(r.OpenFile(ctx, "fraud/1", "model.bin"))
	body, _ := io.ReadAll(rc)
	rc.Close()
	if string(body) != "weights-1" {
		t.Fatalf("OpenFile = %q", body)
	}
	dir := t.TempDir()
	must[*registry.Version](t)(r.Load(ctx, "fraud/1", dir))
	if data, err := os.ReadFile(filepath.Join(dir, "config.json")); err != nil || string(data) != `{"depth":6}` {
		t.Fatalf("loaded config = %q, %v", data, err)
	}
	// From a directory on disk.
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	os.WriteFile(filepath.Join(src, "sub", "tok.json"), []byte("tokens"), 0o644)
	os.WriteFile(filepath.Join(src, "model.bin"), []byte("weights-3"), 0o644)
	v3 := must[*registry.Version](t)(r.RegisterDir(ctx, "fraud", src, &registry.VersionSpec{Description: "from disk"}))
	if v3.Number != 3 || len(v3.Files) != 2 || v3.Files[1].Path != "sub/tok.json" {
		t.Fatalf("v3 = %+v", v3.Files)
	}
	// A second registry on the same bucket sees everything.
	r2 := newRegistry(t, b, nil)
	m := must[*registry.Model](t)(r2.GetModel(ctx, "fraud"))
	if m.LatestVersion != 3 || m.Owner != "alice" {
		t.Fatalf("model = %+v", m)
	}
	// Bad input never reaches the log.
	bad := []struct {
		name string
		spec *registry.VersionSpec
		want error
	}{
		{"escaping path", &registry.VersionSpec{Files: files("../etc/passwd", "x")}, artifact.ErrInvalidKey},
		{"absolute path", &registry.VersionSpec{Files: files("/abs", "x")}, artifact.ErrInvalidKey},
		{"duplicate path", &registry.VersionSpec{Files: files("a", "x", "a", "y")}, registry.ErrInvalidArgument},
		{"NaN metric", &registry.VersionSpec{Metrics: map[string]float64{"auc": nanValue()}}, registry.ErrInvalidArgument},
		{"bad status", &registry.VersionSpec{Status: "done"}, registry.ErrInvalidArgument},
		{"unknown digest", &registry.VersionSpec{Files: []registry.Upload{{Path: "a", Digest: artifact.FromBytes([]byte("absent"))}}}, registry.ErrUnknownDigest},
		{"parent missing", &registry.VersionSpec{Lineage: registry.Lineage{Parent: 9}}, registry.ErrNotFound},
	}
	for _, tt := range bad {
		if _, err := r.Register(ctx, "fraud", tt.spec); !errors.Is(err, tt.want) {
			t.Errorf("%s: Register = %v, want %v", tt.name, err, tt.want)
		}
	}
	for _, name := range []string{"", "../x", "a/b", "a@b", "a b", ".x"} {
		if _, err := r.Register(ctx, name, nil); !errors.Is(err, registry.ErrInvalidName) {
			t.Errorf("Register(%q) = %v, want ErrInvalidName", name, err)
		}
	}
	if n := must[*registry.Model](t)(r.GetModel(ctx, "fraud")).LatestVersion; n != 3 {
		t.Fatalf("bad input changed the model: latest %d", n)
	}
	if _, err := r.Get(ctx, "fraud/4"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("Get(fraud/4) = %v, want ErrNotFound", err)
	}
	if _, err := r.Get(ctx, "nomodel/1"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("Get(nomodel/1) = %v, want ErrNotFound", err)
	}
	if _, err := r.OpenFile(ctx, "fraud/1", "missing.bin"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("OpenFile(missing) = %v, want ErrNotFound", err)
	}
}

func nanValue() float64 { var z float64; return z / z }

func testAliases(t *testing.T, b *artifact.Bucket) {
	ctx := context.Background()
	r := newRegistry(t, b, nil)
	for range 3 {
		must[*registry.Version](t)(r.Register(ctx, "churn", &registry.VersionSpec{Files: files("m", "x")}))
	}
	if err := r.SetAlias(ctx, "churn", "production", 1); err != nil {
		t.Fatal(err)
	}
	if err := r.SetAlias(ctx, "churn", "production", 2); err != nil {
		t.Fatal(err)
	}
	if err := r.SetAlias(ctx, "churn", "staging", 3); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]int{"churn@production": 2, "churn@staging": 3, "churn/1": 1, "churn@latest": 3, "models:/churn@v1": 1} {
		if n, err := r.Resolve(ctx, ref); err != nil || n != want {
			t.Errorf("Resolve(%q) = %d, %v; want %d", ref, n, err, want)
		}
	}
	v2 := must[*registry.Version](t)(r.Get(ctx, "churn@production"))
	if !slices.Equal(v2.Aliases, []string{"production"}) {
		t.Fatalf("aliases of v2 = %v", v2.Aliases)
	}
	for alias, want := range map[string]error{"latest": registry.ErrInvalidAlias, "v3": registry.ErrInvalidAlias, "a b": registry.ErrInvalidAlias, strings.Repeat("a", 256): registry.ErrInvalidAlias} {
		if err := r.SetAlias(ctx, "churn", alias, 1); !errors.Is(err, want) {
			t.Errorf("SetAlias(%q) = %v, want %v", alias, err, want)
		}
	}
	if err := r.SetAlias(ctx, "churn", "canary", 9); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("SetAlias to a missing version = %v, want ErrNotFound", err)
	}
	if err := r.DeleteAlias(ctx, "churn", "staging"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve(ctx, "churn@staging"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("deleted alias resolves: %v", err)
	}
	if err := r.DeleteAlias(ctx, "churn", "staging"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("DeleteAlias twice = %v, want ErrNotFound", err)
	}
	hist := must[[]registry.Event](t)(r.History(ctx, "churn"))
	var moves []string
	for _, e := range hist {
		if e.Type == registry.EventAliasSet || e.Type == registry.EventAliasDelete {
			moves = append(moves, fmt.Sprintf("%s %s %d->%d", e.Type, e.Alias, e.Previous, e.Version))
		}
		if e.Actor == "" || e.Time.IsZero() {
			t.Errorf("event %d lacks actor or time: %+v", e.Seq, e)
		}
	}
	want := []string{"alias.set production 0->1", "alias.set production 1->2", "alias.set staging 0->3", "alias.delete staging 3->0"}
	if diff := cmp.Diff(want, moves); diff != "" {
		t.Fatalf("alias history (-want +got):\n%s", diff)
	}
	if len(hist) != 7 || hist[0].Seq != 1 || hist[6].Seq != 7 {
		t.Fatalf("history has %d events: %+v", len(hist), hist)
	}
}

func testArchiveDelete(t *testing.T, b *artifact.Bucket) {
	ctx := context.Background()
	r := newRegistry(t, b, nil)
	for range 3 {
		must[*registry.Version](t)(r.Register(ctx, "m", &registry.VersionSpec{Files: files("m", "x")}))
	}
	if err := r.SetAlias(ctx, "m", "production", 3); err != nil {
		t.Fatal(err)
	}
	v := must[*registry.Version](t)(r.ArchiveVersion(ctx, "m/3", true))
	if !v.Archived || len(v.Aliases) != 0 {
		t.Fatalf("archived version = %+v", v)
	}
	if _, err := r.Resolve(ctx, "m@production"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("alias of an archived version still resolves: %v", err)
	}
	if err := r.SetAlias(ctx, "m", "production", 3); !errors.Is(err, registry.ErrArchived) {
		t.Fatalf("SetAlias to archived = %v, want ErrArchived", err)
	}
	if n := must[int](t)(r.Resolve(ctx, "m@latest")); n != 2 {
		t.Fatalf("latest skips archived: got %d", n)
	}
	if err := r.DeleteVersion(ctx, "m/2"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, "m/2"); !errors.Is(err, registry.ErrDeleted) {
		t.Fatalf("Get deleted = %v, want ErrDeleted", err)
	}
	if n := must[int](t)(r.Resolve(ctx, "m@latest")); n != 1 {
		t.Fatalf("latest skips deleted: got %d", n)
	}
	// Numbers are never reused.
	if v := must[*registry.Version](t)(r.Register(ctx, "m", nil)); v.Number != 4 {
		t.Fatalf("next version = %d, want 4", v.Number)
	}
	if err := r.ArchiveModel(ctx, "m", true); err != nil {
		t.Fatal(err)
	}
	if m := must[*registry.Model](t)(r.GetModel(ctx, "m")); !m.Archived {
		t.Fatal("model not archived")
	}
	if err := r.DeleteModel(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.GetModel(ctx, "m"); !errors.Is(err, registry.ErrDeleted) {
		t.Fatalf("GetModel deleted = %v, want ErrDeleted", err)
	}
	if _, err := r.Register(ctx, "m", nil); !errors.Is(err, registry.ErrDeleted) {
		t.Fatalf("Register on a deleted model = %v, want ErrDeleted", err)
	}
	page := must[*registry.ModelPage](t)(r.ListModels(ctx, nil))
	if len(page.Models) != 0 {
		t.Fatalf("deleted model listed: %+v", page.Models)
	}
	page = must[*registry.ModelPage](t)(r.ListModels(ctx, &registry.ListOptions{IncludeDeleted: true}))
	if len(page.Models) != 1 || !page.Models[0].Deleted {
		t.Fatalf("IncludeDeleted listing: %+v", page.Models)
	}
	hist := must[[]registry.Event](t)(r.History(ctx, "m"))
	var types []registry.EventType
	for _, e := range hist[3:] {
		types = append(types, e.Type)
	}
	want := []registry.EventType{registry.EventAliasSet, registry.EventVersionArchive, registry.EventVersionDelete,
		registry.EventVersionRegister, registry.EventModelArchive, registry.EventModelDelete}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Fatalf("history (-want +got):\n%s", diff)
	}
}

func testSearch(t *testing.T, b *artifact.Bucket) {
	ctx := context.Background()
	r := newRegistry(t, b, nil)
	for i := 1; i <= 5; i++ {
		must[*registry.Version](t)(r.Register(ctx, "alpha", &registry.VersionSpec{
			Metrics: map[string]float64{"auc": 0.8 + float64(i)/100}, Tags: map[string]string{"team": []string{"risk", "growth"}[i%2]}}))
	}
	for i := 1; i <= 3; i++ {
		must[*registry.Version](t)(r.Register(ctx, "beta", &registry.VersionSpec{Metrics: map[string]float64{"auc": 0.9}, Tags: map[string]string{"team": "risk"}}))
	}
	if err := r.SetAlias(ctx, "beta", "production", 2); err != nil {
		t.Fatal(err)
	}
	collect := func(opts registry.SearchOptions) []string {
		var out []string
		for {
			page := must[*registry.VersionPage](t)(r.SearchVersions(ctx, &opts))
			for _, v := range page.Versions {
				out = append(out, v.Ref().String())
			}
			if page.NextPageToken == "" {
				return out
			}
			if len(page.Versions) != opts.PageSize {
				t.Fatalf("short page %d before the end", len(page.Versions))
			}
			opts.PageToken = page.NextPageToken
		}
	}
	all := collect(registry.SearchOptions{PageSize: 3})
	want := []string{"alpha/5", "alpha/4", "alpha/3", "alpha/2", "alpha/1", "beta/3", "beta/2", "beta/1"}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Fatalf("all versions (-want +got):\n%s", diff)
	}
	risk := collect(registry.SearchOptions{PageSize: 2, Filter: "tags.team = 'risk' and metrics.auc >= 0.83"})
	if diff := cmp.Diff([]string{"alpha/4", "beta/3", "beta/2", "beta/1"}, risk); diff != "" {
		t.Fatalf("filtered (-want +got):\n%s", diff)
	}
	prod := collect(registry.SearchOptions{PageSize: 10, Filter: "alias = 'production'"})
	if diff := cmp.Diff([]string{"beta/2"}, prod); diff != "" {
		t.Fatalf("by alias (-want +got):\n%s", diff)
	}
	one := collect(registry.SearchOptions{Model: "beta", PageSize: 1})
	if diff := cmp.Diff([]string{"beta/3", "beta/2", "beta/1"}, one); diff != "" {
		t.Fatalf("one model (-want +got):\n%s", diff)
	}
	page := must[*registry.VersionPage](t)(r.SearchVersions(ctx, &registry.SearchOptions{PageSize: 2}))
	if _, err := r.SearchVersions(ctx, &registry.SearchOptions{PageSize: 2, Filter: "version > 1", PageToken: page.NextPageToken}); !errors.Is(err, registry.ErrInvalidPageToken) {
		t.Fatalf("token reused with another filter: %v", err)
	}
	for _, tok := range []string{"!!", "e30", "bm90IGpzb24"} {
		if _, err := r.SearchVersions(ctx, &registry.SearchOptions{PageToken: tok}); !errors.Is(err, registry.ErrInvalidPageToken) {
			t.Errorf("token %q: %v", tok, err)
		}
	}
	if _, err := r.SearchVersions(ctx, &registry.SearchOptions{Filter: "metrics.auc >"}); !errors.Is(err, registry.ErrInvalidFilter) {
		t.Fatalf("bad filter: %v", err)
	}
	models := must[*registry.ModelPage](t)(r.ListModels(ctx, &registry.ListOptions{PageSize: 1}))
	if len(models.Models) != 1 || models.Models[0].Name != "alpha" || models.NextPageToken == "" {
		t.Fatalf("first model page: %+v", models)
	}
	models = must[*registry.ModelPage](t)(r.ListModels(ctx, &registry.ListOptions{PageSize: 1, PageToken: models.NextPageToken}))
	if len(models.Models) != 1 || models.Models[0].Name != "beta" || models.NextPageToken != "" {
		t.Fatalf("second model page: %+v", models)
	}
	if _, err := r.ListModels(ctx, &registry.ListOptions{Filter: "metrics.auc > 0.5"}); !errors.Is(err, registry.ErrInvalidFilter) {
		t.Fatalf("model filter on a version field: %v", err)
	}
	models = must[*registry.ModelPage](t)(r.ListModels(ctx, &registry.ListOptions{Filter: "alias = 'production'"}))
	if len(models.Models) != 1 || models.Models[0].Name != "beta" {
		t.Fatalf("models with production: %+v", models.Models)
	}
}

func testPromote(t *testing.T, b *artifact.Bucket) {
	ctx := context.Background()
	r := newRegistry(t, b, nil)
	for _, auc := range []float64{0.80, 0.86, 0.81} {
		must[*registry.Version](t)(r.Register(ctx, "fraud", &registry.VersionSpec{Metrics: map[string]float64{"auc": auc}}))
	}
	gate := registry.Gate{"auc": {Threshold: registry.Float(0.75), MinAbsoluteChange: registry.Float(0.02), GreaterIsBetter: true}}
	// No baseline yet: only the threshold applies.
	must[*registry.Version](t)(r.Promote(ctx, "fraud/1", "production", gate))
	v := must[*registry.Version](t)(r.Promote(ctx, "fraud/2", "production", gate))
	if !slices.Equal(v.Aliases, []string{"production"}) {
		t.Fatalf("promoted version aliases = %v", v.Aliases)
	}
	_, err := r.Promote(ctx, "fraud/3", "production", gate)
	var ge *registry.GateError
	if !errors.Is(err, registry.ErrGateFailed) || !errors.As(err, &ge) {
		t.Fatalf("Promote = %v, want a GateError", err)
	}
	if ge.Baseline != 2 || ge.Candidate != 3 || len(ge.Failures) != 1 || ge.Failures[0].Check != registry.CheckMinAbsoluteChange ||
		abs(ge.Failures[0].Shortfall-0.07) > 1e-9 {
		t.Fatalf("gate error = %+v", ge)
	}
	if n := must[int](t)(r.Resolve(ctx, "fraud@production")); n != 2 {
		t.Fatalf("failed promotion moved the alias to %d", n)
	}
	if _, err := r.Promote(ctx, "fraud/3", "production", registry.Gate{"auc": {}}); !errors.Is(err, registry.ErrInvalidArgument) {
		t.Fatalf("empty threshold: %v", err)
	}
	// A nil gate always promotes.
	must[*registry.Version](t)(r.Promote(ctx, "fraud/3", "production", nil))
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func testCardCompare(t *testing.T, b *artifact.Bucket) {
	ctx := context.Background()
	r := newRegistry(t, b, nil)
	must[*registry.Version](t)(r.Register(ctx, "fraud", &registry.VersionSpec{Files: files("m.bin", "a", "old.txt", "o"),
		Params: map[string]string{"depth": "6", "lr": "0.1"}, Metrics: map[string]float64{"auc": 0.8, "f1": 0.5}}))
	must[*registry.Version](t)(r.Register(ctx, "fraud", &registry.VersionSpec{Files: files("m.bin", "b", "new.txt", "n"),
		Params: map[string]string{"depth": "8", "lr": "0.1", "seed": "1"}, Metrics: map[string]float64{"auc": 0.85}}))
	c := must[*registry.Comparison](t)(r.Compare(ctx, "fraud/1", "fraud@latest"))
	wantParams := []registry.ParamChange{{Key: "depth", Kind: registry.Modified, From: "6", To: "8"}, {Key: "seed", Kind: registry.Added, To: "1"}}
	if diff := cmp.Diff(wantParams, c.Params); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	if len(c.Metrics) != 2 || c.Metrics[0].Name != "auc" || abs(c.Metrics[0].Delta-0.05) > 1e-12 || c.Metrics[1].Kind != registry.Removed {
		t.Errorf("metrics = %+v", c.Metrics)
	}
	var fc []string
	for _, f := range c.Files {
		fc = append(fc, string(f.Kind)+" "+f.Path)
	}
	if diff := cmp.Diff([]string{"modified m.bin", "added new.txt", "removed old.txt"}, fc); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if err := r.SetAlias(ctx, "fraud", "production", 2); err != nil {
		t.Fatal(err)
	}
	d := must[artifact.Digest](t)(r.SaveCard(ctx, "fraud@production", nil))
	card := must[[]byte](t)(r.Card(ctx, "fraud/2"))
	if artifact.FromBytes(card) != d || !bytes.Contains(card, []byte("# fraud version 2")) || !bytes.Contains(card, []byte("| auc | 0.85 |")) {
		t.Fatalf("stored card %s:\n%s", d, card)
	}
	if v := must[*registry.Version](t)(r.Get(ctx, "fraud/2")); v.Card != d {
		t.Fatalf("version card = %q, want %q", v.Card, d)
	}
	if _, err := r.Card(ctx, "fraud/1"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("Card of a version without one = %v", err)
	}
	custom := must[[]byte](t)(r.RenderCard(ctx, "fraud/2", &registry.CardOptions{Template: "{{.Model.Name}} {{index .Version.Params \"depth\"}}"}))
	if string(custom) != "fraud 8" {
		t.Fatalf("custom card = %q", custom)
	}
}

func testSign(t *testing.T, b *artifact.Bucket) {
	ctx := context.Background()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	r := newRegistry(t, b, nil)
	must[*registry.Version](t)(r.Register(ctx, "fraud", &registry.VersionSpec{Files: files("model.bin", "weights", "cfg.json", "{}")}))
	must[*registry.Version](t)(r.Register(ctx, "fraud", &registry.VersionSpec{Files: files("model.bin", "unsigned")}))
	sig := must[*registry.Signature](t)(r.Sign(ctx, "fraud/1", key))
	if id, _ := registry.KeyID(&key.PublicKey); sig.KeyID != id {
		t.Fatalf("signature key id %q, want %q", sig.KeyID, id)
	}
	if _, err := r.Verify(ctx, "fraud/1", []crypto.PublicKey{&key.PublicKey}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Verify(ctx, "fraud/1", []crypto.PublicKey{&other.PublicKey}); !errors.Is(err, registry.ErrSignature) {
		t.Fatalf("Verify with an untrusted key = %v", err)
	}
	if _, err := r.Verify(ctx, "fraud/2", []crypto.PublicKey{&key.PublicKey}); !errors.Is(err, registry.ErrSignature) {
		t.Fatalf("Verify of an unsigned version = %v", err)
	}
	strict := newRegistry(t, b, &registry.Options{TrustedKeys: []crypto.PublicKey{&key.PublicKey}})
	must[*registry.Version](t)(strict.Load(ctx, "fraud/1", t.TempDir()))
	if _, err := strict.Load(ctx, "fraud/2", t.TempDir()); !errors.Is(err, registry.ErrSignature) {
		t.Fatalf("Load of an unsigned version with TrustedKeys = %v", err)
	}
	if _, err := strict.OpenFile(ctx, "fraud/2", "model.bin"); !errors.Is(err, registry.ErrSignature) {
		t.Fatalf("OpenFile of an unsigned version with TrustedKeys = %v", err)
	}
	// Tamper with the stored bytes of a signed file.
	v := must[*registry.Version](t)(r.Get(ctx, "fraud/1"))
	f, _ := v.File("model.bin")
	tamperBlob(t, b, f.Digest, []byte("evil!!!"))
	if _, err := r.Verify(ctx, "fraud/1", []crypto.PublicKey{&key.PublicKey}); !errors.Is(err, artifact.ErrDigestMismatch) {
		t.Fatalf("Verify of a tampered file = %v, want ErrDigestMismatch", err)
	}
	dir := t.TempDir()
	if _, err := strict.Load(ctx, "fraud/1", dir); !errors.Is(err, artifact.ErrDigestMismatch) {
		t.Fatalf("Load of a tampered file = %v, want ErrDigestMismatch", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "model.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a tampered file was left under its final name: %v", err)
	}
}

func testWatch(t *testing.T, b *artifact.Bucket) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := newRegistry(t, b, nil)
	for range 3 {
		must[*registry.Version](t)(r.Register(ctx, "fraud", nil))
	}
	if err := r.SetAlias(ctx, "fraud", "production", 1); err != nil {
		t.Fatal(err)
	}
	watcher := newRegistry(t, b, nil)
	ch := must[<-chan registry.AliasEvent](t)(watcher.Watch(ctx, "fraud", &registry.WatchOptions{Interval: 10 * time.Millisecond}))
	if err := r.SetAlias(ctx, "fraud", "production", 2); err != nil {
		t.Fatal(err)
	}
	if err := r.SetAlias(ctx, "fraud", "staging", 3); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteVersion(ctx, "fraud/2"); err != nil {
		t.Fatal(err)
	}
	var got []string
	timeout := time.After(10 * time.Second)
	for len(got) < 3 {
		select {
		case ev := <-ch:
			got = append(got, fmt.Sprintf("%s %d->%d", ev.Alias, ev.Previous, ev.Version))
		case <-timeout:
			t.Fatalf("events so far: %v", got)
		}
	}
	if diff := cmp.Diff([]string{"production 1->2", "staging 0->3", "production 2->0"}, got); diff != "" {
		t.Fatalf("watched (-want +got):\n%s", diff)
	}
	cancel()
	for range ch { // closed once the goroutine stops
	}
}

func testCheckpoints(t *testing.T, b *artifact.Bucket) {
	ctx := context.Background()
	r := newRegistry(t, b, &registry.Options{CheckpointEvery: 5})
	for range 12 {
		must[*registry.Version](t)(r.Register(ctx, "fraud", &registry.VersionSpec{Metrics: map[string]float64{"auc": 0.5}}))
	}
	if err := r.SetAlias(ctx, "fraud", "production", 7); err != nil {
		t.Fatal(err)
	}
	var checkpoints []string
	b.List(ctx, "registry/models/fraud/checkpoint/", func(rel string, _ *blob.ListObject) error {
		checkpoints = append(checkpoints, filepath.Base(rel))
		return nil
	})
	if diff := cmp.Diff([]string{"00000000000000000005.json", "00000000000000000010.json"}, checkpoints); diff != "" {
		t.Fatalf("checkpoints (-want +got):\n%s", diff)
	}
	cold := newRegistry(t, b, &registry.Options{CheckpointEvery: 5})
	want := must[*registry.VersionPage](t)(r.SearchVersions(ctx, &registry.SearchOptions{Model: "fraud"}))
	got := must[*registry.VersionPage](t)(cold.SearchVersions(ctx, &registry.SearchOptions{Model: "fraud"}))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("state from checkpoint differs (-fresh +cold):\n%s", diff)
	}
	// A damaged checkpoint is ignored: the log is the truth.
	if err := b.WriteAll(ctx, "registry/models/fraud/checkpoint/00000000000000000010.json", []byte("{broken")); err != nil {
		t.Fatal(err)
	}
	cold = newRegistry(t, b, &registry.Options{CheckpointEvery: 5})
	if n := must[int](t)(cold.Resolve(ctx, "fraud@production")); n != 7 {
		t.Fatalf("after a damaged checkpoint production = %d", n)
	}
	// Having folded the whole log, that reader left a checkpoint at its end.
	if ok, err := b.Exists(ctx, "registry/models/fraud/checkpoint/00000000000000000013.json"); err != nil || !ok {
		t.Fatalf("no checkpoint after a long cold fold: %v, %v", ok, err)
	}
}

func testCorruption(t *testing.T, b *artifact.Bucket) {
	ctx := context.Background()
	r := newRegistry(t, b, nil)
	for _, m := range []string{"good", "bad", "newer"} {
		must[*registry.Version](t)(r.Register(ctx, m, &registry.VersionSpec{Files: files("m", m)}))
	}
	// A truncated entry 2 of "bad", an entry of a future type in "newer".
	if err := b.CreateOnly(ctx, "registry/models/bad/log/00000000000000000002.json", []byte(`{"format":1,"type":"alias.set","ti`)); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateOnly(ctx, "registry/models/newer/log/00000000000000000002.json", []byte(`{"format":1,"type":"model.teleport","time":"2030-01-01T00:00:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	fresh := newRegistry(t, b, nil)
	_, err := fresh.Get(ctx, "bad/1")
	if !errors.Is(err, registry.ErrCorruptEntry) || !strings.Contains(err.Error(), `model "bad" entry 2`) {
		t.Fatalf("Get on a corrupt log = %v, want ErrCorruptEntry naming entry 2", err)
	}
	if _, err := fresh.Register(ctx, "bad", nil); !errors.Is(err, registry.ErrCorruptEntry) {
		t.Fatalf("Register on a corrupt log = %v", err)
	}
	_, err = fresh.Get(ctx, "newer/1")
	if !errors.Is(err, registry.ErrUnsupportedEntry) || !strings.Contains(err.Error(), "model.teleport") {
		t.Fatalf("Get with an entry from a newer writer = %v, want ErrUnsupportedEntry", err)
	}
	// The rest of the registry still reads and writes.
	if v := must[*registry.Version](t)(fresh.Register(ctx, "good", nil)); v.Number != 2 {
		t.Fatalf("good model next version = %d", v.Number)
	}
	page := must[*registry.VersionPage](t)(fresh.SearchVersions(ctx, nil))
	var refs []string
	for _, v := range page.Versions {
		refs = append(refs, v.Ref().String())
	}
	if diff := cmp.Diff([]string{"good/2", "good/1"}, refs); diff != "" {
		t.Fatalf("search around broken models (-want +got):\n%s", diff)
	}
	hist, err := fresh.History(ctx, "bad")
	if !errors.Is(err, registry.ErrCorruptEntry) || len(hist) != 1 {
		t.Fatalf("History of the corrupt model = %d events, %v", len(hist), err)
	}
}

// authorizer denies the verbs it is given and records every question.
type authorizer struct {
	mu    sync.Mutex
	deny  map[string]bool
	asked []string
}

var errDenied = errors.New("denied by policy")

func (a *authorizer) Authorize(_ context.Context, verb, resource, name string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, verb+" "+resource+" "+name)
	if a.deny[verb] {
		return errDenied
	}
	return nil
}

func TestAuthorizer(t *testing.T) {
	ctx := context.Background()
	b := openBucket(t, "mem://")
	auth := &authorizer{deny: map[string]bool{"promote": true, "sign": true}}
	r := newRegistry(t, b, &registry.Options{Authorizer: auth})
	must[*registry.Version](t)(r.Register(ctx, "fraud", nil))
	must[*registry.Version](t)(r.Get(ctx, "fraud/1"))
	if err := r.SetAlias(ctx, "fraud", "staging", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Promote(ctx, "fraud/1", "production", nil); !errors.Is(err, errDenied) || !strings.Contains(err.Error(), "promote models/aliases") {
		t.Fatalf("Promote = %v, want the authorizer's denial wrapped", err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := r.Sign(ctx, "fraud/1", key); !errors.Is(err, errDenied) {
		t.Fatalf("Sign = %v", err)
	}
	want := []string{"create models/versions fraud", "create models fraud", "get models/versions fraud", "update models/aliases fraud",
		"promote models/aliases fraud", "sign models/versions fraud"}
	if diff := cmp.Diff(want, auth.asked); diff != "" {
		t.Fatalf("questions (-want +got):\n%s", diff)
	}
	if _, err := r.Resolve(ctx, "fraud@production"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("denied promotion moved the alias: %v", err)
	}
}
