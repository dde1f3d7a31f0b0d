package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/pipeline"
	"github.com/sextant-ml/sextant/tracking"
)

func runCommands() []command {
	return []command{
		{"list", "list runs, newest first", cmdRunsList},
		{"show", "show one run: parameters, tasks, outputs", cmdRunsShow},
		{"compare", "compare runs side by side: parameters and numeric outputs", cmdRunsCompare},
	}
}

// run is one run as the runs commands show it, whatever recorded it.
type run struct {
	// Source names what recorded the run ("pipeline" or "tracking");
	// Experiment groups runs (the pipeline's or the experiment's name).
	Source     string                `json:"source"`
	Experiment string                `json:"experiment"`
	ID         string                `json:"id"`
	Status     string                `json:"status"`
	Start      time.Time             `json:"start"`
	End        time.Time             `json:"end,omitzero"`
	Params     map[string]string     `json:"params,omitempty"`
	Metrics    map[string]float64    `json:"metrics,omitempty"`
	Outputs    map[string]string     `json:"outputs,omitempty"`
	Error      string                `json:"error,omitempty"`
	Tasks      []pipeline.TaskRecord `json:"tasks,omitempty"`
}

// runSource is where runs come from: pipeline run records and tracked
// experiment runs (package tracking).
type runSource interface {
	// Runs lists the runs of experiment ("" for every one).
	Runs(ctx context.Context, experiment string) ([]run, error)
}

// errRunNotFound reports a run id no source knows.
var errRunNotFound = errors.New("sextant: run not found")

// pipelineRuns reads the run records pipelines keep on a bucket.
type pipelineRuns struct{ b *artifact.Bucket }

func (p pipelineRuns) names(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	err := p.b.List(ctx, "pipelines/", func(rel string, _ *blob.ListObject) error {
		if name, _, ok := strings.Cut(strings.TrimPrefix(rel, "pipelines/"), "/"); ok && name != "" {
			seen[name] = true
		}
		return nil
	})
	return slices.Sorted(maps.Keys(seen)), err
}

func (p pipelineRuns) Runs(ctx context.Context, experiment string) ([]run, error) {
	names := []string{experiment}
	if experiment == "" {
		var err error
		if names, err = p.names(ctx); err != nil {
			return nil, err
		}
	}
	var out []run
	for _, name := range names {
		s, err := pipeline.OpenStore(p.b, name)
		if err != nil {
			return nil, err
		}
		recs, err := s.Runs(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			out = append(out, fromRecord(r))
		}
	}
	return out, nil
}

// fromRecord maps a pipeline run: its outputs are "task.key", and those
// that are numbers are its metrics too.
func fromRecord(r pipeline.Record) run {
	x := run{Source: "pipeline", Experiment: r.Pipeline, ID: r.ID, Status: string(r.Status), Start: r.Start, End: r.End,
		Params: r.Params, Error: r.Error, Tasks: r.Tasks}
	for _, t := range r.Tasks {
		for k, v := range t.Outputs {
			if x.Outputs == nil {
				x.Outputs = map[string]string{}
			}
			x.Outputs[t.Name+"."+k] = v
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				if x.Metrics == nil {
					x.Metrics = map[string]float64{}
				}
				x.Metrics[t.Name+"."+k] = f
			}
		}
	}
	return x
}

// runFlags are the flags every runs command takes.
type runFlags struct {
	bucket, experiment string
	out                output
}

func (f *runFlags) define(fs interface {
	StringVar(*string, string, string, string)
}) {
	fs.StringVar(&f.bucket, "bucket", os.Getenv("SEXTANT_BUCKET"), "bucket URL the runs are recorded on (default $SEXTANT_BUCKET)")
	fs.StringVar(&f.experiment, "pipeline", "", "only the runs of this pipeline or tracked experiment")
	fs.StringVar(&f.experiment, "experiment", "", "the same as -pipeline")
	fs.StringVar(&f.out.format, "o", "text", "output format: text, json")
}

// sources opens the run sources on the bucket.
func (f *runFlags) sources(ctx context.Context) ([]runSource, func(), error) {
	if err := f.out.check(); err != nil {
		return nil, nil, err
	}
	if f.bucket == "" {
		return nil, nil, fmt.Errorf("%w: -bucket (or $SEXTANT_BUCKET) is required", errUsage)
	}
	b, err := artifact.OpenBucket(ctx, f.bucket)
	if err != nil {
		return nil, nil, err
	}
	store, err := artifact.New(b, nil)
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	tr, err := tracking.Open(ctx, store, nil)
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	return []runSource{pipelineRuns{b}, trackedRuns{tr}}, func() { b.Close() }, nil
}

// trackedRuns reads the runs experiment tracking keeps on a bucket.
type trackedRuns struct{ t *tracking.Tracker }

func (s trackedRuns) Runs(ctx context.Context, experiment string) ([]run, error) {
	var exps []*tracking.Experiment
	if experiment != "" {
		x, err := s.t.GetExperimentByName(ctx, experiment)
		if errors.Is(err, tracking.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		exps = []*tracking.Experiment{x}
	} else {
		for token := ""; ; {
			page, err := s.t.SearchExperiments(ctx, &tracking.ExperimentSearch{PageToken: token})
			if err != nil {
				return nil, err
			}
			exps = append(exps, page.Experiments...)
			if token = page.NextPageToken; token == "" {
				break
			}
		}
	}
	var out []run
	for _, x := range exps {
		for token := ""; ; {
			page, err := s.t.SearchRuns(ctx, &tracking.RunSearch{ExperimentIDs: []string{x.ID}, PageToken: token, MaxResults: tracking.MaxResultsLimit})
			if err != nil {
				return nil, err
			}
			for _, r := range page.Runs {
				out = append(out, fromTracked(x.Name, r))
			}
			if token = page.NextPageToken; token == "" {
				break
			}
		}
	}
	return out, nil
}

// fromTracked maps a tracked run: its metrics are the latest point of
// each series.
func fromTracked(experiment string, r *tracking.Run) run {
	x := run{Source: "tracking", Experiment: experiment, ID: r.Info.ID, Status: string(r.Info.Status),
		Start: time.UnixMilli(r.Info.StartTime).UTC(), Params: r.Params}
	if r.Info.EndTime != 0 {
		x.End = time.UnixMilli(r.Info.EndTime).UTC()
	}
	for k, m := range r.Metrics {
		if x.Metrics == nil {
			x.Metrics = map[string]float64{}
		}
		x.Metrics[k] = m.Value
	}
	return x
}

func allRuns(ctx context.Context, srcs []runSource, experiment string) ([]run, error) {
	var out []run
	for _, s := range srcs {
		rs, err := s.Runs(ctx, experiment)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	slices.SortStableFunc(out, func(a, b run) int { return b.Start.Compare(a.Start) })
	return out, nil
}

// findRuns returns the runs with these ids, in the order given. An id may
// be written PIPELINE/ID, and shortened to a unique prefix of 6 or more
// characters.
func findRuns(ctx context.Context, srcs []runSource, experiment string, ids []string) ([]run, error) {
	all, err := allRuns(ctx, srcs, experiment)
	if err != nil {
		return nil, err
	}
	out := make([]run, len(ids))
	for i, id := range ids {
		exp, rid, qualified := strings.Cut(id, "/")
		if !qualified {
			exp, rid = "", id
		}
		var found []run
		for _, r := range all {
			if (r.ID == rid || (len(rid) >= 6 && strings.HasPrefix(r.ID, rid))) && (exp == "" || r.Experiment == exp) {
				found = append(found, r)
			}
		}
		switch len(found) {
		case 0:
			return nil, fmt.Errorf("%w: %q", errRunNotFound, id)
		case 1:
			out[i] = found[0]
		default:
			return nil, fmt.Errorf("sextant: run %q matches %d runs: give the whole id, or PIPELINE/ID", id, len(found))
		}
	}
	return out, nil
}

func cmdRunsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("runs list", stderr)
	var f runFlags
	f.define(fs)
	status := fs.String("status", "", "only runs with this status (succeeded, failed, running, ...)")
	fs.Usage = usageWith(fs, "", "Lists the runs recorded on the bucket, newest first.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	srcs, closeAll, err := f.sources(ctx)
	if err != nil {
		return err
	}
	defer closeAll()
	rs, err := allRuns(ctx, srcs, f.experiment)
	if err != nil {
		return err
	}
	if *status != "" {
		rs = slices.DeleteFunc(rs, func(r run) bool { return r.Status != *status })
	}
	if f.out.json() {
		return writeJSON(stdout, nonNil(rs))
	}
	rows := make([][]string, len(rs))
	for i, r := range rs {
		dur := "-"
		if !r.End.IsZero() {
			dur = r.End.Sub(r.Start).Round(time.Millisecond).String()
		}
		rows[i] = []string{r.Experiment, r.ID, r.Status, r.Start.UTC().Format(time.RFC3339), dur}
	}
	return printTable(stdout, "EXPERIMENT\tRUN\tSTATUS\tSTART\tDURATION", rows)
}

func cmdRunsShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("runs show", stderr)
	var f runFlags
	f.define(fs)
	fs.Usage = usageWith(fs, "RUN", "Shows one run (its id, or PIPELINE/ID).")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	srcs, closeAll, err := f.sources(ctx)
	if err != nil {
		return err
	}
	defer closeAll()
	rs, err := findRuns(ctx, srcs, f.experiment, pos)
	if err != nil {
		return err
	}
	r := rs[0]
	if f.out.json() {
		return writeJSON(stdout, r)
	}
	fmt.Fprintf(stdout, "run:      %s/%s\nstatus:   %s\nstart:    %s\n", r.Experiment, r.ID, r.Status, r.Start.UTC().Format(time.RFC3339))
	if !r.End.IsZero() {
		fmt.Fprintf(stdout, "end:      %s (%s)\n", r.End.UTC().Format(time.RFC3339), r.End.Sub(r.Start).Round(time.Millisecond))
	}
	if r.Error != "" {
		fmt.Fprintf(stdout, "error:    %s\n", r.Error)
	}
	for _, k := range slices.Sorted(maps.Keys(r.Params)) {
		fmt.Fprintf(stdout, "param:    %s=%s\n", k, r.Params[k])
	}
	rows := make([][]string, len(r.Tasks))
	for i, t := range r.Tasks {
		outs := make([]string, 0, len(t.Outputs))
		for _, k := range slices.Sorted(maps.Keys(t.Outputs)) {
			outs = append(outs, k+"="+t.Outputs[k])
		}
		rows[i] = []string{t.Name, string(t.Status), strconv.Itoa(t.Attempts), strings.Join(outs, ","), t.Error}
	}
	fmt.Fprintln(stdout)
	return printTable(stdout, "TASK\tSTATUS\tATTEMPTS\tOUTPUTS\tERROR", rows)
}

func cmdRunsCompare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("runs compare", stderr)
	var f runFlags
	f.define(fs)
	fs.Usage = usageWith(fs, "RUN RUN...", "Puts the parameters, outputs and metrics of two or more runs side by side; rows that differ are marked *, equal ones =.")
	pos, err := parseArgs(fs, args, 2, -1)
	if err != nil {
		return err
	}
	srcs, closeAll, err := f.sources(ctx)
	if err != nil {
		return err
	}
	defer closeAll()
	rs, err := findRuns(ctx, srcs, f.experiment, pos)
	if err != nil {
		return err
	}
	if f.out.json() {
		return writeJSON(stdout, rs)
	}
	keys := map[string]bool{}
	for _, r := range rs {
		for k := range r.Params {
			keys["param "+k] = true
		}
		for k := range r.Outputs {
			keys["output "+k] = true
		}
		for k := range r.Metrics {
			if _, ok := r.Outputs[k]; !ok {
				keys["metric "+k] = true
			}
		}
	}
	header := "\tKEY"
	for _, r := range rs {
		header += "\t" + r.ID
	}
	var rows [][]string
	rows = append(rows, append([]string{cmpMark(rs, func(r run) string { return r.Status }), "status"}, mapRuns(rs, func(r run) string { return r.Status })...))
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		kind, name, _ := strings.Cut(k, " ")
		get := func(r run) string {
			var v string
			var ok bool
			switch kind {
			case "param":
				v, ok = r.Params[name]
			case "metric":
				var f float64
				if f, ok = r.Metrics[name]; ok {
					v = strconv.FormatFloat(f, 'g', -1, 64)
				}
			default:
				v, ok = r.Outputs[name]
			}
			if !ok {
				return "-"
			}
			return v
		}
		rows = append(rows, append([]string{cmpMark(rs, get), k}, mapRuns(rs, get)...))
	}
	return printTable(stdout, header, rows)
}

func mapRuns(rs []run, f func(run) string) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

func cmpMark(rs []run, f func(run) string) string {
	for _, r := range rs[1:] {
		if f(r) != f(rs[0]) {
			return "*"
		}
	}
	return "="
}
