package tracking_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sextant-ml/sextant/tracking"
)

func TestExperiments(t *testing.T) {
	ctx := context.Background()
	tr, _ := newTracker(t, nil)
	id := must[string](t)(tr.CreateExperiment(ctx, "fraud", &tracking.ExperimentOptions{Tags: map[string]string{"team": "risk"}}))
	if id == tracking.DefaultExperimentID {
		t.Fatalf("new experiment got the default id")
	}
	if _, err := tr.CreateExperiment(ctx, "fraud", nil); !errors.Is(err, tracking.ErrAlreadyExists) {
		t.Fatalf("duplicate name: %v, want ErrAlreadyExists", err)
	}
	for _, bad := range []string{"", string(make([]byte, tracking.MaxExperimentName+1))} {
		if _, err := tr.CreateExperiment(ctx, bad, nil); !errors.Is(err, tracking.ErrInvalidParameter) {
			t.Fatalf("name of %d bytes: %v, want ErrInvalidParameter", len(bad), err)
		}
	}
	x := must[*tracking.Experiment](t)(tr.GetExperimentByName(ctx, "fraud"))
	if x.ID != id || x.Tags["team"] != "risk" || x.Lifecycle != tracking.Active {
		t.Fatalf("got %+v", x)
	}
	if _, err := tr.GetExperiment(ctx, "999"); !errors.Is(err, tracking.ErrNotFound) {
		t.Fatalf("unknown experiment: %v", err)
	}
	def := must[*tracking.Experiment](t)(tr.GetExperiment(ctx, "0"))
	if def.Name != tracking.DefaultExperimentName {
		t.Fatalf("default experiment %+v", def)
	}
	if err := tr.DeleteExperiment(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.CreateRun(ctx, id, nil); !errors.Is(err, tracking.ErrNotActive) {
		t.Fatalf("run in deleted experiment: %v, want ErrNotActive", err)
	}
	page := must[*tracking.ExperimentPage](t)(tr.SearchExperiments(ctx, nil))
	if len(page.Experiments) != 1 || page.Experiments[0].ID != "0" {
		t.Fatalf("active experiments: %+v", page.Experiments)
	}
	page = must[*tracking.ExperimentPage](t)(tr.SearchExperiments(ctx, &tracking.ExperimentSearch{ViewType: tracking.All, Filter: "tags.team = 'risk'"}))
	if len(page.Experiments) != 1 || page.Experiments[0].ID != id {
		t.Fatalf("filtered: %+v", page.Experiments)
	}
	if err := tr.RestoreExperiment(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.CreateRun(ctx, id, nil); err != nil {
		t.Fatalf("run in restored experiment: %v", err)
	}
}

func TestRunLifecycle(t *testing.T) {
	ctx := context.Background()
	tr, _ := newTracker(t, nil)
	exp := must[string](t)(tr.CreateExperiment(ctx, "e", nil))
	parent := must[*tracking.Run](t)(tr.CreateRun(ctx, exp, &tracking.RunOptions{Name: "sweep", StartTime: 1000}))
	if parent.Info.Status != tracking.StatusRunning || parent.Tags[tracking.TagRunName] != "sweep" || parent.Info.UserID != "tester" {
		t.Fatalf("new run %+v", parent)
	}
	child := must[*tracking.Run](t)(tr.CreateRun(ctx, exp, &tracking.RunOptions{ParentID: parent.Info.ID}))
	if child.Info.ParentID != parent.Info.ID || child.Tags[tracking.TagParentRunID] != parent.Info.ID {
		t.Fatalf("nested run %+v", child)
	}
	if _, err := tr.CreateRun(ctx, exp, &tracking.RunOptions{ParentID: "0123456789abcdef0123456789abcdef"}); !errors.Is(err, tracking.ErrNotFound) {
		t.Fatalf("unknown parent: %v", err)
	}
	for _, st := range []tracking.RunStatus{tracking.StatusScheduled, tracking.StatusFinished, tracking.StatusRunning, tracking.StatusKilled} {
		info := must[*tracking.RunInfo](t)(tr.UpdateRun(ctx, parent.Info.ID, tracking.RunUpdate{Status: st}))
		if info.Status != st {
			t.Fatalf("status %s, want %s", info.Status, st)
		}
	}
	if _, err := tr.UpdateRun(ctx, parent.Info.ID, tracking.RunUpdate{Status: "DONE"}); !errors.Is(err, tracking.ErrInvalidParameter) {
		t.Fatalf("bad status: %v", err)
	}
	info := must[*tracking.RunInfo](t)(tr.EndRun(ctx, child.Info.ID, ""))
	if info.Status != tracking.StatusFinished || info.EndTime == 0 {
		t.Fatalf("ended run %+v", info)
	}
	if err := tr.DeleteRun(ctx, child.Info.ID); err != nil {
		t.Fatal(err)
	}
	if err := tr.LogParam(ctx, child.Info.ID, "a", "1"); !errors.Is(err, tracking.ErrNotActive) {
		t.Fatalf("write to deleted run: %v", err)
	}
	if got := must[*tracking.Run](t)(tr.GetRun(ctx, child.Info.ID)); got.Info.Lifecycle != tracking.Deleted {
		t.Fatalf("deleted run %+v", got.Info)
	}
	if err := tr.RestoreRun(ctx, child.Info.ID); err != nil {
		t.Fatal(err)
	}
	if err := tr.LogParam(ctx, child.Info.ID, "a", "1"); err != nil {
		t.Fatalf("write to restored run: %v", err)
	}
	for _, id := range []string{"0123456789abcdef0123456789abcdef", "../x", ""} {
		if _, err := tr.GetRun(ctx, id); !errors.Is(err, tracking.ErrNotFound) && !errors.Is(err, tracking.ErrInvalidParameter) {
			t.Fatalf("GetRun(%q): %v", id, err)
		}
	}
}

func TestLogBatchRules(t *testing.T) {
	ctx := context.Background()
	tr, _ := newTracker(t, nil)
	run := must[*tracking.Run](t)(tr.CreateRun(ctx, "", nil)).Info.ID
	if err := tr.LogBatch(ctx, run, &tracking.Batch{Params: []tracking.Param{{"lr", "0.1"}}, Tags: []tracking.Tag{{"t", "1"}}}); err != nil {
		t.Fatal(err)
	}
	many := func(n int) []tracking.Metric {
		out := make([]tracking.Metric, n)
		for i := range out {
			out[i] = tracking.Metric{Key: "m", Value: float64(i), Step: int64(i)}
		}
		return out
	}
	params := func(n int) []tracking.Param {
		out := make([]tracking.Param, n)
		for i := range out {
			out[i] = tracking.Param{Key: fmt.Sprint("p", i), Value: "v"}
		}
		return out
	}
	tags := func(n int) []tracking.Tag {
		out := make([]tracking.Tag, n)
		for i := range out {
			out[i] = tracking.Tag{Key: fmt.Sprint("t", i), Value: "v"}
		}
		return out
	}
	for _, tt := range []struct {
		name  string
		batch tracking.Batch
		want  error
	}{
		{"changed param", tracking.Batch{Params: []tracking.Param{{"lr", "0.2"}}, Metrics: many(3)}, tracking.ErrParamChanged},
		{"1001 metrics", tracking.Batch{Metrics: many(1001)}, tracking.ErrBatchTooLarge},
		{"101 params", tracking.Batch{Params: params(101)}, tracking.ErrBatchTooLarge},
		{"101 tags", tracking.Batch{Tags: tags(101)}, tracking.ErrBatchTooLarge},
		{"1001 entities", tracking.Batch{Metrics: many(901), Params: params(100)}, tracking.ErrBatchTooLarge},
		{"duplicate param", tracking.Batch{Params: []tracking.Param{{"x", "1"}, {"x", "1"}}}, tracking.ErrInvalidParameter},
		{"bad key", tracking.Batch{Metrics: []tracking.Metric{{Key: "a*b"}}}, tracking.ErrInvalidName},
		{"path key", tracking.Batch{Metrics: []tracking.Metric{{Key: "../a"}}}, tracking.ErrInvalidName},
		{"empty key", tracking.Batch{Tags: []tracking.Tag{{"", "v"}}}, tracking.ErrInvalidName},
		{"negative time", tracking.Batch{Metrics: []tracking.Metric{{Key: "a", Timestamp: -1}}}, tracking.ErrInvalidMetric},
		{"long param", tracking.Batch{Params: []tracking.Param{{"long", string(bytes.Repeat([]byte("x"), 6001))}}}, tracking.ErrInvalidName},
		{"long tag", tracking.Batch{Tags: []tracking.Tag{{"long", string(bytes.Repeat([]byte("x"), 5001))}}}, tracking.ErrInvalidName},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tr.LogBatch(ctx, run, &tt.batch); !errors.Is(err, tt.want) {
				t.Fatalf("LogBatch: %v, want %v", err, tt.want)
			}
		})
	}
	// Nothing of a rejected batch was written.
	got := must[*tracking.Run](t)(tr.GetRun(ctx, run))
	if len(got.Metrics) != 0 || got.Params["lr"] != "0.1" || len(got.Params) != 1 {
		t.Fatalf("after rejected batches: params %v metrics %v", got.Params, got.Metrics)
	}
	// At the limits, batches pass.
	if err := tr.LogBatch(ctx, run, &tracking.Batch{Metrics: many(1000)}); err != nil {
		t.Fatal(err)
	}
	if err := tr.LogBatch(ctx, run, &tracking.Batch{Params: params(100), Tags: tags(100)}); err != nil {
		t.Fatal(err)
	}
	// The same param value again is fine; tags change.
	if err := tr.LogParam(ctx, run, "lr", "0.1"); err != nil {
		t.Fatal(err)
	}
	if err := tr.SetTag(ctx, run, "t", "2"); err != nil {
		t.Fatal(err)
	}
	if err := tr.DeleteTag(ctx, run, "t0"); err != nil {
		t.Fatal(err)
	}
	if err := tr.DeleteTag(ctx, run, "t0"); !errors.Is(err, tracking.ErrNotFound) {
		t.Fatalf("delete missing tag: %v", err)
	}
	got = must[*tracking.Run](t)(tr.GetRun(ctx, run))
	if got.Tags["t"] != "2" || len(got.Params) != 101 || got.Metrics["m"].Step != 999 {
		t.Fatalf("tags %v, %d params, latest %+v", got.Tags["t"], len(got.Params), got.Metrics["m"])
	}
	if _, ok := got.Tags["t0"]; ok {
		t.Fatal("deleted tag still there")
	}
	if err := tr.LogMetric(ctx, "0123456789abcdef0123456789abcdef", tracking.Metric{Key: "a"}); !errors.Is(err, tracking.ErrNotFound) {
		t.Fatalf("unknown run: %v", err)
	}
}

func TestMetricSeries(t *testing.T) {
	ctx := context.Background()
	tr, s := newTracker(t, &tracking.Options{CheckpointEvery: 4})
	run := must[*tracking.Run](t)(tr.CreateRun(ctx, "", nil)).Info.ID
	var want []tracking.Metric
	for b := range 10 {
		var batch tracking.Batch
		for i := range 7 {
			step := int64(b*7 + i)
			batch.Metrics = append(batch.Metrics, tracking.Metric{Key: "loss", Value: 1 / float64(step+1), Timestamp: 100 + step, Step: step},
				tracking.Metric{Key: "acc", Value: float64(step), Timestamp: 100 + step, Step: step})
			want = append(want, tracking.Metric{Key: "loss", Value: 1 / float64(step+1), Timestamp: 100 + step, Step: step})
		}
		if err := tr.LogBatch(ctx, run, &batch); err != nil {
			t.Fatal(err)
		}
	}
	// Special values: NaN kept, ±Inf clamped, exact repeats within a batch once.
	special := []tracking.Metric{
		{Key: "odd", Value: math.NaN(), Timestamp: 1, Step: 0},
		{Key: "odd", Value: math.Inf(1), Timestamp: 1, Step: 1},
		{Key: "odd", Value: math.Inf(-1), Timestamp: 1, Step: 2},
		{Key: "odd", Value: 5, Timestamp: 1, Step: 3},
		{Key: "odd", Value: 5, Timestamp: 1, Step: 3},
	}
	if err := tr.LogBatch(ctx, run, &tracking.Batch{Metrics: special}); err != nil {
		t.Fatal(err)
	}
	// A second tracker on the same bucket reads through checkpoints.
	cold := must[*tracking.Tracker](t)(tracking.Open(ctx, s, nil))
	for name, trk := range map[string]*tracking.Tracker{"warm": tr, "cold": cold} {
		t.Run(name, func(t *testing.T) {
			got := must[[]tracking.Metric](t)(trk.MetricHistory(ctx, run, "loss"))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("loss history (-want +got):\n%s", diff)
			}
			odd := must[[]tracking.Metric](t)(trk.MetricHistory(ctx, run, "odd"))
			wantOdd := []tracking.Metric{
				{Key: "odd", Value: math.NaN(), Timestamp: 1, Step: 0},
				{Key: "odd", Value: math.MaxFloat64, Timestamp: 1, Step: 1},
				{Key: "odd", Value: -math.MaxFloat64, Timestamp: 1, Step: 2},
				{Key: "odd", Value: 5, Timestamp: 1, Step: 3},
			}
			if diff := cmp.Diff(wantOdd, odd, cmpopts.EquateNaNs()); diff != "" {
				t.Fatalf("odd history (-want +got):\n%s", diff)
			}
			r := must[*tracking.Run](t)(trk.GetRun(ctx, run))
			if diff := cmp.Diff(tracking.Metric{Key: "acc", Value: 69, Timestamp: 169, Step: 69}, r.Metrics["acc"]); diff != "" {
				t.Fatalf("latest acc (-want +got):\n%s", diff)
			}
			if none := must[[]tracking.Metric](t)(trk.MetricHistory(ctx, run, "nothing")); len(none) != 0 {
				t.Fatalf("missing metric: %v", none)
			}
		})
	}
}

func TestLatestMetricRanking(t *testing.T) {
	ctx := context.Background()
	tr, _ := newTracker(t, nil)
	run := must[*tracking.Run](t)(tr.CreateRun(ctx, "", nil)).Info.ID
	for _, m := range []tracking.Metric{
		{Key: "m", Value: 3, Timestamp: 10, Step: 5},
		{Key: "m", Value: 9, Timestamp: 99, Step: 4}, // older step: not latest
		{Key: "m", Value: 1, Timestamp: 11, Step: 5}, // same step, later time: latest
		{Key: "m", Value: 0.5, Timestamp: 11, Step: 5},
	} {
		if err := tr.LogMetric(ctx, run, m); err != nil {
			t.Fatal(err)
		}
	}
	got := must[*tracking.Run](t)(tr.GetRun(ctx, run)).Metrics["m"]
	if diff := cmp.Diff(tracking.Metric{Key: "m", Value: 1, Timestamp: 11, Step: 5}, got); diff != "" {
		t.Fatalf("latest (-want +got):\n%s", diff)
	}
}

func TestSearchBestCompare(t *testing.T) {
	ctx := context.Background()
	tr, _ := newTracker(t, nil)
	exp := must[string](t)(tr.CreateExperiment(ctx, "sweep", nil))
	other := must[string](t)(tr.CreateExperiment(ctx, "other", nil))
	var ids []string
	for i, acc := range []float64{0.7, 0.9, 0.8, math.NaN()} {
		r := must[*tracking.Run](t)(tr.CreateRun(ctx, exp, &tracking.RunOptions{Name: fmt.Sprint("r", i), StartTime: int64(1000 + i)}))
		ids = append(ids, r.Info.ID)
		if err := tr.LogBatch(ctx, r.Info.ID, &tracking.Batch{
			Metrics: []tracking.Metric{{Key: "acc", Value: acc}, {Key: "my loss", Value: float64(i)}},
			Params:  []tracking.Param{{"lr", fmt.Sprint(0.1 * float64(i+1))}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tr.CreateRun(ctx, other, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.EndRun(ctx, ids[1], tracking.StatusFinished); err != nil {
		t.Fatal(err)
	}
	names := func(runs []*tracking.Run) []string {
		var out []string
		for _, r := range runs {
			out = append(out, r.Info.Name)
		}
		return out
	}
	for _, tt := range []struct {
		filter string
		order  []string
		want   []string
	}{
		{"", nil, []string{"r3", "r2", "r1", "r0"}},
		{"metrics.acc > 0.75", nil, []string{"r2", "r1"}},
		{"metrics.acc > 0.75", []string{"metrics.acc DESC"}, []string{"r1", "r2"}},
		{"", []string{"metrics.acc"}, []string{"r0", "r2", "r1", "r3"}}, // NaN sorts last
		{"params.lr = '0.1'", nil, []string{"r0"}},
		{"attributes.status = 'FINISHED'", nil, []string{"r1"}},
		{"status != 'FINISHED' and metrics.`my loss` >= 2", nil, []string{"r3", "r2"}},
		{"run_name like 'r%' and attributes.start_time < 1002", []string{"attributes.start_time ASC"}, []string{"r0", "r1"}},
		{"tags.mlflow.runName = 'r2'", nil, []string{"r2"}},
		{"metric.`my loss` < 1", []string{"metrics.`my loss` DESC"}, []string{"r0"}},
	} {
		t.Run(tt.filter+fmt.Sprint(tt.order), func(t *testing.T) {
			page := must[*tracking.RunPage](t)(tr.SearchRuns(ctx, &tracking.RunSearch{ExperimentIDs: []string{exp}, Filter: tt.filter, OrderBy: tt.order}))
			if diff := cmp.Diff(tt.want, names(page.Runs)); diff != "" {
				t.Fatalf("runs (-want +got):\n%s", diff)
			}
		})
	}
	// Pages.
	var all []string
	q := &tracking.RunSearch{ExperimentIDs: []string{exp}, MaxResults: 3}
	for {
		page := must[*tracking.RunPage](t)(tr.SearchRuns(ctx, q))
		all = append(all, names(page.Runs)...)
		if page.NextPageToken == "" {
			break
		}
		q.PageToken = page.NextPageToken
	}
	if diff := cmp.Diff([]string{"r3", "r2", "r1", "r0"}, all); diff != "" {
		t.Fatalf("paged (-want +got):\n%s", diff)
	}
	if _, err := tr.SearchRuns(ctx, &tracking.RunSearch{ExperimentIDs: []string{exp}, PageToken: q.PageToken, Filter: "metrics.acc > 0"}); !errors.Is(err, tracking.ErrInvalidPageToken) {
		t.Fatalf("token of another query: %v", err)
	}
	for _, bad := range []string{"metrics.acc > 'x'", "bogus = 1", "params.lr >"} {
		if _, err := tr.SearchRuns(ctx, &tracking.RunSearch{ExperimentIDs: []string{exp}, Filter: bad}); !errors.Is(err, tracking.ErrInvalidFilter) {
			t.Fatalf("filter %q: %v", bad, err)
		}
	}
	// Deleted runs only when asked.
	if err := tr.DeleteRun(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	page := must[*tracking.RunPage](t)(tr.SearchRuns(ctx, &tracking.RunSearch{ExperimentIDs: []string{exp}, ViewType: tracking.DeletedOnly}))
	if diff := cmp.Diff([]string{"r0"}, names(page.Runs)); diff != "" {
		t.Fatalf("deleted (-want +got):\n%s", diff)
	}
	best := must[*tracking.Run](t)(tr.BestRun(ctx, &tracking.BestRunQuery{ExperimentIDs: []string{exp}, Metric: "acc", Maximize: true}))
	if best.Info.Name != "r1" {
		t.Fatalf("best by max acc: %s", best.Info.Name)
	}
	best = must[*tracking.Run](t)(tr.BestRun(ctx, &tracking.BestRunQuery{ExperimentIDs: []string{exp}, Metric: "acc", ViewType: tracking.All}))
	if best.Info.Name != "r0" {
		t.Fatalf("best by min acc: %s", best.Info.Name)
	}
	if _, err := tr.BestRun(ctx, &tracking.BestRunQuery{ExperimentIDs: []string{exp}, Metric: "f1"}); !errors.Is(err, tracking.ErrNotFound) {
		t.Fatalf("no such metric: %v", err)
	}
	c := must[*tracking.Comparison](t)(tr.CompareRuns(ctx, ids[1], ids[2]))
	if len(c.Params) != 1 || !c.Params[0].Differs || c.Params[0].Key != "lr" {
		t.Fatalf("param rows %+v", c.Params)
	}
	if len(c.Metrics) != 2 || c.Metrics[0].Key != "acc" || !c.Metrics[0].Differs || c.Metrics[0].Values[0] != 0.9 {
		t.Fatalf("metric rows %+v", c.Metrics)
	}
}

func TestArtifacts(t *testing.T) {
	ctx := context.Background()
	tr, _ := newTracker(t, nil)
	run := must[*tracking.Run](t)(tr.CreateRun(ctx, "", nil)).Info.ID
	a := must[tracking.Artifact](t)(tr.LogArtifact(ctx, run, "model/weights.bin", bytes.NewReader([]byte("weights"))))
	if a.Size != 7 || a.Digest == "" {
		t.Fatalf("artifact %+v", a)
	}
	for _, bad := range []string{"../x", "/abs", "a/", ""} {
		if _, err := tr.LogArtifact(ctx, run, bad, bytes.NewReader(nil)); !errors.Is(err, tracking.ErrInvalidParameter) {
			t.Fatalf("path %q: %v", bad, err)
		}
	}
	rc := must[io.ReadCloser](t)(tr.OpenArtifact(ctx, run, "model/weights.bin"))
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(data) != "weights" {
		t.Fatalf("read %q, %v", data, err)
	}
	if _, err := tr.OpenArtifact(ctx, run, "nope"); !errors.Is(err, tracking.ErrNotFound) {
		t.Fatalf("missing artifact: %v", err)
	}
	r := must[*tracking.Run](t)(tr.GetRun(ctx, run))
	if diff := cmp.Diff([]tracking.Artifact{a}, r.Artifacts); diff != "" {
		t.Fatalf("artifacts (-want +got):\n%s", diff)
	}
}
