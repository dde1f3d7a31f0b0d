package ui

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"gocloud.dev/blob"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/dataset/table"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/drift"
	"github.com/sextant-ml/sextant/drift/tabular"
	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/registry"
	"github.com/sextant-ml/sextant/tracking"
)

func (h *Handler) routes() {
	m := h.mux
	m.HandleFunc("GET /{$}", h.index)
	m.HandleFunc("GET /assets/style.css", h.style)
	m.HandleFunc("GET /models", h.models)
	m.HandleFunc("GET /models/{model}", h.model)
	m.HandleFunc("GET /models/{model}/versions/{version}", h.version)
	m.HandleFunc("GET /models/{model}/versions/{version}/lineage", h.lineage)
	m.HandleFunc("GET /runs", h.runs)
	m.HandleFunc("GET /runs/compare", h.compareRuns)
	m.HandleFunc("GET /runs/{id}", h.run)
	m.HandleFunc("GET /datasets", h.datasets)
	m.HandleFunc("GET /datasets/{name}", h.dataset)
	m.HandleFunc("GET /datasets/{name}/diff", h.datasetDiff)
	m.HandleFunc("GET /datasets/{name}/drift", h.datasetDrift)
	m.HandleFunc("GET /deployments", h.deployments)
	m.HandleFunc("GET /deployments/{name}", h.deployment)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, http.StatusNotFound, "Not found", "No page at "+r.URL.Path+".")
	})
}

// section is one entry of the index.
type section struct {
	Path, Name, About string
}

func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	var s []section
	add := func(ok bool, resource, p, name, about string) {
		if ok && h.may(r, rbac.VerbList, resource, "") {
			s = append(s, section{p, name, about})
		}
	}
	add(h.o.Registry != nil, rbac.ResourceModels, "models", "Models", "registered models, their versions, aliases and lineage")
	add(h.o.Tracker != nil, h.o.RunsResource, "runs", "Runs", "tracked experiment runs, metric charts, comparisons")
	add(h.o.Datasets != nil, rbac.ResourceDatasets, "datasets", "Datasets", "dataset versions, diffs, drift between versions")
	add(h.o.Artifacts != nil, rbac.ResourceDeployments, "deployments", "Deployments", "live rollouts and their history")
	if len(s) == 0 {
		if h.o.Authorizer != nil {
			h.fail(w, r, http.StatusForbidden, "Forbidden", "You may list none of the sections.")
			return
		}
		h.fail(w, r, http.StatusNotFound, "Nothing to show", "The UI was given no registry, tracker, datasets or bucket.")
		return
	}
	h.render(w, r, http.StatusOK, "index", "", h.o.Title, s)
}

// ---- models

func (h *Handler) models(w http.ResponseWriter, r *http.Request) {
	if h.o.Registry == nil {
		h.failErr(w, r, fmt.Errorf("%w: no registry", errNotFound))
		return
	}
	if !h.allow(w, r, check{rbac.VerbList, rbac.ResourceModels, ""}) {
		return
	}
	var all []*registry.Model
	opts := &registry.ListOptions{PageSize: 1000}
	for {
		p, err := h.o.Registry.ListModels(r.Context(), opts)
		if err != nil {
			h.failErr(w, r, err)
			return
		}
		all = append(all, p.Models...)
		if p.NextPageToken == "" || len(all) >= 5000 {
			break
		}
		opts.PageToken = p.NextPageToken
	}
	h.render(w, r, http.StatusOK, "models", "models", "Models", all)
}

type aliasRow struct {
	Alias   string
	Version int
}

type modelData struct {
	Model    *registry.Model
	Versions []*registry.Version
	Aliases  []aliasRow
	History  []registry.Event
}

func (h *Handler) model(w http.ResponseWriter, r *http.Request) {
	if h.o.Registry == nil {
		h.failErr(w, r, fmt.Errorf("%w: no registry", errNotFound))
		return
	}
	name := r.PathValue("model")
	if !h.allow(w, r, check{rbac.VerbGet, rbac.ResourceModels, name}, check{rbac.VerbList, rbac.ResourceModelVersions, name}, check{rbac.VerbList, rbac.ResourceModelAliases, name}) {
		return
	}
	ctx := r.Context()
	m, err := h.o.Registry.GetModel(ctx, name)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	d := modelData{Model: m}
	opts := &registry.SearchOptions{Model: name, PageSize: 1000}
	for {
		p, err := h.o.Registry.SearchVersions(ctx, opts)
		if err != nil {
			h.failErr(w, r, err)
			return
		}
		d.Versions = append(d.Versions, p.Versions...)
		if p.NextPageToken == "" || len(d.Versions) >= 5000 {
			break
		}
		opts.PageToken = p.NextPageToken
	}
	for a, v := range m.Aliases {
		d.Aliases = append(d.Aliases, aliasRow{a, v})
	}
	slices.SortFunc(d.Aliases, func(a, b aliasRow) int { return cmp.Compare(a.Alias, b.Alias) })
	events, err := h.o.Registry.History(ctx, name)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	for _, e := range events {
		if e.Alias != "" {
			d.History = append(d.History, e)
		}
	}
	slices.Reverse(d.History) // newest first
	h.render(w, r, http.StatusOK, "model", "models", "Model "+name, d)
}

func (h *Handler) getVersion(w http.ResponseWriter, r *http.Request) (*registry.Version, bool) {
	if h.o.Registry == nil {
		h.failErr(w, r, fmt.Errorf("%w: no registry", errNotFound))
		return nil, false
	}
	name, num := r.PathValue("model"), r.PathValue("version")
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 {
		h.failErr(w, r, fmt.Errorf("%w: version %q is not a positive number", errBadRequest, num))
		return nil, false
	}
	if !h.allow(w, r, check{rbac.VerbGet, rbac.ResourceModelVersions, name}) {
		return nil, false
	}
	v, err := h.o.Registry.Get(r.Context(), name+"/"+strconv.Itoa(n))
	if err != nil {
		h.failErr(w, r, err)
		return nil, false
	}
	return v, true
}

type kv struct{ Key, Value string }

func sortedKV[V any](m map[string]V) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{k, fmt.Sprint(v)})
	}
	slices.SortFunc(out, func(a, b kv) int { return cmp.Compare(a.Key, b.Key) })
	return out
}

type versionData struct {
	V       *registry.Version
	Params  []kv
	Metrics []kv
	Tags    []kv
	RunLink bool
}

func (h *Handler) version(w http.ResponseWriter, r *http.Request) {
	v, ok := h.getVersion(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "version", "models", fmt.Sprintf("%s version %d", v.Model, v.Number), versionData{
		V: v, Params: sortedKV(v.Params), Metrics: sortedKV(v.Metrics), Tags: sortedKV(v.Tags),
		RunLink: h.o.Tracker != nil && v.Lineage.RunID != "",
	})
}

type lineageData struct {
	V     *registry.Version
	Graph graph
}

func (h *Handler) lineage(w http.ResponseWriter, r *http.Request) {
	v, ok := h.getVersion(w, r)
	if !ok {
		return
	}
	root := rootOf(r.URL.Path)
	var inputs []gnode
	if id := v.Lineage.RunID; id != "" {
		n := gnode{Label: "run " + shorten(id, 16), Sub: "training run", Class: "run"}
		if h.o.Tracker != nil {
			if run, err := h.o.Tracker.GetRun(r.Context(), id); err == nil {
				n.Href = root + "runs/" + pathEscape(id)
				if run.Info.Name != "" {
					n.Sub = run.Info.Name
				}
			}
		}
		inputs = append(inputs, n)
	}
	owners := h.datasetOwners(r.Context(), v.Lineage.Datasets)
	for _, d := range v.Lineage.Datasets {
		n := gnode{Label: "data " + shortDigest(d), Sub: "manifest", Class: "data"}
		if o, ok := owners[d]; ok {
			n.Label = fmt.Sprintf("%s v%d", o.Dataset, o.Number)
			n.Sub = shortDigest(d)
			if h.may(r, rbac.VerbGet, rbac.ResourceDatasets, o.Dataset) {
				n.Href = root + "datasets/" + pathEscape(o.Dataset)
			}
		}
		inputs = append(inputs, n)
	}
	if p := v.Lineage.Parent; p > 0 {
		inputs = append(inputs, gnode{Label: fmt.Sprintf("%s v%d", v.Model, p), Sub: "parent version", Class: "parent",
			Href: root + "models/" + pathEscape(v.Model) + "/versions/" + strconv.Itoa(p) + "/lineage"})
	}
	center := gnode{Label: fmt.Sprintf("%s v%d", v.Model, v.Number), Sub: string(v.Status), Class: "self",
		Href: root + "models/" + pathEscape(v.Model) + "/versions/" + strconv.Itoa(v.Number)}
	if v.Lineage.Source != "" || v.Lineage.CodeRevision != "" {
		inputs = append(inputs, gnode{Label: shorten(cmp.Or(v.Lineage.CodeRevision, v.Lineage.Source), 22), Sub: "code", Class: "code"})
	}
	h.render(w, r, http.StatusOK, "lineage", "models", fmt.Sprintf("Lineage of %s version %d", v.Model, v.Number), lineageData{V: v, Graph: layoutLineage(inputs, center)})
}

// datasetOwners finds the dataset versions whose manifests are the given
// digests, over every dataset the subject... may not matter: names are
// shown only where the caller checks access.
func (h *Handler) datasetOwners(ctx context.Context, digests []string) map[string]dataset.Version {
	out := map[string]dataset.Version{}
	if h.o.Datasets == nil || len(digests) == 0 {
		return out
	}
	names, err := h.listNames(ctx, "datasets/")
	if err != nil {
		return out
	}
	want := map[string]bool{}
	for _, d := range digests {
		want[d] = true
	}
	for _, n := range names {
		vs, err := h.o.Datasets.Versions(ctx, n)
		if err != nil {
			continue
		}
		for _, v := range vs {
			if _, seen := out[v.Manifest.String()]; want[v.Manifest.String()] && !seen {
				out[v.Manifest.String()] = v
			}
		}
	}
	return out
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func pathEscape(s string) string { return url.PathEscape(s) }

func writeJSON(w io.Writer, v any) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(v)
}

// ---- runs

type runsData struct {
	Experiments map[string]string
	Runs        []*tracking.Run
	MetricKeys  []string
}

func (h *Handler) runs(w http.ResponseWriter, r *http.Request) {
	if h.o.Tracker == nil {
		h.failErr(w, r, fmt.Errorf("%w: no tracker", errNotFound))
		return
	}
	if !h.allow(w, r, check{rbac.VerbList, h.o.RunsResource, ""}) {
		return
	}
	ctx := r.Context()
	ep, err := h.o.Tracker.SearchExperiments(ctx, &tracking.ExperimentSearch{})
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	d := runsData{Experiments: map[string]string{}}
	var ids []string
	for _, e := range ep.Experiments {
		d.Experiments[e.ID] = e.Name
		ids = append(ids, e.ID)
	}
	if len(ids) > 0 {
		rp, err := h.o.Tracker.SearchRuns(ctx, &tracking.RunSearch{ExperimentIDs: ids, MaxResults: 500})
		if err != nil {
			h.failErr(w, r, err)
			return
		}
		d.Runs = rp.Runs
	}
	keys := map[string]bool{}
	for _, run := range d.Runs {
		for k := range run.Metrics {
			keys[k] = true
		}
	}
	for k := range keys {
		d.MetricKeys = append(d.MetricKeys, k)
	}
	slices.Sort(d.MetricKeys)
	if len(d.MetricKeys) > 8 {
		d.MetricKeys = d.MetricKeys[:8]
	}
	h.render(w, r, http.StatusOK, "runs", "runs", "Runs", d)
}

type metricChart struct {
	Key    string
	Points int
	Chart  lineChart
}

type runData struct {
	Run        *tracking.Run
	Experiment string
	Params     []kv
	Tags       []kv
	Metrics    []tracking.Metric
	Charts     []metricChart
}

func (h *Handler) run(w http.ResponseWriter, r *http.Request) {
	if h.o.Tracker == nil {
		h.failErr(w, r, fmt.Errorf("%w: no tracker", errNotFound))
		return
	}
	id := r.PathValue("id")
	if !h.allow(w, r, check{rbac.VerbGet, h.o.RunsResource, id}) {
		return
	}
	ctx := r.Context()
	run, err := h.o.Tracker.GetRun(ctx, id)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	d := runData{Run: run, Params: sortedKV(run.Params), Tags: sortedKV(run.Tags)}
	if e, err := h.o.Tracker.GetExperiment(ctx, run.Info.ExperimentID); err == nil {
		d.Experiment = e.Name
	}
	for _, kv := range sortedKV(run.Metrics) {
		m := run.Metrics[kv.Key]
		d.Metrics = append(d.Metrics, m)
		hist, err := h.o.Tracker.MetricHistory(ctx, id, kv.Key)
		if err != nil {
			h.failErr(w, r, err)
			return
		}
		d.Charts = append(d.Charts, metricChart{Key: kv.Key, Points: len(hist), Chart: buildLineChart(kv.Key, []series{seriesOf(run.Info.Name, hist)})})
	}
	h.render(w, r, http.StatusOK, "run", "runs", "Run "+cmp.Or(run.Info.Name, id), d)
}

func seriesOf(name string, hist []tracking.Metric) series {
	s := series{Name: name}
	slices.SortStableFunc(hist, func(a, b tracking.Metric) int {
		return cmp.Or(cmp.Compare(a.Step, b.Step), cmp.Compare(a.Timestamp, b.Timestamp))
	})
	for _, m := range hist {
		s.X = append(s.X, float64(m.Step))
		s.Y = append(s.Y, m.Value)
	}
	return s
}

type compareData struct {
	C      *tracking.Comparison
	Charts []metricChart
}

func (h *Handler) compareRuns(w http.ResponseWriter, r *http.Request) {
	if h.o.Tracker == nil {
		h.failErr(w, r, fmt.Errorf("%w: no tracker", errNotFound))
		return
	}
	ids := slices.Compact(slices.Sorted(slices.Values(r.URL.Query()["id"])))
	if len(ids) < 2 || len(ids) > 20 {
		h.failErr(w, r, fmt.Errorf("%w: compare needs 2 to 20 runs (id=...&id=...), got %d", errBadRequest, len(ids)))
		return
	}
	var checks []check
	for _, id := range ids {
		checks = append(checks, check{rbac.VerbGet, h.o.RunsResource, id})
	}
	if !h.allow(w, r, checks...) {
		return
	}
	ctx := r.Context()
	c, err := h.o.Tracker.CompareRuns(ctx, ids...)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	d := compareData{C: c}
	for _, row := range c.Metrics {
		var ss []series
		points := 0
		for _, run := range c.Runs {
			hist, err := h.o.Tracker.MetricHistory(ctx, run.Info.ID, row.Key)
			if err != nil {
				h.failErr(w, r, err)
				return
			}
			points += len(hist)
			ss = append(ss, seriesOf(cmp.Or(run.Info.Name, run.Info.ID), hist))
		}
		d.Charts = append(d.Charts, metricChart{Key: row.Key, Points: points, Chart: buildLineChart(row.Key, ss)})
	}
	h.render(w, r, http.StatusOK, "compare", "runs", "Compare runs", d)
}

// ---- datasets

// listNames lists the directory names directly under prefix on the bucket
// ("datasets/", "deployments/").
func (h *Handler) listNames(ctx context.Context, prefix string) ([]string, error) {
	if h.o.Artifacts == nil {
		return nil, fmt.Errorf("%w: no bucket", errNotFound)
	}
	b := h.o.Artifacts.Bucket()
	full := b.Prefix() + prefix
	it := b.Blob().List(&blob.ListOptions{Prefix: full, Delimiter: "/"})
	var names []string
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if !o.IsDir {
			continue
		}
		n := strings.TrimSuffix(strings.TrimPrefix(o.Key, full), "/")
		if n != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names, nil
}

type datasetRow struct {
	Name   string
	Latest dataset.Version
	Count  int
}

func (h *Handler) datasets(w http.ResponseWriter, r *http.Request) {
	if h.o.Datasets == nil {
		h.failErr(w, r, fmt.Errorf("%w: no dataset store", errNotFound))
		return
	}
	if !h.allow(w, r, check{rbac.VerbList, rbac.ResourceDatasets, ""}) {
		return
	}
	names, err := h.listNames(r.Context(), "datasets/")
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	var rows []datasetRow
	for _, n := range names {
		if dataset.ValidateName(n) != nil || !h.may(r, rbac.VerbGet, rbac.ResourceDatasets, n) {
			continue
		}
		vs, err := h.o.Datasets.Versions(r.Context(), n)
		if err != nil || len(vs) == 0 {
			continue
		}
		rows = append(rows, datasetRow{Name: n, Latest: vs[len(vs)-1], Count: len(vs)})
	}
	h.render(w, r, http.StatusOK, "datasets", "datasets", "Datasets", rows)
}

func (h *Handler) datasetVersions(w http.ResponseWriter, r *http.Request) (string, []dataset.Version, bool) {
	if h.o.Datasets == nil {
		h.failErr(w, r, fmt.Errorf("%w: no dataset store", errNotFound))
		return "", nil, false
	}
	name := r.PathValue("name")
	if err := dataset.ValidateName(name); err != nil {
		h.failErr(w, r, err)
		return "", nil, false
	}
	if !h.allow(w, r, check{rbac.VerbGet, rbac.ResourceDatasets, name}) {
		return "", nil, false
	}
	vs, err := h.o.Datasets.Versions(r.Context(), name)
	if err == nil && len(vs) == 0 {
		err = fmt.Errorf("%w: dataset %q has no versions", errNotFound, name)
	}
	if err != nil {
		h.failErr(w, r, err)
		return "", nil, false
	}
	return name, vs, true
}

type datasetData struct {
	Name     string
	Versions []dataset.Version // newest first
	From, To int
}

func (h *Handler) dataset(w http.ResponseWriter, r *http.Request) {
	name, vs, ok := h.datasetVersions(w, r)
	if !ok {
		return
	}
	d := datasetData{Name: name, Versions: slices.Clone(vs), To: vs[len(vs)-1].Number, From: vs[max(len(vs)-2, 0)].Number}
	slices.Reverse(d.Versions)
	h.render(w, r, http.StatusOK, "dataset", "datasets", "Dataset "+name, d)
}

func pickVersion(vs []dataset.Version, s string) (dataset.Version, error) {
	n, err := strconv.Atoi(s)
	if err == nil {
		for _, v := range vs {
			if v.Number == n {
				return v, nil
			}
		}
	}
	for _, v := range vs {
		if slices.Contains(v.Tags, s) {
			return v, nil
		}
	}
	return dataset.Version{}, fmt.Errorf("%w: no version %q", errNotFound, s)
}

// tabularFile reports whether the report can read the file.
func tabularFile(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".csv", ".jsonl", ".ndjson":
		return true
	}
	return false
}

type diffData struct {
	Name       string
	From, To   dataset.Version
	Changes    dataset.Changes
	Comparable []string // files in both versions a drift report can read
}

func (h *Handler) datasetDiff(w http.ResponseWriter, r *http.Request) {
	name, vs, ok := h.datasetVersions(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	from, err := pickVersion(vs, q.Get("from"))
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	to, err := pickVersion(vs, q.Get("to"))
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	ctx := r.Context()
	fm, err := h.o.Datasets.Manifest(ctx, from.Manifest)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	tm, err := h.o.Datasets.Manifest(ctx, to.Manifest)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	d := diffData{Name: name, From: from, To: to, Changes: dataset.Diff(fm, tm)}
	for _, p := range append(slices.Clone(d.Changes.Modified), d.Changes.Unchanged...) {
		if tabularFile(p) {
			d.Comparable = append(d.Comparable, p)
		}
	}
	slices.Sort(d.Comparable)
	h.render(w, r, http.StatusOK, "diff", "datasets", fmt.Sprintf("%s: version %d to %d", name, from.Number, to.Number), d)
}

// MaxDriftFileBytes bounds each file a drift report between dataset
// versions reads.
const MaxDriftFileBytes = 256 << 20

func (h *Handler) datasetDrift(w http.ResponseWriter, r *http.Request) {
	name, vs, ok := h.datasetVersions(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	file := q.Get("file")
	if !tabularFile(file) {
		h.failErr(w, r, fmt.Errorf("%w: file %q: want a .csv or .jsonl file", errBadRequest, file))
		return
	}
	ctx := r.Context()
	read := func(ref string, kinds *table.Columns) (dataset.Version, *table.Columns, error) {
		v, err := pickVersion(vs, ref)
		if err != nil {
			return v, nil, err
		}
		m, err := h.o.Datasets.Manifest(ctx, v.Manifest)
		if err != nil {
			return v, nil, err
		}
		e, ok := m.Lookup(file)
		if !ok {
			return v, nil, fmt.Errorf("%w: %s has no file %q in version %d", errNotFound, name, file, v.Number)
		}
		if e.Size > MaxDriftFileBytes {
			return v, nil, fmt.Errorf("%w: %q is %d bytes, more than the %d a report reads", errBadRequest, file, e.Size, MaxDriftFileBytes)
		}
		rd, err := h.o.Artifacts.Open(ctx, artifact.Digest(e.Digest))
		if err != nil {
			return v, nil, err
		}
		defer rd.Close()
		opts := &table.ColumnOptions{}
		if ext := strings.ToLower(path.Ext(file)); ext != ".csv" {
			opts.Format = table.JSONL
		}
		if kinds != nil {
			opts.Numeric = sortedKeys(kinds.Numeric)
			opts.Categorical = sortedKeys(kinds.Categorical)
		}
		cols, err := table.ReadColumns(ctx, io.LimitReader(rd, MaxDriftFileBytes), opts)
		if err != nil {
			return v, nil, fmt.Errorf("%w: %s version %d: %w", errBadRequest, file, v.Number, err)
		}
		return v, cols, nil
	}
	fv, ref, err := read(q.Get("from"), nil)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	tv, cur, err := read(q.Get("to"), ref)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	rep, err := drift.Compare(tabular.FromColumns(ref), tabular.FromColumns(cur), nil)
	if err != nil {
		h.failErr(w, r, fmt.Errorf("%w: %w", errBadRequest, err))
		return
	}
	if q.Get("format") == "json" {
		var b bytes.Buffer
		if err := writeJSON(&b, rep); err != nil {
			h.failErr(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b.Bytes())
		return
	}
	var b bytes.Buffer
	title := fmt.Sprintf("Drift of %s: %s version %d against version %d", file, name, tv.Number, fv.Number)
	if err := rep.WriteHTML(&b, &drift.HTMLOptions{Title: title}); err != nil {
		h.failErr(w, r, err)
		return
	}
	// The report is drift's own self-contained page, with one line of
	// links back into the UI after its opening body tag.
	root := rootOf(r.URL.Path)
	back := fmt.Sprintf(`<body>
<p style="font-size:.9rem"><a href="%s">%s</a> · <a href="%s">%s</a> · <a href="%s">diff v%d → v%d</a></p>`,
		html.EscapeString(root), html.EscapeString(h.o.Title),
		html.EscapeString(root+"datasets/"+url.PathEscape(name)), html.EscapeString(name),
		html.EscapeString(root+"datasets/"+url.PathEscape(name)+"/diff?"+url.Values{"from": {strconv.Itoa(fv.Number)}, "to": {strconv.Itoa(tv.Number)}}.Encode()), fv.Number, tv.Number)
	page := bytes.Replace(b.Bytes(), []byte("<body>"), []byte(back), 1)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(page)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ---- deployments

type deploymentRow struct {
	Name  string
	State rollout.State
}

func (h *Handler) deployments(w http.ResponseWriter, r *http.Request) {
	if h.o.Artifacts == nil {
		h.failErr(w, r, fmt.Errorf("%w: no bucket", errNotFound))
		return
	}
	if !h.allow(w, r, check{rbac.VerbList, rbac.ResourceDeployments, ""}) {
		return
	}
	names, err := h.listNames(r.Context(), "deployments/")
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	var rows []deploymentRow
	for _, n := range names {
		if !h.may(r, rbac.VerbGet, rbac.ResourceDeployments, n) {
			continue
		}
		s, err := rollout.NewBlobStore(h.o.Artifacts.Bucket(), n, nil)
		if err != nil {
			continue
		}
		st, err := s.Load(r.Context())
		if err != nil {
			continue
		}
		rows = append(rows, deploymentRow{n, st})
	}
	h.render(w, r, http.StatusOK, "deployments", "deployments", "Deployments", rows)
}

type deploymentData struct {
	Name    string
	State   rollout.State
	History []rollout.State // newest first
	Weight  lineChart
}

func (h *Handler) deployment(w http.ResponseWriter, r *http.Request) {
	if h.o.Artifacts == nil {
		h.failErr(w, r, fmt.Errorf("%w: no bucket", errNotFound))
		return
	}
	name := r.PathValue("name")
	if !h.allow(w, r, check{rbac.VerbGet, rbac.ResourceDeployments, name}) {
		return
	}
	s, err := rollout.NewBlobStore(h.o.Artifacts.Bucket(), name, nil)
	if err != nil {
		h.failErr(w, r, fmt.Errorf("%w: %w", errBadRequest, err))
		return
	}
	hist, err := s.History(r.Context())
	if err == nil && len(hist) == 0 {
		err = fmt.Errorf("%w: deployment %q", rollout.ErrNoState, name)
	}
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	sr := series{Name: "canary weight"}
	for _, st := range hist {
		sr.X = append(sr.X, float64(st.Revision))
		sr.Y = append(sr.Y, st.Weight)
	}
	d := deploymentData{Name: name, State: hist[len(hist)-1], History: slices.Clone(hist), Weight: buildLineChart("canary weight (%) by revision", []series{sr})}
	slices.Reverse(d.History)
	h.render(w, r, http.StatusOK, "deployment", "deployments", "Deployment "+name, d)
}
