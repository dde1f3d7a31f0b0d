package tracking

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// APIPrefix is where Handler serves MLflow's REST API.
const APIPrefix = "/api/2.0/mlflow/"

// MLflow's error codes, and the HTTP statuses its server sends with them.
const (
	CodeResourceDoesNotExist = "RESOURCE_DOES_NOT_EXIST"
	CodeResourceExists       = "RESOURCE_ALREADY_EXISTS"
	CodeInvalidParameter     = "INVALID_PARAMETER_VALUE"
	CodeEndpointNotFound     = "ENDPOINT_NOT_FOUND"
	CodeBadRequest           = "BAD_REQUEST"
	CodeInternal             = "INTERNAL_ERROR"
)

// Handler serves the subset of MLflow's tracking REST API (version 2.0)
// that MLflow's clients use for experiments, runs and metrics, with
// MLflow's request and response JSON and error codes, under APIPrefix:
//
//	experiments/create, get, get-by-name, search, list, delete, restore
//	runs/create, get, update, delete, restore, search,
//	     log-batch, log-metric, log-parameter, set-tag, delete-tag
//	metrics/get-history
//
// GET endpoints read their parameters from the query string, the others
// from a JSON body of at most MaxBatchRequestBytes. Integers are accepted
// as JSON numbers or strings (protobuf's JSON mapping), metric values also
// as "NaN", "Infinity" and "-Infinity", which is how responses write them.
// The handler adds no authentication: wrap it.
func (t *Tracker) Handler() http.Handler {
	type route struct {
		method string
		fn     func(t *Tracker, r *http.Request) (any, error)
	}
	routes := map[string][]route{
		"experiments/create":      {{http.MethodPost, restCreateExperiment}},
		"experiments/get":         {{http.MethodGet, restGetExperiment}},
		"experiments/get-by-name": {{http.MethodGet, restGetExperimentByName}},
		"experiments/search":      {{http.MethodPost, restSearchExperiments}, {http.MethodGet, restSearchExperiments}},
		"experiments/list":        {{http.MethodGet, restSearchExperiments}},
		"experiments/delete":      {{http.MethodPost, restDeleteExperiment}},
		"experiments/restore":     {{http.MethodPost, restRestoreExperiment}},
		"runs/create":             {{http.MethodPost, restCreateRun}},
		"runs/get":                {{http.MethodGet, restGetRun}},
		"runs/update":             {{http.MethodPost, restUpdateRun}},
		"runs/delete":             {{http.MethodPost, restDeleteRun}},
		"runs/restore":            {{http.MethodPost, restRestoreRun}},
		"runs/search":             {{http.MethodPost, restSearchRuns}},
		"runs/log-batch":          {{http.MethodPost, restLogBatch}},
		"runs/log-metric":         {{http.MethodPost, restLogMetric}},
		"runs/log-parameter":      {{http.MethodPost, restLogParam}},
		"runs/set-tag":            {{http.MethodPost, restSetTag}},
		"runs/delete-tag":         {{http.MethodPost, restDeleteTag}},
		"metrics/get-history":     {{http.MethodGet, restMetricHistory}},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, APIPrefix)
		rs := routes[name]
		if !ok || rs == nil {
			writeError(w, http.StatusNotFound, CodeEndpointNotFound, "no endpoint "+r.URL.Path)
			return
		}
		for _, rt := range rs {
			if rt.method == r.Method {
				resp, err := rt.fn(t, r)
				if err != nil {
					status, code := errorCode(err)
					writeError(w, status, code, err.Error())
					return
				}
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(resp)
				return
			}
		}
		w.Header().Set("Allow", rs[0].method)
		writeError(w, http.StatusMethodNotAllowed, CodeBadRequest, r.Method+" is not allowed on "+r.URL.Path)
	})
}

// errorCode maps an error to MLflow's HTTP status and error code.
func errorCode(err error) (int, string) {
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, CodeResourceDoesNotExist
	case errors.Is(err, ErrAlreadyExists):
		return http.StatusBadRequest, CodeResourceExists
	case errors.Is(err, ErrInvalidParameter):
		return http.StatusBadRequest, CodeInvalidParameter
	}
	return http.StatusInternalServerError, CodeInternal
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error_code": code, "message": msg})
}

// decodeRequest fills dst from the query string of a GET or the JSON body
// of any other request. Query parameters become JSON strings (arrays when
// repeated), so dst's flexible types read them as they read bodies.
func decodeRequest(r *http.Request, dst any) error {
	var body []byte
	if r.Method == http.MethodGet {
		obj := map[string]any{}
		for k, vs := range r.URL.Query() {
			if len(vs) == 1 {
				obj[k] = vs[0]
			} else {
				obj[k] = vs
			}
		}
		body, _ = json.Marshal(obj)
	} else {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, MaxBatchRequestBytes+1))
		if err != nil {
			return fmt.Errorf("%w: reading the request: %v", ErrInvalidParameter, err)
		}
		if len(body) > MaxBatchRequestBytes {
			return fmt.Errorf("%w: requests must be at most %d bytes", ErrInvalidParameter, MaxBatchRequestBytes)
		}
	}
	return decodeBody(body, dst)
}

// decodeBody reads one JSON object into dst; an empty body is {}.
func decodeBody(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("%w: malformed request: %v", ErrInvalidParameter, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: malformed request: data after the JSON object", ErrInvalidParameter)
	}
	return nil
}

// flexInt is an int64 given as a JSON number or string.
type flexInt struct {
	V   int64
	Set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) >= 2 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// A float that is a whole number (some clients send 1.0).
		x, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || x != float64(int64(x)) {
			return fmt.Errorf("not a 64-bit integer: %.40q", s)
		}
		v = int64(x)
	}
	f.V, f.Set = v, true
	return nil
}

// flexFloat is a float64 given as a number or as protobuf's strings.
type flexFloat struct {
	V   float64
	Set bool
}

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := parseFloat(b)
	if err != nil {
		return err
	}
	f.V, f.Set = v, true
	return nil
}

// flexEnum is an enum given by name or by its protobuf number.
type flexEnum string

func (f *flexEnum) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexEnum(s)
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("not an enum name or number: %.40s", b)
	}
	*f = flexEnum("#" + strconv.Itoa(n))
	return nil
}

func (f flexEnum) viewType() (ViewType, error) {
	switch f {
	case "", "#0", "ACTIVE_ONLY", "#1":
		return ActiveOnly, nil
	case "DELETED_ONLY", "#2":
		return DeletedOnly, nil
	case "ALL", "#3":
		return All, nil
	}
	return "", fmt.Errorf("%w: view type %q", ErrInvalidParameter, string(f))
}

func (f flexEnum) status() (RunStatus, error) {
	names := []RunStatus{"", StatusRunning, StatusScheduled, StatusFinished, StatusFailed, StatusKilled}
	if n, ok := strings.CutPrefix(string(f), "#"); ok {
		i, _ := strconv.Atoi(n)
		if i >= 1 && i < len(names) {
			return names[i], nil
		}
		return "", fmt.Errorf("%w: run status %s", ErrInvalidParameter, n)
	}
	s := RunStatus(f)
	if s != "" && !s.Valid() {
		return "", fmt.Errorf("%w: run status %q", ErrInvalidParameter, string(f))
	}
	return s, nil
}

func missing(name string) error {
	return fmt.Errorf("%w: missing value for required parameter '%s'", ErrInvalidParameter, name)
}

type keyValue struct {
	Key   *string `json:"key"`
	Value *string `json:"value"`
}

type metricReq struct {
	Key       *string   `json:"key"`
	Value     flexFloat `json:"value"`
	Timestamp flexInt   `json:"timestamp"`
	Step      flexInt   `json:"step"`
}

func (m metricReq) metric() (Metric, error) {
	switch {
	case m.Key == nil:
		return Metric{}, missing("key")
	case !m.Value.Set:
		return Metric{}, missing("value")
	case !m.Timestamp.Set:
		return Metric{}, missing("timestamp")
	}
	return Metric{Key: *m.Key, Value: m.Value.V, Timestamp: m.Timestamp.V, Step: m.Step.V}, nil
}

func kvs(in []keyValue) ([][2]string, error) {
	out := make([][2]string, 0, len(in))
	for _, kv := range in {
		if kv.Key == nil {
			return nil, missing("key")
		}
		if kv.Value == nil {
			return nil, missing("value")
		}
		out = append(out, [2]string{*kv.Key, *kv.Value})
	}
	return out, nil
}

// runRef is the run id of a request: run_id, or the older run_uuid.
type runRef struct {
	RunID   string `json:"run_id"`
	RunUUID string `json:"run_uuid"`
}

func (r runRef) id() (string, error) {
	id := r.RunID
	if id == "" {
		id = r.RunUUID
	}
	if id == "" {
		return "", missing("run_id")
	}
	return id, nil
}

type logBatchReq struct {
	runRef
	Metrics []metricReq `json:"metrics"`
	Params  []keyValue  `json:"params"`
	Tags    []keyValue  `json:"tags"`
}

// batch converts a log-batch request, checking its limits before anything
// else so that an oversized batch is refused as such.
func (q *logBatchReq) batch() (*Batch, error) {
	b := &Batch{}
	if n := len(q.Metrics); n > MaxMetricsPerBatch {
		return nil, fmt.Errorf("%w: a batch can contain at most %d metrics, got %d", ErrBatchTooLarge, MaxMetricsPerBatch, n)
	}
	for _, m := range q.Metrics {
		x, err := m.metric()
		if err != nil {
			return nil, err
		}
		b.Metrics = append(b.Metrics, x)
	}
	ps, err := kvs(q.Params)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		b.Params = append(b.Params, Param{p[0], p[1]})
	}
	ts, err := kvs(q.Tags)
	if err != nil {
		return nil, err
	}
	for _, tg := range ts {
		b.Tags = append(b.Tags, Tag{tg[0], tg[1]})
	}
	return b, b.Validate()
}

// Response shapes.

type kvJSON struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type experimentJSON struct {
	ExperimentID     string   `json:"experiment_id"`
	Name             string   `json:"name"`
	ArtifactLocation string   `json:"artifact_location"`
	LifecycleStage   string   `json:"lifecycle_stage"`
	LastUpdateTime   int64    `json:"last_update_time"`
	CreationTime     int64    `json:"creation_time"`
	Tags             []kvJSON `json:"tags,omitempty"`
}

func toExperimentJSON(x *Experiment) experimentJSON {
	out := experimentJSON{ExperimentID: x.ID, Name: x.Name, ArtifactLocation: x.ArtifactLocation,
		LifecycleStage: string(x.Lifecycle), LastUpdateTime: x.LastUpdateTime, CreationTime: x.CreationTime}
	out.Tags = sortedKVs(x.Tags)
	return out
}

func sortedKVs(m map[string]string) []kvJSON {
	var out []kvJSON
	for _, k := range sortedKeys(m) {
		out = append(out, kvJSON{k, m[k]})
	}
	return out
}

type runInfoJSON struct {
	RunID          string `json:"run_id"`
	RunUUID        string `json:"run_uuid"`
	RunName        string `json:"run_name"`
	ExperimentID   string `json:"experiment_id"`
	UserID         string `json:"user_id"`
	Status         string `json:"status"`
	StartTime      int64  `json:"start_time"`
	EndTime        int64  `json:"end_time,omitempty"`
	ArtifactURI    string `json:"artifact_uri"`
	LifecycleStage string `json:"lifecycle_stage"`
}

func toRunInfoJSON(i *RunInfo) runInfoJSON {
	return runInfoJSON{RunID: i.ID, RunUUID: i.ID, RunName: i.Name, ExperimentID: i.ExperimentID, UserID: i.UserID,
		Status: string(i.Status), StartTime: i.StartTime, EndTime: i.EndTime, ArtifactURI: i.ArtifactURI,
		LifecycleStage: string(i.Lifecycle)}
}

type runJSON struct {
	Info runInfoJSON `json:"info"`
	Data struct {
		Metrics []Metric `json:"metrics,omitempty"`
		Params  []kvJSON `json:"params,omitempty"`
		Tags    []kvJSON `json:"tags,omitempty"`
	} `json:"data"`
	Inputs struct{} `json:"inputs"`
}

func toRunJSON(r *Run) runJSON {
	var out runJSON
	out.Info = toRunInfoJSON(&r.Info)
	for _, k := range sortedKeys(r.Metrics) {
		out.Data.Metrics = append(out.Data.Metrics, r.Metrics[k])
	}
	out.Data.Params = sortedKVs(r.Params)
	out.Data.Tags = sortedKVs(r.Tags)
	return out
}

// Endpoints.

func restCreateExperiment(t *Tracker, r *http.Request) (any, error) {
	var q struct {
		Name             string     `json:"name"`
		ArtifactLocation string     `json:"artifact_location"`
		Tags             []keyValue `json:"tags"`
	}
	if err := decodeRequest(r, &q); err != nil {
		return nil, err
	}
	if q.Name == "" {
		return nil, missing("name")
	}
	tags, err := kvs(q.Tags)
	if err != nil {
		return nil, err
	}
	opts := &ExperimentOptions{ArtifactLocation: q.ArtifactLocation, Tags: map[string]string{}}
	for _, kv := range tags {
		opts.Tags[kv[0]] = kv[1]
	}
	id, err := t.CreateExperiment(r.Context(), q.Name, opts)
	if err != nil {
		return nil, err
	}
	return map[string]string{"experiment_id": id}, nil
}

func restGetExperiment(t *Tracker, r *http.Request) (any, error) {
	var q struct {
		ID string `json:"experiment_id"`
	}
	if err := decodeRequest(r, &q); err != nil {
		return nil, err
	}
	if q.ID == "" {
		return nil, missing("experiment_id")
	}
	if validID("experiment id", q.ID) != nil {
		return nil, fmt.Errorf("%w: no experiment with id %q", ErrNotFound, q.ID)
	}
	x, err := t.GetExperiment(r.Context(), q.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"experiment": toExperimentJSON(x)}, nil
}

func restGetExperimentByName(t *Tracker, r *http.Request) (any, error) {
	var q struct {
		Name string `json:"experiment_name"`
	}
	if err := decodeRequest(r, &q); err != nil {
		return nil, err
	}
	if q.Name == "" {
		return nil, missing("experiment_name")
	}
	x, err := t.GetExperimentByName(r.Context(), q.Name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"experiment": toExperimentJSON(x)}, nil
}

// searchQuery holds the fields both searches take besides the view type.
type searchQuery struct {
	Filter     string   `json:"filter"`
	MaxResults flexInt  `json:"max_results"`
	OrderBy    []string `json:"order_by"`
	PageToken  string   `json:"page_token"`
}

// validate reads the view type and checks max_results.
func (q *searchQuery) validate(v flexEnum) (ViewType, error) {
	view, err := v.viewType()
	if err != nil {
		return "", err
	}
	if q.MaxResults.V < 0 || q.MaxResults.V > MaxResultsLimit {
		return "", fmt.Errorf("%w: max_results %d out of range", ErrInvalidParameter, q.MaxResults.V)
	}
	return view, nil
}

func restSearchExperiments(t *Tracker, r *http.Request) (any, error) {
	var q struct {
		searchQuery
		ViewType flexEnum `json:"view_type"`
	}
	if err := decodeRequest(r, &q); err != nil {
		return nil, err
	}
	view, err := q.validate(q.ViewType)
	if err != nil {
		return nil, err
	}
	page, err := t.SearchExperiments(r.Context(), &ExperimentSearch{Filter: q.Filter, ViewType: view, OrderBy: q.OrderBy,
		MaxResults: int(q.MaxResults.V), PageToken: q.PageToken})
	if err != nil {
		return nil, err
	}
	out := struct {
		Experiments   []experimentJSON `json:"experiments"`
		NextPageToken string           `json:"next_page_token,omitempty"`
	}{Experiments: []experimentJSON{}, NextPageToken: page.NextPageToken}
	for _, x := range page.Experiments {
		out.Experiments = append(out.Experiments, toExperimentJSON(x))
	}
	return out, nil
}

func restExperimentOp(r *http.Request, op func(id string) error) (any, error) {
	var q struct {
		ID string `json:"experiment_id"`
	}
	if err := decodeRequest(r, &q); err != nil {
		return nil, err
	}
	if q.ID == "" {
		return nil, missing("experiment_id")
	}
	if validID("experiment id", q.ID) != nil {
		return nil, fmt.Errorf("%w: no experiment with id %q", ErrNotFound, q.ID)
	}
	return struct{}{}, op(q.ID)
}

func restDeleteExperiment(t *Tracker, r *http.Request) (any, error) {
	return restExperimentOp(r, func(id string) error { return t.DeleteExperiment(r.Context(), id) })
}

func restRestoreExperiment(t *Tracker, r *http.Request) (any, error) {
	return restExperimentOp(r, func(id string) error { return t.RestoreExperiment(r.Context(), id) })
}

func restCreateRun(t *Tracker, r *http.Request) (any, error) {
	var q struct {
		ExperimentID string     `json:"experiment_id"`
		UserID       string     `json:"user_id"`
		RunName      string     `json:"run_name"`
		StartTime    flexInt    `json:"start_time"`
		Tags         []keyValue `json:"tags"`
	}
	if err := decodeRequest(r, &q); err != nil {
		return nil, err
	}
	tags, err := kvs(q.Tags)
	if err != nil {
		return nil, err
	}
	opts := &RunOptions{Name: q.RunName, UserID: q.UserID, StartTime: q.StartTime.V}
	if q.StartTime.V < 0 {
		return nil, fmt.Errorf("%w: start_time %d", ErrInvalidParameter, q.StartTime.V)
	}
	for _, kv := range tags {
		opts.Tags = append(opts.Tags, Tag{kv[0], kv[1]})
	}
	if q.ExperimentID != "" && validID("experiment id", q.ExperimentID) != nil {
		return nil, fmt.Errorf("%w: no experiment with id %q", ErrNotFound, q.ExperimentID)
	}
	run, err := t.CreateRun(r.Context(), q.ExperimentID, opts)
	if err != nil {
		return nil, err
	}
	return map[string]any{"run": toRunJSON(run)}, nil
}

// runID reads the run id of a request and turns an id that cannot name a
// run into RESOURCE_DOES_NOT_EXIST, as MLflow answers for unknown runs.
// decodeRun decodes a request naming a run (its type embeds runRef) and
// returns the run's id.
func decodeRun(r *http.Request, q interface{ ref() runRef }) (string, error) {
	if err := decodeRequest(r, q); err != nil {
		return "", err
	}
	return runID(q.ref())
}

func (q runRef) ref() runRef { return q }

func runID(ref runRef) (string, error) {
	id, err := ref.id()
	if err != nil {
		return "", err
	}
	if validID("run id", id) != nil {
		return "", fmt.Errorf("%w: run %q", ErrNotFound, id)
	}
	return id, nil
}

func restGetRun(t *Tracker, r *http.Request) (any, error) {
	var q runRef
	if err := decodeRequest(r, &q); err != nil {
		return nil, err
	}
	id, err := runID(q)
	if err != nil {
		return nil, err
	}
	run, err := t.GetRun(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"run": toRunJSON(run)}, nil
}

func restUpdateRun(t *Tracker, r *http.Request) (any, error) {
	var q struct {
		runRef
		Status  flexEnum `json:"status"`
		EndTime flexInt  `json:"end_time"`
		RunName string   `json:"run_name"`
	}
	id, err := decodeRun(r, &q)
	if err != nil {
		return nil, err
	}
	st, err := q.Status.status()
	if err != nil {
		return nil, err
	}
	info, err := t.UpdateRun(r.Context(), id, RunUpdate{Status: st, EndTime: q.EndTime.V, Name: q.RunName})
	if err != nil {
		return nil, err
	}
	return map[string]any{"run_info": toRunInfoJSON(info)}, nil
}

func restRunOp(r *http.Request, op func(id string) error) (any, error) {
	var q runRef
	if err := decodeRequest(r, &q); err != nil {
		return nil, err
	}
	id, err := runID(q)
	if err != nil {
		return nil, err
	}
	return struct{}{}, op(id)
}

func restDeleteRun(t *Tracker, r *http.Request) (any, error) {
	return restRunOp(r, func(id string) error { return t.DeleteRun(r.Context(), id) })
}

func restRestoreRun(t *Tracker, r *http.Request) (any, error) {
	return restRunOp(r, func(id string) error { return t.RestoreRun(r.Context(), id) })
}

func restSearchRuns(t *Tracker, r *http.Request) (any, error) {
	var q struct {
		searchQuery
		ExperimentIDs []string `json:"experiment_ids"`
		RunViewType   flexEnum `json:"run_view_type"`
	}
	if err := decodeRequest(r, &q); err != nil {
		return nil, err
	}
	view, err := q.validate(q.RunViewType)
	if err != nil {
		return nil, err
	}
	for _, id := range q.ExperimentIDs {
		if validID("experiment id", id) != nil {
			return nil, fmt.Errorf("%w: no experiment with id %q", ErrNotFound, id)
		}
	}
	page, err := t.SearchRuns(r.Context(), &RunSearch{ExperimentIDs: q.ExperimentIDs, Filter: q.Filter, ViewType: view,
		OrderBy: q.OrderBy, MaxResults: int(q.MaxResults.V), PageToken: q.PageToken})
	if err != nil {
		return nil, err
	}
	out := struct {
		Runs          []runJSON `json:"runs,omitempty"`
		NextPageToken string    `json:"next_page_token,omitempty"`
	}{NextPageToken: page.NextPageToken}
	for _, run := range page.Runs {
		out.Runs = append(out.Runs, toRunJSON(run))
	}
	return out, nil
}

func restLogBatch(t *Tracker, r *http.Request) (any, error) {
	var q logBatchReq
	id, err := decodeRun(r, &q)
	if err != nil {
		return nil, err
	}
	b, err := q.batch()
	if err != nil {
		return nil, err
	}
	return struct{}{}, t.LogBatch(r.Context(), id, b)
}

func restLogMetric(t *Tracker, r *http.Request) (any, error) {
	var q struct {
		runRef
		metricReq
	}
	id, err := decodeRun(r, &q)
	if err != nil {
		return nil, err
	}
	m, err := q.metric()
	if err != nil {
		return nil, err
	}
	return struct{}{}, t.LogMetric(r.Context(), id, m)
}

func restKV(r *http.Request, op func(id, key, value string) error) (any, error) {
	var q struct {
		runRef
		keyValue
	}
	id, err := decodeRun(r, &q)
	if err != nil {
		return nil, err
	}
	kv, err := kvs([]keyValue{q.keyValue})
	if err != nil {
		return nil, err
	}
	return struct{}{}, op(id, kv[0][0], kv[0][1])
}

func restLogParam(t *Tracker, r *http.Request) (any, error) {
	return restKV(r, func(id, k, v string) error { return t.LogParam(r.Context(), id, k, v) })
}

func restSetTag(t *Tracker, r *http.Request) (any, error) {
	return restKV(r, func(id, k, v string) error { return t.SetTag(r.Context(), id, k, v) })
}

func restDeleteTag(t *Tracker, r *http.Request) (any, error) {
	var q struct {
		runRef
		Key *string `json:"key"`
	}
	id, err := decodeRun(r, &q)
	if err != nil {
		return nil, err
	}
	if q.Key == nil {
		return nil, missing("key")
	}
	return struct{}{}, t.DeleteTag(r.Context(), id, *q.Key)
}

func restMetricHistory(t *Tracker, r *http.Request) (any, error) {
	var q struct {
		runRef
		MetricKey  string  `json:"metric_key"`
		PageToken  string  `json:"page_token"`
		MaxResults flexInt `json:"max_results"`
	}
	id, err := decodeRun(r, &q)
	if err != nil {
		return nil, err
	}
	if q.MetricKey == "" {
		return nil, missing("metric_key")
	}
	pts, err := t.MetricHistory(r.Context(), id, q.MetricKey)
	if err != nil {
		return nil, err
	}
	if q.MaxResults.V < 0 || q.MaxResults.V > MaxResultsLimit {
		return nil, fmt.Errorf("%w: max_results %d out of range", ErrInvalidParameter, q.MaxResults.V)
	}
	out := struct {
		Metrics       []Metric `json:"metrics"`
		NextPageToken string   `json:"next_page_token,omitempty"`
	}{Metrics: []Metric{}}
	parts := []string{"history", id, q.MetricKey}
	if q.MaxResults.V == 0 && q.PageToken == "" {
		out.Metrics = append(out.Metrics, pts...) // no paging asked: all, as MLflow's SQL store answers
		return out, nil
	}
	size, off, err := pageOf(max(int(q.MaxResults.V), 1), q.PageToken, parts...)
	if q.MaxResults.V == 0 {
		size = len(pts)
	}
	if err != nil {
		return nil, err
	}
	items, next := paginate(pts, max(size, 1), off)
	out.Metrics = append(out.Metrics, items...)
	if next >= 0 {
		out.NextPageToken = encodeToken(next, parts...)
	}
	return out, nil
}

// DecodeLogBatch reads the JSON body of a log-batch request (the run id
// aside) into a Batch that passes Batch.Validate, or fails with an error
// matching ErrInvalidParameter.
func DecodeLogBatch(body []byte) (*Batch, error) {
	if len(body) > MaxBatchRequestBytes {
		return nil, fmt.Errorf("%w: requests must be at most %d bytes", ErrInvalidParameter, MaxBatchRequestBytes)
	}
	var q logBatchReq
	if err := decodeBody(body, &q); err != nil {
		return nil, err
	}
	return q.batch()
}
