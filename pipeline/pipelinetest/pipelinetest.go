// Package pipelinetest helps test code built on package pipeline: a pipeline
// whose runs are recorded on an in-memory bucket, ready in one call, and task
// functions that fail, hang or panic on demand.
//
// Retries, timeouts and schedules run on a fake clock inside
// testing/synctest's synctest.Test, so tests of retry policies never sleep;
// see the package example.
//
// The pipeline package has no interface for users to implement (a task is a
// function), so there is no conformance suite.
package pipelinetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/sextant-ml/sextant/artifact/artifacttest"
	"github.com/sextant-ml/sextant/pipeline"
)

// ErrInjected is the error the failing functions of this package return.
var ErrInjected = errors.New("pipelinetest: injected failure")

// New builds a pipeline from tasks whose runs are recorded on a fresh mem://
// bucket (artifacttest.NewBucket, unless opts sets one), closed when t ends. A build error fails t.
func New(t testing.TB, name string, tasks []pipeline.Task, opts *pipeline.Options) *pipeline.Pipeline {
	t.Helper()
	var o pipeline.Options
	if opts != nil {
		o = *opts
	}
	if o.Bucket == nil {
		o.Bucket = artifacttest.NewBucket(t)
	}
	p, err := pipeline.New(name, tasks, &o)
	if err != nil {
		t.Fatalf("pipelinetest: %v", err)
	}
	return p
}

// Flaky returns f preceded by failures: its first n calls return ErrInjected
// without calling f. It is safe for concurrent use.
func Flaky(n int, f pipeline.Func) pipeline.Func {
	var mu sync.Mutex
	calls := 0
	return func(ctx context.Context, tr *pipeline.TaskRun) error {
		mu.Lock()
		calls++
		fail := calls <= n
		mu.Unlock()
		if fail {
			return ErrInjected
		}
		if f == nil {
			return nil
		}
		return f(ctx, tr)
	}
}

// Fail returns a function that always fails with ErrInjected.
func Fail() pipeline.Func {
	return func(context.Context, *pipeline.TaskRun) error { return ErrInjected }
}

// Hang returns a function that blocks until its context ends and returns the
// context's error: a task that only a timeout or a cancellation stops.
func Hang() pipeline.Func {
	return func(ctx context.Context, _ *pipeline.TaskRun) error {
		<-ctx.Done()
		return ctx.Err()
	}
}

// Statuses maps each task of rec to its status, for comparison with cmp.Diff.
func Statuses(rec *pipeline.Record) map[string]pipeline.Status {
	m := make(map[string]pipeline.Status, len(rec.Tasks))
	for _, t := range rec.Tasks {
		m[t.Name] = t.Status
	}
	return m
}
