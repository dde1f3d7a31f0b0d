package tracking

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/sextant-ml/sextant/artifact"
	"golang.org/x/sync/errgroup"
)

// RunStatus is the status of a run, as MLflow names it.
type RunStatus string

// Run statuses.
const (
	StatusRunning   RunStatus = "RUNNING"
	StatusScheduled RunStatus = "SCHEDULED"
	StatusFinished  RunStatus = "FINISHED"
	StatusFailed    RunStatus = "FAILED"
	StatusKilled    RunStatus = "KILLED"
)

// Valid reports whether s is one of the five statuses.
func (s RunStatus) Valid() bool {
	switch s {
	case StatusRunning, StatusScheduled, StatusFinished, StatusFailed, StatusKilled:
		return true
	}
	return false
}

// Terminated reports whether s is FINISHED, FAILED or KILLED.
func (s RunStatus) Terminated() bool {
	return s == StatusFinished || s == StatusFailed || s == StatusKilled
}

// Reserved tags, as MLflow's clients set them.
const (
	TagRunName     = "mlflow.runName"
	TagParentRunID = "mlflow.parentRunId"
	TagUser        = "mlflow.user"
)

// Metric is one point of a metric series. Timestamp is Unix milliseconds.
type Metric struct {
	Key       string  `json:"key"`
	Value     float64 `json:"value"`
	Timestamp int64   `json:"timestamp"`
	Step      int64   `json:"step"`
}

// Param is a run parameter; once logged its value never changes.
type Param struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Tag is a run tag; setting it again replaces the value.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Batch is what one LogBatch call writes, as one log entry.
type Batch struct {
	Metrics []Metric
	Params  []Param
	Tags    []Tag
}

// Artifact is a file recorded on a run: its path in the run and the digest
// of its bytes in the artifact store.
type Artifact struct {
	Path   string          `json:"path"`
	Digest artifact.Digest `json:"digest"`
	Size   int64           `json:"size"`
}

// RunInfo is a run's metadata. Times are Unix milliseconds; EndTime is 0
// while the run has none.
type RunInfo struct {
	ID           string    `json:"id"`
	ExperimentID string    `json:"experiment_id"`
	Name         string    `json:"name"`
	UserID       string    `json:"user_id,omitempty"`
	Status       RunStatus `json:"status"`
	StartTime    int64     `json:"start_time"`
	EndTime      int64     `json:"end_time,omitempty"`
	Lifecycle    Lifecycle `json:"lifecycle"`
	ParentID     string    `json:"parent_id,omitempty"`
	ArtifactURI  string    `json:"artifact_uri"`
}

// Run is a run as folded from its log. Values the Tracker returns are
// copies the caller may change.
type Run struct {
	Info   RunInfo
	Params map[string]string
	Tags   map[string]string
	// Metrics holds the latest point of each series, chosen as MLflow does:
	// the greatest step, then timestamp, then value.
	Metrics map[string]Metric
	// Artifacts are sorted by path.
	Artifacts []Artifact
}

func (r *Run) clone() *Run {
	c := *r
	c.Params = maps.Clone(r.Params)
	c.Tags = maps.Clone(r.Tags)
	c.Metrics = maps.Clone(r.Metrics)
	c.Artifacts = slices.Clone(r.Artifacts)
	return &c
}

// RunOptions are the optional parts of a new run.
type RunOptions struct {
	// Name defaults to the tag mlflow.runName when given, else to a
	// generated "run-<8 hex>"; the name is also set as that tag.
	Name string
	// UserID defaults to Options.User.
	UserID string
	// StartTime in Unix ms; default now.
	StartTime int64
	// Tags set at creation.
	Tags []Tag
	// ParentID nests the run under another run of any experiment; it is
	// also recorded as the tag mlflow.parentRunId, and that tag given
	// alone nests it the same way. The parent must exist.
	ParentID string
}

// CreateRun starts a run, RUNNING, in an active experiment.
func (t *Tracker) CreateRun(ctx context.Context, experimentID string, opts *RunOptions) (*Run, error) {
	if opts == nil {
		opts = &RunOptions{}
	}
	if experimentID == "" {
		experimentID = DefaultExperimentID
	}
	x, err := t.experiment(ctx, experimentID)
	if err != nil {
		return nil, err
	}
	if x.Lifecycle != Active {
		return nil, fmt.Errorf("%w: experiment %s is %s", ErrNotActive, experimentID, x.Lifecycle)
	}
	tags := map[string]string{}
	var order []string
	for _, tg := range opts.Tags {
		if err := ValidateTag(tg); err != nil {
			return nil, err
		}
		if _, ok := tags[tg.Key]; !ok {
			order = append(order, tg.Key)
		}
		tags[tg.Key] = tg.Value
	}
	name := opts.Name
	if tn, ok := tags[TagRunName]; ok && name != "" && tn != name {
		return nil, fmt.Errorf("%w: run name %q and tag %s %q differ", ErrInvalidParameter, name, TagRunName, tn)
	} else if name == "" {
		name = tn
	}
	id := newRunID()
	if name == "" {
		name = "run-" + id[:8]
	}
	parent := opts.ParentID
	if tp, ok := tags[TagParentRunID]; ok && parent != "" && tp != parent {
		return nil, fmt.Errorf("%w: parent %q and tag %s %q differ", ErrInvalidParameter, parent, TagParentRunID, tp)
	} else if parent == "" {
		parent = tp
	}
	if parent != "" {
		if _, err := t.GetRun(ctx, parent); err != nil {
			return nil, fmt.Errorf("tracking: parent run: %w", err)
		}
	}
	for _, kv := range [][2]string{{TagRunName, name}, {TagParentRunID, parent}} {
		if kv[1] == "" {
			continue
		}
		if _, ok := tags[kv[0]]; !ok {
			order = append(order, kv[0])
		}
		tags[kv[0]] = kv[1]
	}
	if err := validValue("run name", TagRunName, name, MaxTagValueLength); err != nil {
		return nil, err
	}
	user := opts.UserID
	if user == "" {
		user = t.user(ctx)
	}
	start := opts.StartTime
	if start == 0 {
		start = t.nowMs()
	}
	info := RunInfo{ID: id, ExperimentID: experimentID, Name: name, UserID: user, Status: StatusRunning,
		StartTime: start, Lifecycle: Active, ParentID: parent, ArtifactURI: x.ArtifactLocation + "/" + id + "/artifacts"}
	rec := &record{Type: typeRunCreate, Time: t.nowMs(), User: t.user(ctx), Info: &info}
	for _, k := range order {
		rec.Tags = append(rec.Tags, Tag{k, tags[k]})
	}
	data, err := encodeRecord(rec)
	if err != nil {
		return nil, err
	}
	// List the run in its experiment first: a run whose creator stops
	// between the two writes is listed with an empty log, which every read
	// treats as no run, rather than a run no search can find.
	list, err := t.runListLog(experimentID)
	if err != nil {
		return nil, err
	}
	listed, err := encodeRecord(&record{Type: typeRunListed, Time: t.nowMs(), Run: id})
	if err != nil {
		return nil, err
	}
	if _, _, err := list.Append(ctx, func(*runList) ([]byte, error) { return listed, nil }); err != nil {
		return nil, wrapConflict(err, "list run")
	}
	fl, err := t.runLog(id)
	if err != nil {
		return nil, err
	}
	st, _, err := fl.Append(ctx, func(s *runState) ([]byte, error) {
		if s.run != nil {
			return nil, fmt.Errorf("%w: run %s", ErrAlreadyExists, id)
		}
		return data, nil
	})
	if err != nil {
		return nil, wrapConflict(err, "create run")
	}
	return st.run.clone(), nil
}

// runState returns a run's folded state, reading its log when the cache is
// older than MaxStaleness or does not know the run yet.
func (t *Tracker) runState(ctx context.Context, id string) (*runState, error) {
	fl, err := t.runLog(id)
	if err != nil {
		return nil, err
	}
	st, err := fl.State(ctx, t.stale)
	if err != nil {
		return nil, err
	}
	if st.run == nil {
		if st, err = fl.Refresh(ctx); err != nil {
			return nil, err
		}
		if st.run == nil {
			return nil, fmt.Errorf("%w: run %q", ErrNotFound, id)
		}
	}
	return st, nil
}

// GetRun returns a run, deleted or not.
func (t *Tracker) GetRun(ctx context.Context, id string) (*Run, error) {
	st, err := t.runState(ctx, id)
	if err != nil {
		return nil, err
	}
	return st.run.clone(), nil
}

// ResolveRun reports whether run id exists: nil, or an error matching
// ErrNotFound. It is the check registry.Options.Runs asks for.
func (t *Tracker) ResolveRun(ctx context.Context, id string) error {
	_, err := t.runState(ctx, id)
	return err
}

// writeRun appends data to an existing run's log after check accepts the
// run's current state (a nil check accepts any active run).
func (t *Tracker) writeRun(ctx context.Context, id string, data []byte, check func(s *runState) error) (*runState, error) {
	if _, err := t.runState(ctx, id); err != nil {
		return nil, err
	}
	fl, err := t.runLog(id)
	if err != nil {
		return nil, err
	}
	st, _, err := fl.Append(ctx, func(s *runState) ([]byte, error) {
		if s.run == nil {
			return nil, fmt.Errorf("%w: run %q", ErrNotFound, id)
		}
		if check != nil {
			if err := check(s); err != nil {
				return nil, err
			}
		} else if err := activeRun(s); err != nil {
			return nil, err
		}
		return data, nil
	})
	if err != nil {
		return nil, wrapConflict(err, "write run "+id)
	}
	return st, nil
}

func activeRun(s *runState) error {
	if s.run.Info.Lifecycle != Active {
		return fmt.Errorf("%w: run %s is %s", ErrNotActive, s.id, s.run.Info.Lifecycle)
	}
	return nil
}

// RunUpdate changes a run's status, end time or name; zero fields stay.
type RunUpdate struct {
	Status  RunStatus
	EndTime int64 // Unix ms
	Name    string
}

// UpdateRun changes an active run. As in MLflow's tracking server, any of
// the five statuses may follow any other (a finished run may be resumed as
// RUNNING); a deleted run cannot be updated. EndTime is not filled in: use
// EndRun for that.
func (t *Tracker) UpdateRun(ctx context.Context, id string, u RunUpdate) (*RunInfo, error) {
	if u.Status != "" && !u.Status.Valid() {
		return nil, fmt.Errorf("%w: run status %q", ErrInvalidParameter, u.Status)
	}
	if u.EndTime < 0 {
		return nil, fmt.Errorf("%w: end time %d", ErrInvalidParameter, u.EndTime)
	}
	if err := validValue("run name", TagRunName, u.Name, MaxTagValueLength); err != nil {
		return nil, err
	}
	data, err := encodeRecord(&record{Type: typeRunUpdate, Time: t.nowMs(), User: t.user(ctx), Status: u.Status, EndTime: u.EndTime, Name: u.Name})
	if err != nil {
		return nil, err
	}
	st, err := t.writeRun(ctx, id, data, nil)
	if err != nil {
		return nil, err
	}
	info := st.run.Info
	return &info, nil
}

// EndRun sets a terminal status (FINISHED when status is empty) and the end
// time now, as MLflow's clients do when a run ends.
func (t *Tracker) EndRun(ctx context.Context, id string, status RunStatus) (*RunInfo, error) {
	if status == "" {
		status = StatusFinished
	}
	if !status.Terminated() {
		return nil, fmt.Errorf("%w: %q is not a terminal status", ErrInvalidParameter, status)
	}
	return t.UpdateRun(ctx, id, RunUpdate{Status: status, EndTime: t.nowMs()})
}

// DeleteRun marks a run deleted: searches leave it out unless asked, and
// it takes no more writes until restored.
func (t *Tracker) DeleteRun(ctx context.Context, id string) error {
	data, err := encodeRecord(&record{Type: typeRunDelete, Time: t.nowMs(), User: t.user(ctx)})
	if err != nil {
		return err
	}
	_, err = t.writeRun(ctx, id, data, func(*runState) error { return nil })
	return err
}

// RestoreRun makes a deleted run active again.
func (t *Tracker) RestoreRun(ctx context.Context, id string) error {
	data, err := encodeRecord(&record{Type: typeRunRestore, Time: t.nowMs(), User: t.user(ctx)})
	if err != nil {
		return err
	}
	_, err = t.writeRun(ctx, id, data, func(*runState) error { return nil })
	return err
}

// LogBatch writes metrics, params and tags to an active run as one log
// entry: all of it or, on any error, none of it. The batch must pass
// Batch.Validate; a param already logged with another value fails with
// ErrParamChanged (the same value again is accepted). ±Inf metric values
// are stored as ±math.MaxFloat64 and NaN as NaN, as MLflow's SQL store
// keeps them; points that repeat exactly within the batch are stored once.
func (t *Tracker) LogBatch(ctx context.Context, id string, b *Batch) error {
	if b == nil {
		b = &Batch{}
	}
	if err := b.Validate(); err != nil {
		return err
	}
	rec := &record{Type: typeBatch, Time: t.nowMs(), User: t.user(ctx), Params: b.Params, Tags: b.Tags}
	if len(b.Metrics) > 0 {
		byKey := map[string][]Metric{}
		type pointKey struct {
			key      string
			bits     uint64
			ts, step int64
		}
		seen := make(map[pointKey]bool, len(b.Metrics))
		for _, m := range b.Metrics {
			m.Value = storedValue(m.Value)
			pk := pointKey{m.Key, math.Float64bits(m.Value), m.Timestamp, m.Step}
			if seen[pk] {
				continue
			}
			seen[pk] = true
			byKey[m.Key] = append(byKey[m.Key], m)
		}
		rec.Series = make(map[string]rawJSON, len(byKey))
		for k, pts := range byKey {
			rec.Series[k] = encodeSeries(pts)
		}
	}
	if len(b.Metrics)+len(b.Params)+len(b.Tags) == 0 {
		_, err := t.runState(ctx, id)
		return err
	}
	data, err := encodeRecord(rec)
	if err != nil {
		return err
	}
	_, err = t.writeRun(ctx, id, data, func(s *runState) error {
		if err := activeRun(s); err != nil {
			return err
		}
		for _, p := range b.Params {
			if old, ok := s.run.Params[p.Key]; ok && old != p.Value {
				return fmt.Errorf("%w: run %s already has param %q = %q, not %q", ErrParamChanged, id, p.Key, old, p.Value)
			}
		}
		return nil
	})
	return err
}

// LogMetric logs one point; prefer LogBatch for many.
func (t *Tracker) LogMetric(ctx context.Context, id string, m Metric) error {
	return t.LogBatch(ctx, id, &Batch{Metrics: []Metric{m}})
}

// LogParam logs one param.
func (t *Tracker) LogParam(ctx context.Context, id, key, value string) error {
	return t.LogBatch(ctx, id, &Batch{Params: []Param{{key, value}}})
}

// SetTag sets one tag.
func (t *Tracker) SetTag(ctx context.Context, id, key, value string) error {
	return t.LogBatch(ctx, id, &Batch{Tags: []Tag{{key, value}}})
}

// DeleteTag removes a tag of an active run; ErrNotFound if it has none.
func (t *Tracker) DeleteTag(ctx context.Context, id, key string) error {
	data, err := encodeRecord(&record{Type: typeTagDelete, Time: t.nowMs(), User: t.user(ctx), Key: key})
	if err != nil {
		return err
	}
	_, err = t.writeRun(ctx, id, data, func(s *runState) error {
		if err := activeRun(s); err != nil {
			return err
		}
		if _, ok := s.run.Tags[key]; !ok {
			return fmt.Errorf("%w: run %s has no tag %q", ErrNotFound, id, key)
		}
		return nil
	})
	return err
}

// MetricHistory returns every point of a run's metric series in the order
// they were logged (empty when the run has no such metric). Points are read
// from the batches that hold them, several at a time.
func (t *Tracker) MetricHistory(ctx context.Context, id, key string) ([]Metric, error) {
	st, err := t.runState(ctx, id)
	if err != nil {
		return nil, err
	}
	chunks := st.series[key]
	fl, err := t.runLog(id)
	if err != nil {
		return nil, err
	}
	parts := make([][]Metric, len(chunks))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i, c := range chunks {
		g.Go(func() error {
			data, err := t.bucket.ReadAll(gctx, fl.Log().EntryKey(c.Seq))
			if err != nil {
				return fmt.Errorf("tracking: read %s entry %d: %w", st.dir(), c.Seq, err)
			}
			pts, err := seriesOf(data, key, c.N)
			if err != nil {
				return fmt.Errorf("%w: %s entry %d: %v", ErrCorrupt, st.dir(), c.Seq, err)
			}
			parts[i] = pts
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]Metric, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out, nil
}

// seriesOf decodes only the series key of a batch entry.
func seriesOf(data []byte, key string, want int) ([]Metric, error) {
	var rec struct {
		Series map[string]rawJSON `json:"series"`
	}
	if err := jsonUnmarshal(data, &rec); err != nil {
		return nil, err
	}
	raw, ok := rec.Series[key]
	if !ok {
		return nil, fmt.Errorf("no series %q", key)
	}
	pts, err := decodeSeries(make([]Metric, 0, want), key, []byte(raw))
	if err != nil {
		return nil, err
	}
	if len(pts) != want {
		return nil, fmt.Errorf("series %q has %d points, the fold counted %d", key, len(pts), want)
	}
	return pts, nil
}

// LogArtifact stores the bytes of r in the artifact store and records them
// on an active run under path (a slash-separated relative key; logging the
// same path again replaces the reference).
func (t *Tracker) LogArtifact(ctx context.Context, id, path string, r io.Reader) (Artifact, error) {
	if err := artifact.ValidateKey(path); err != nil || strings.HasSuffix(path, "/") {
		return Artifact{}, fmt.Errorf("%w: artifact path %q", ErrInvalidParameter, path)
	}
	if _, err := t.runState(ctx, id); err != nil {
		return Artifact{}, err
	}
	d, err := t.store.Put(ctx, r, nil)
	if err != nil {
		return Artifact{}, fmt.Errorf("tracking: store artifact %q: %w", path, err)
	}
	a := Artifact{Path: path, Digest: d.Digest, Size: d.Size}
	data, err := encodeRecord(&record{Type: typeArtifact, Time: t.nowMs(), User: t.user(ctx), Artifact: &a})
	if err != nil {
		return Artifact{}, err
	}
	if _, err := t.writeRun(ctx, id, data, nil); err != nil {
		return Artifact{}, err
	}
	return a, nil
}

// OpenArtifact opens an artifact of a run; the reader verifies the bytes
// against the recorded digest as it reads.
func (t *Tracker) OpenArtifact(ctx context.Context, id, path string) (io.ReadCloser, error) {
	st, err := t.runState(ctx, id)
	if err != nil {
		return nil, err
	}
	i, ok := slices.BinarySearchFunc(st.run.Artifacts, path, func(a Artifact, p string) int { return strings.Compare(a.Path, p) })
	if !ok {
		return nil, fmt.Errorf("%w: run %s has no artifact %q", ErrNotFound, id, path)
	}
	return t.store.Open(ctx, st.run.Artifacts[i].Digest)
}
