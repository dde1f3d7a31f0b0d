package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/cmd/internal/cli"
	"github.com/sextant-ml/sextant/pipeline"
	"github.com/sextant-ml/sextant/tracking"
)

// TestMain makes the test binary double as the sextant command, so that
// the scripts run it as a separate process, as users do.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"sextant": func() { os.Exit(cli.Main()) },
	})
}

// TestScripts runs testdata/script/*.txtar: one script per command group,
// each on file:// buckets under its own $WORK.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// Nothing from the machine running the tests leaks in.
			for _, k := range []string{"SEXTANT_BUCKET", "SEXTANT_DVC_REMOTE", "GITHUB_SHA", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT",
				"GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_ACTOR", "GITHUB_STEP_SUMMARY"} {
				env.Setenv(k, "")
			}
			env.Setenv("BUCKET", "file://"+env.WorkDir+"/bucket")
			// Parquet files written by parquet-mr (see their README).
			parquet, err := filepath.Abs("../../drift/tabular/testdata/parquet")
			if err != nil {
				return err
			}
			env.Setenv("PARQUET", parquet)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status":    cmdStatus,
			"mkrun":     cmdMkrun,
			"putblob":   cmdPutblob,
			"mktracked": cmdMktracked,
		},
	})
}

// status N PROGRAM ARGS... runs a program and checks its exit status is
// exactly N; its output is then matched by stdout and stderr as after exec.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status N PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: %v", err)
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("status: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// mkrun BUCKET PIPELINE VAR [fail] [KEY=VALUE...] runs a one-task pipeline
// recording its run on the bucket, with the parameters given; the task
// "train" sets every parameter whose key starts with "out." as its output
// of that name (without the prefix), and fails when "fail" is given. The
// run's id is stored in the environment variable VAR.
func cmdMkrun(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: mkrun BUCKET PIPELINE VAR [fail] [KEY=VALUE...]")
	}
	ctx := context.Background()
	b, err := artifact.OpenBucket(ctx, args[0])
	ts.Check(err)
	defer b.Close()
	fail := len(args) > 3 && args[3] == "fail"
	params := map[string]string{}
	for _, kv := range args[3:] {
		if k, v, ok := strings.Cut(kv, "="); ok {
			params[k] = v
		}
	}
	p, err := pipeline.New(args[1], []pipeline.Task{{Name: "train", Run: func(_ context.Context, t *pipeline.TaskRun) error {
		for k, v := range params {
			if name, ok := strings.CutPrefix(k, "out."); ok {
				t.Set(name, v)
			}
		}
		if fail {
			return pipeline.Permanent(fmt.Errorf("training diverged"))
		}
		return nil
	}}}, &pipeline.Options{Bucket: b})
	ts.Check(err)
	rec, err := p.Run(ctx, params)
	if rec == nil {
		ts.Fatalf("mkrun: %v", err)
	}
	ts.Setenv(args[2], rec.ID)
}

// putblob BUCKET FILE stores the file's bytes in the bucket's artifact
// store, where nothing refers to them.
func cmdPutblob(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: putblob BUCKET FILE")
	}
	ctx := context.Background()
	s, err := artifact.Open(ctx, args[0], nil)
	ts.Check(err)
	defer s.Close()
	f, err := os.Open(ts.MkAbs(args[1]))
	ts.Check(err)
	defer f.Close()
	_, err = s.Put(ctx, f, nil)
	ts.Check(err)
}

// mktracked BUCKET EXPERIMENT VAR PARAM=VALUE METRIC=NUMBER records a
// finished run in experiment (created if needed) through package tracking,
// with one parameter and one metric, and stores its id in VAR.
func cmdMktracked(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 5 {
		ts.Fatalf("usage: mktracked BUCKET EXPERIMENT VAR PARAM=VALUE METRIC=NUMBER")
	}
	ctx := context.Background()
	store, err := artifact.Open(ctx, args[0], nil)
	ts.Check(err)
	defer store.Close()
	tr, err := tracking.Open(ctx, store, nil)
	ts.Check(err)
	exp, err := tr.GetExperimentByName(ctx, args[1])
	var id string
	if err == nil {
		id = exp.ID
	} else if id, err = tr.CreateExperiment(ctx, args[1], nil); err != nil {
		ts.Fatalf("mktracked: %v", err)
	}
	run, err := tr.CreateRun(ctx, id, nil)
	ts.Check(err)
	pk, pv, _ := strings.Cut(args[3], "=")
	mk, mv, _ := strings.Cut(args[4], "=")
	value, err := strconv.ParseFloat(mv, 64)
	ts.Check(err)
	ts.Check(tr.LogParam(ctx, run.Info.ID, pk, pv))
	ts.Check(tr.LogMetric(ctx, run.Info.ID, tracking.Metric{Key: mk, Value: value, Timestamp: time.Now().UnixMilli()}))
	_, err = tr.EndRun(ctx, run.Info.ID, tracking.StatusFinished)
	ts.Check(err)
	ts.Setenv(args[2], run.Info.ID)
}
