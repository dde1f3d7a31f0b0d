package tracking

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sextant-ml/sextant/internal/filter"
	"golang.org/x/sync/errgroup"
)

// ViewType selects runs or experiments by lifecycle stage in a search.
type ViewType string

// View types, as MLflow names them. The zero value means ActiveOnly.
const (
	ActiveOnly  ViewType = "ACTIVE_ONLY"
	DeletedOnly ViewType = "DELETED_ONLY"
	All         ViewType = "ALL"
)

func (v ViewType) admits(l Lifecycle) bool {
	switch v {
	case All:
		return true
	case DeletedOnly:
		return l == Deleted
	}
	return l == Active
}

// Search defaults and limits, as MLflow's.
const (
	DefaultMaxResults = 1000
	MaxResultsLimit   = 50000
)

func parseFilter(src string, schema filter.Schema) (*filter.Filter, error) {
	f, err := filter.Parse(src, schema)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidFilter, err)
	}
	return f, nil
}

var runAttrs = map[string]filter.Kind{
	"run_id": filter.Text, "run_name": filter.Text, "status": filter.Text, "user_id": filter.Text,
	"artifact_uri": filter.Text, "lifecycle_stage": filter.Text, "experiment_id": filter.Text,
	"parent_run_id": filter.Text, "start_time": filter.Number, "end_time": filter.Number,
}

// runField is the schema of run filters: metrics.<key> (numbers),
// params.<key> and tags.<key> (text), and the attributes run_id, run_name,
// status, user_id, artifact_uri, lifecycle_stage, experiment_id,
// parent_run_id (text), start_time and end_time (numbers, Unix ms), bare or
// after attributes. (MLflow's prefixes metric., param., tag., attribute.
// and attr. are accepted too.)
func runField(name string) (string, filter.Kind, bool) {
	pre, key, ok := strings.Cut(name, ".")
	if !ok {
		pre, key = "attributes", name
	}
	switch strings.ToLower(pre) {
	case "metrics", "metric":
		return "metrics." + key, filter.Number, key != ""
	case "params", "param", "parameters", "parameter":
		return "params." + key, filter.Text, key != ""
	case "tags", "tag":
		return "tags." + key, filter.Text, key != ""
	case "attributes", "attribute", "attr", "run":
		key = strings.ToLower(key)
		if key == "name" {
			key = "run_name"
		}
		k, ok := runAttrs[key]
		return "attributes." + key, k, ok
	}
	return "", 0, false
}

// experimentField is the schema of experiment filters.
func experimentField(name string) (string, filter.Kind, bool) {
	pre, key, ok := strings.Cut(name, ".")
	if !ok {
		pre, key = "attributes", name
	}
	switch strings.ToLower(pre) {
	case "tags", "tag":
		return "tags." + key, filter.Text, key != ""
	case "attributes", "attribute", "attr":
		switch key = strings.ToLower(key); key {
		case "name", "experiment_id", "lifecycle_stage", "artifact_location":
			return key, filter.Text, true
		case "creation_time", "last_update_time":
			return key, filter.Number, true
		}
	}
	return "", 0, false
}

type runSubject struct{ r *Run }

func (s runSubject) Text(f string) (filter.TextValue, bool) {
	r := s.r
	if k, ok := strings.CutPrefix(f, "params."); ok {
		v, ok := r.Params[k]
		return filter.One(v), ok
	}
	if k, ok := strings.CutPrefix(f, "tags."); ok {
		v, ok := r.Tags[k]
		return filter.One(v), ok
	}
	switch f {
	case "attributes.run_id":
		return filter.One(r.Info.ID), true
	case "attributes.run_name":
		return filter.One(r.Info.Name), true
	case "attributes.status":
		return filter.One(string(r.Info.Status)), true
	case "attributes.user_id":
		return filter.One(r.Info.UserID), true
	case "attributes.artifact_uri":
		return filter.One(r.Info.ArtifactURI), true
	case "attributes.lifecycle_stage":
		return filter.One(string(r.Info.Lifecycle)), true
	case "attributes.experiment_id":
		return filter.One(r.Info.ExperimentID), true
	case "attributes.parent_run_id":
		return filter.One(r.Info.ParentID), r.Info.ParentID != ""
	}
	return filter.TextValue{}, false
}

func (s runSubject) Number(f string) (float64, bool) {
	if k, ok := strings.CutPrefix(f, "metrics."); ok {
		m, ok := s.r.Metrics[k]
		return m.Value, ok
	}
	switch f {
	case "attributes.start_time":
		return float64(s.r.Info.StartTime), true
	case "attributes.end_time":
		return float64(s.r.Info.EndTime), s.r.Info.EndTime != 0
	}
	return 0, false
}

func (runSubject) Time(string) (time.Time, bool) { return time.Time{}, false }
func (runSubject) Bool(string) (bool, bool)      { return false, false }

type experimentSubject struct{ x *Experiment }

func (s experimentSubject) Text(f string) (filter.TextValue, bool) {
	if k, ok := strings.CutPrefix(f, "tags."); ok {
		v, ok := s.x.Tags[k]
		return filter.One(v), ok
	}
	switch f {
	case "name":
		return filter.One(s.x.Name), true
	case "experiment_id":
		return filter.One(s.x.ID), true
	case "lifecycle_stage":
		return filter.One(string(s.x.Lifecycle)), true
	case "artifact_location":
		return filter.One(s.x.ArtifactLocation), true
	}
	return filter.TextValue{}, false
}

func (s experimentSubject) Number(f string) (float64, bool) {
	switch f {
	case "creation_time":
		return float64(s.x.CreationTime), true
	case "last_update_time":
		return float64(s.x.LastUpdateTime), true
	}
	return 0, false
}

func (experimentSubject) Time(string) (time.Time, bool) { return time.Time{}, false }
func (experimentSubject) Bool(string) (bool, bool)      { return false, false }

// orderKey is one parsed order-by clause.
type orderKey struct {
	field string
	kind  filter.Kind
	desc  bool
}

type orderBy []orderKey

// parseOrderBy reads clauses "<field> [ASC|DESC]"; a key with spaces is
// quoted as in filters: metrics.`my key` DESC.
func parseOrderBy(clauses []string, schema filter.Schema) (orderBy, error) {
	var out orderBy
	for _, c := range clauses {
		c = strings.TrimSpace(c)
		k := orderKey{}
		if i := strings.LastIndexAny(c, " \t"); i >= 0 {
			switch strings.ToUpper(c[i+1:]) {
			case "DESC":
				k.desc, c = true, strings.TrimSpace(c[:i])
			case "ASC":
				c = strings.TrimSpace(c[:i])
			}
		}
		name := c
		if pre, key, ok := strings.Cut(c, "."); ok && len(key) >= 2 && strings.ContainsRune("`\"'", rune(key[0])) && key[len(key)-1] == key[0] {
			q := string(key[0])
			name = pre + "." + strings.ReplaceAll(key[1:len(key)-1], q+q, q)
		}
		field, kind, ok := schema(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("%w: order by %q: unknown field", ErrInvalidFilter, c)
		}
		k.field, k.kind = field, kind
		out = append(out, k)
	}
	return out, nil
}

// compare orders a before b by the clauses; a missing value sorts last
// whatever the direction, as MLflow's SQL store sorts NULLs.
func (o orderBy) compare(a, b filter.Subject) int {
	for _, k := range o {
		var c int
		var okA, okB bool
		if k.kind == filter.Number {
			var x, y float64
			x, okA = a.Number(k.field)
			y, okB = b.Number(k.field)
			okA, okB = okA && !math.IsNaN(x), okB && !math.IsNaN(y)
			c = cmp.Compare(x, y)
		} else {
			var x, y filter.TextValue
			x, okA = a.Text(k.field)
			y, okB = b.Text(k.field)
			if okA && okB {
				c = filter.CompareText(x, y)
			}
		}
		switch {
		case !okA && !okB:
			continue
		case !okA:
			return 1
		case !okB:
			return -1
		}
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// compareIDs orders decimal ids numerically and others after, by text.
func compareIDs(a, b string) int {
	if len(a) != len(b) {
		return cmp.Compare(len(a), len(b))
	}
	return strings.Compare(a, b)
}

// Page tokens carry an offset and a hash of the query they continue.
func queryHash(parts ...string) uint64 {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return binary.BigEndian.Uint64(h.Sum(nil))
}

func encodeToken(offset int, parts ...string) string {
	data, _ := json.Marshal(struct {
		O int    `json:"o"`
		H string `json:"h"`
	}{offset, strconv.FormatUint(queryHash(parts...), 16)})
	return base64.RawURLEncoding.EncodeToString(data)
}

func pageOf(maxResults int, token string, parts ...string) (size, offset int, err error) {
	size = maxResults
	if size <= 0 {
		size = DefaultMaxResults
	}
	if size > MaxResultsLimit {
		return 0, 0, fmt.Errorf("%w: max_results %d exceeds %d", ErrInvalidParameter, size, MaxResultsLimit)
	}
	if token == "" {
		return size, 0, nil
	}
	data, err := base64.RawURLEncoding.DecodeString(token)
	var tok struct {
		O int    `json:"o"`
		H string `json:"h"`
	}
	if err == nil {
		err = json.Unmarshal(data, &tok)
	}
	if err != nil || tok.O < 0 || tok.H != strconv.FormatUint(queryHash(parts...), 16) {
		return 0, 0, fmt.Errorf("%w: %.40q", ErrInvalidPageToken, token)
	}
	return size, tok.O, nil
}

// paginate returns items[off:off+size] and the offset of the next page, or
// -1 when this is the last.
func paginate[T any](items []T, size, off int) ([]T, int) {
	if off >= len(items) {
		return nil, -1
	}
	end := min(off+size, len(items))
	if end == len(items) {
		return items[off:end], -1
	}
	return items[off:end], end
}

// RunSearch selects runs.
type RunSearch struct {
	// ExperimentIDs to search; at least one.
	ExperimentIDs []string
	// Filter in the language of internal/filter with the fields listed at
	// runField: "metrics.acc > 0.9 and params.lr = '0.01' and
	// attributes.status = 'FINISHED'". Default: every run.
	Filter string
	// ViewType defaults to ActiveOnly.
	ViewType ViewType
	// OrderBy clauses "<field> [ASC|DESC]". Default: start_time DESC, then
	// run id, as MLflow orders.
	OrderBy    []string
	MaxResults int // default DefaultMaxResults, at most MaxResultsLimit
	PageToken  string
}

// RunPage is one page of a search.
type RunPage struct {
	Runs          []*Run
	NextPageToken string
}

// SearchRuns returns the runs of the experiments that pass the filter.
func (t *Tracker) SearchRuns(ctx context.Context, q *RunSearch) (*RunPage, error) {
	if q == nil || len(q.ExperimentIDs) == 0 {
		return nil, fmt.Errorf("%w: a run search needs at least one experiment id", ErrInvalidParameter)
	}
	parts := []string{"runs", strings.Join(q.ExperimentIDs, ","), q.Filter, string(q.ViewType), strings.Join(q.OrderBy, ",")}
	size, off, err := pageOf(q.MaxResults, q.PageToken, parts...)
	if err != nil {
		return nil, err
	}
	runs, err := t.findRuns(ctx, q.ExperimentIDs, q.Filter, q.ViewType, q.OrderBy)
	if err != nil {
		return nil, err
	}
	items, next := paginate(runs, size, off)
	page := &RunPage{}
	for _, r := range items {
		page.Runs = append(page.Runs, r.clone())
	}
	if next >= 0 {
		page.NextPageToken = encodeToken(next, parts...)
	}
	return page, nil
}

// findRuns loads, filters and sorts the runs of the experiments. The runs
// returned are the cached states: callers clone what they hand out.
func (t *Tracker) findRuns(ctx context.Context, expIDs []string, src string, view ViewType, order []string) ([]*Run, error) {
	f, err := parseFilter(src, runField)
	if err != nil {
		return nil, err
	}
	ob, err := parseOrderBy(order, runField)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, exp := range expIDs {
		if _, err := t.experiment(ctx, exp); err != nil {
			return nil, err
		}
		l, err := t.runListLog(exp)
		if err != nil {
			return nil, err
		}
		st, err := l.State(ctx, t.stale)
		if err != nil {
			return nil, err
		}
		ids = append(ids, st.ids...)
	}
	var (
		mu  sync.Mutex
		out []*Run
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, id := range ids {
		g.Go(func() error {
			fl, err := t.runLog(id)
			if err != nil {
				return err
			}
			st, err := fl.State(gctx, t.stale)
			if err != nil {
				if errors.Is(err, ErrCorrupt) || errors.Is(err, errUnsupported) {
					t.log.WarnContext(gctx, "tracking: search skips a run whose log is unreadable", "run", id, "err", err)
					return nil
				}
				return err
			}
			if st.run == nil || !view.admits(st.run.Info.Lifecycle) || !f.Match(runSubject{st.run}) {
				return nil // a run listed but never written (its creator stopped), or filtered out
			}
			mu.Lock()
			out = append(out, st.run)
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *Run) int {
		if c := ob.compare(runSubject{a}, runSubject{b}); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Info.StartTime, a.Info.StartTime); c != 0 {
			return c
		}
		return strings.Compare(a.Info.ID, b.Info.ID)
	})
	return out, nil
}

// BestRunQuery names the metric to rank runs by.
type BestRunQuery struct {
	ExperimentIDs []string
	// Metric is the key whose latest value ranks the runs. Runs without it,
	// or whose latest value is NaN, are left out.
	Metric string
	// Maximize picks the greatest value; otherwise the least.
	Maximize bool
	// Filter and ViewType narrow the runs as in RunSearch.
	Filter   string
	ViewType ViewType
}

// BestRun returns the run with the best latest value of the metric; a tie
// goes to the run that started first, then to the smaller run id. It fails
// with ErrNotFound when no run has the metric.
func (t *Tracker) BestRun(ctx context.Context, q *BestRunQuery) (*Run, error) {
	if q == nil || q.Metric == "" {
		return nil, fmt.Errorf("%w: best run needs a metric", ErrInvalidParameter)
	}
	runs, err := t.findRuns(ctx, q.ExperimentIDs, q.Filter, q.ViewType, nil)
	if err != nil {
		return nil, err
	}
	var best *Run
	for _, r := range runs {
		m, ok := r.Metrics[q.Metric]
		if !ok || math.IsNaN(m.Value) {
			continue
		}
		if best == nil {
			best = r
			continue
		}
		b := best.Metrics[q.Metric].Value
		better := m.Value < b
		if q.Maximize {
			better = m.Value > b
		}
		if better || m.Value == b && (r.Info.StartTime < best.Info.StartTime ||
			r.Info.StartTime == best.Info.StartTime && r.Info.ID < best.Info.ID) {
			best = r
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w: no run has metric %q", ErrNotFound, q.Metric)
	}
	return best.clone(), nil
}

// Row is one param (or tag) across the compared runs.
type Row struct {
	Key string
	// Values[i] is run i's value; Present[i] says whether run i has one.
	Values  []string
	Present []bool
	// Differs is true when two runs disagree (a missing value counts).
	Differs bool
}

// MetricRow is one metric's latest value across the compared runs.
type MetricRow struct {
	Key     string
	Values  []float64
	Present []bool
	Differs bool
}

// Comparison lays runs side by side, rows sorted by key.
type Comparison struct {
	Runs    []*Run
	Params  []Row
	Tags    []Row
	Metrics []MetricRow
}

// CompareRuns returns the params, tags and latest metrics of the runs side
// by side.
func (t *Tracker) CompareRuns(ctx context.Context, ids ...string) (*Comparison, error) {
	c := &Comparison{}
	for _, id := range ids {
		r, err := t.GetRun(ctx, id)
		if err != nil {
			return nil, err
		}
		c.Runs = append(c.Runs, r)
	}
	c.Params = rows(c.Runs, func(r *Run) map[string]string { return r.Params })
	c.Tags = rows(c.Runs, func(r *Run) map[string]string { return r.Tags })
	keys := map[string]bool{}
	for _, r := range c.Runs {
		for k := range r.Metrics {
			keys[k] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		row := MetricRow{Key: k}
		for _, r := range c.Runs {
			m, ok := r.Metrics[k]
			row.Values, row.Present = append(row.Values, m.Value), append(row.Present, ok)
		}
		for i := 1; i < len(row.Values); i++ {
			a, b := row.Values[i], row.Values[0]
			if row.Present[i] != row.Present[0] || a != b && !(math.IsNaN(a) && math.IsNaN(b)) {
				row.Differs = true
			}
		}
		c.Metrics = append(c.Metrics, row)
	}
	return c, nil
}

func rows(runs []*Run, get func(*Run) map[string]string) []Row {
	keys := map[string]bool{}
	for _, r := range runs {
		for k := range get(r) {
			keys[k] = true
		}
	}
	var out []Row
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		row := Row{Key: k}
		for _, r := range runs {
			v, ok := get(r)[k]
			row.Values, row.Present = append(row.Values, v), append(row.Present, ok)
		}
		for i := 1; i < len(row.Values); i++ {
			if row.Present[i] != row.Present[0] || row.Values[i] != row.Values[0] {
				row.Differs = true
			}
		}
		out = append(out, row)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
