package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/artifact/artifacttest"
	"github.com/sextant-ml/sextant/internal/s3test"
)

// backends opens one bucket of each kind a user would use.
func backends(t *testing.T) map[string]func(t *testing.T) *artifact.Bucket {
	return map[string]func(t *testing.T) *artifact.Bucket{
		"mem": func(t *testing.T) *artifact.Bucket {
			return openBucket(t, "mem://")
		},
		"file": func(t *testing.T) *artifact.Bucket {
			return openBucket(t, "file://"+t.TempDir())
		},
		"s3": func(t *testing.T) *artifact.Bucket {
			srv := s3test.New(t)
			b, err := artifact.NewBucket(srv.Bucket(t, "runs"), &artifact.BucketOptions{Prefix: "team"})
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	}
}

func openBucket(t *testing.T, url string) *artifact.Bucket {
	t.Helper()
	b, err := artifact.OpenBucket(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestStoreRecordsRuns(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			b := open(t)
			var seenWhileRunning Record
			fail := false
			var p *Pipeline
			tasks := []Task{
				{Name: "train", Run: func(ctx context.Context, tr *TaskRun) error {
					rec, err := p.Store().Get(ctx, tr.RunID())
					if err != nil {
						return err
					}
					seenWhileRunning = rec
					tr.Set("version", "7")
					if fail {
						return errFlaky
					}
					return nil
				}},
				{Name: "register", Deps: []string{"train"}, Run: noop},
			}
			var err error
			p, err = New("retrain", tasks, &Options{Bucket: b})
			if err != nil {
				t.Fatal(err)
			}
			first, err := p.Run(ctx, map[string]string{"reason": "drift"})
			if err != nil {
				t.Fatal(err)
			}
			if seenWhileRunning.Status != Running || seenWhileRunning.Tasks[0].Status != Pending {
				t.Errorf("store during the run: %+v, want the run recorded as running", seenWhileRunning)
			}
			fail = true
			second, err := p.Run(ctx, nil)
			if !errors.Is(err, ErrFailed) {
				t.Fatalf("second run: %v", err)
			}

			// A fresh store, as another process would open it.
			s, err := OpenStore(b, "retrain")
			if err != nil {
				t.Fatal(err)
			}
			runs, err := s.Runs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]Record{*first, *second}, runs); diff != "" {
				t.Errorf("stored runs (-want +got):\n%s", diff)
			}
			got, err := s.Get(ctx, first.ID)
			if err != nil {
				t.Fatal(err)
			}
			if v, _ := got.Output("train", "version"); v != "7" || got.Params["reason"] != "drift" {
				t.Errorf("stored run lost outputs or params: %+v", got)
			}
			if _, err := s.Get(ctx, "0123"); !errors.Is(err, ErrRunNotFound) {
				t.Errorf("Get unknown id: %v", err)
			}
			// Returned records are copies.
			runs[0].Tasks[0].Outputs["version"] = "changed"
			again, _ := s.Get(ctx, first.ID)
			if v, _ := again.Output("train", "version"); v != "7" {
				t.Errorf("store state changed through a returned record")
			}
		})
	}
}

func TestStoreConcurrentWriters(t *testing.T) {
	ctx := t.Context()
	b := openBucket(t, "file://"+t.TempDir())
	const writers, runsEach = 4, 5
	var wg sync.WaitGroup
	ids := make(chan string, writers*runsEach)
	for w := range writers {
		// Separate pipelines (and stores) on one bucket, as separate
		// processes would have.
		p, err := New("shared", []Task{{Name: "t", Run: noop}}, &Options{Bucket: b})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for range runsEach {
				rec, err := p.Run(ctx, map[string]string{"writer": fmt.Sprint(w)})
				if err != nil {
					t.Error(err)
					return
				}
				ids <- rec.ID
			}
		})
	}
	wg.Wait()
	close(ids)
	s, _ := OpenStore(b, "shared")
	runs, err := s.Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]Status{}
	for _, r := range runs {
		stored[r.ID] = r.Status
	}
	want := map[string]Status{}
	for id := range ids {
		want[id] = Succeeded
	}
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}

func TestStoreCheckpoint(t *testing.T) {
	ctx := t.Context()
	b := openBucket(t, "mem://")
	p, err := New("cp", []Task{{Name: "t", Run: noop}}, &Options{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	const n = 55 // 110 entries: one checkpoint, at entry 64 (logstore's default interval)
	var ids []string
	for range n {
		rec, err := p.Run(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.ID)
	}
	var checkpoints []string
	err = b.List(ctx, "pipelines/cp/checkpoint/", func(rel string, _ *blob.ListObject) error {
		checkpoints = append(checkpoints, rel[strings.LastIndexByte(rel, '/')+1:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"00000000000000000064.json"}, checkpoints); diff != "" {
		t.Errorf("checkpoints (-want +got):\n%s", diff)
	}
	// Entries folded into the checkpoint are not read again: damaging one
	// does not disturb a fresh reader.
	if err := b.WriteAll(ctx, "pipelines/cp/log/00000000000000000001.json", []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	s, _ := OpenStore(b, "cp")
	runs, err := s.Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.ID)
		if r.Status != Succeeded {
			t.Errorf("run %s: %s", r.ID, r.Status)
		}
	}
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("run ids (-want +got):\n%s", diff)
	}
}

func TestStoreRejectsBadEntries(t *testing.T) {
	tests := []struct {
		name string
		data string
		want error
	}{
		{"not json", "{", ErrCorrupt},
		{"newer format", `{"v":2,"type":"start","record":{"id":"x"}}`, ErrUnsupported},
		{"unknown type", `{"v":1,"type":"resume","record":{"id":"x"}}`, ErrUnsupported},
		{"no record", `{"v":1,"type":"end"}`, ErrCorrupt},
		{"no id", `{"v":1,"type":"end","record":{"status":"failed"}}`, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			b := openBucket(t, "mem://")
			if err := b.CreateOnly(ctx, "pipelines/p/log/00000000000000000001.json", []byte(tt.data)); err != nil {
				t.Fatal(err)
			}
			s, _ := OpenStore(b, "p")
			if _, err := s.Runs(ctx); !errors.Is(err, tt.want) || !strings.Contains(err.Error(), "entry 1 of p") {
				t.Errorf("Runs: %v, want %v naming the entry", err, tt.want)
			}
			// A writer refuses to append after an entry it cannot read.
			p, _ := New("p", []Task{{Name: "t", Run: noop}}, &Options{Bucket: b})
			if rec, err := p.Run(ctx, nil); !errors.Is(err, tt.want) || rec != nil {
				t.Errorf("Run: %v, %v", rec, err)
			}
		})
	}
}

func TestRunNotStartedWhenRecordFails(t *testing.T) {
	b := openBucket(t, "mem://")
	ran := false
	p, err := New("p", []Task{{Name: "t", Run: func(context.Context, *TaskRun) error { ran = true; return nil }}}, &Options{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	rec, err := p.Run(t.Context(), nil)
	if err == nil || rec != nil || ran {
		t.Fatalf("Run on a closed bucket: rec %v, err %v, ran %v", rec, err, ran)
	}
}

func FuzzDecodeEntry(f *testing.F) {
	valid, _ := json.Marshal(envelope{V: 1, Type: entryEnd, Record: &Record{
		Pipeline: "p", ID: "abc", Status: Failed,
		Tasks: []TaskRecord{{Name: "t", Status: Failed, Attempts: 2, Error: "x", Outputs: map[string]string{"k": "v"}}},
	}})
	f.Add(valid)
	f.Add([]byte(`{"v":1,"type":"start","record":{"id":"x","start":"2026-01-01T00:00:00Z"}}`))
	f.Add([]byte(`{"v":1,"type":"start","record":{"id":"x","start":"not a time"}}`))
	f.Add([]byte(`{"v":1,"runs":[{"id":"a"},{"id":"a"}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		typ, rec, err := decodeEntry(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("untyped error %v", err)
			}
		} else {
			if rec.ID == "" || (typ != entryStart && typ != entryEnd) {
				t.Fatalf("accepted %q as %s %+v", data, typ, rec)
			}
			// What was accepted survives a round trip.
			again, err := json.Marshal(envelope{V: 1, Type: typ, Record: rec})
			if err != nil {
				t.Fatal(err)
			}
			if _, rec2, err := decodeEntry(again); err != nil || rec2.ID != rec.ID {
				t.Fatalf("round trip: %v", err)
			}
		}
		if _, err := decodeCheckpoint(data); err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("untyped checkpoint error %v", err)
		}
	})
}

// A run whose end cannot be recorded (as when its process dies) stays in the
// store as running, and Run reports the storage error beside the record.
func TestRunWhoseEndIsNotRecorded(t *testing.T) {
	ctx := t.Context()
	b, faults := artifacttest.NewFaultyBucket(t)
	failWrites := true
	p, err := New("p", []Task{{Name: "t", Run: func(context.Context, *TaskRun) error {
		if failWrites {
			// The start entry is in; from now on the store takes no write.
			faults.Fail(artifacttest.OpWrite, nil)
		}
		return nil
	}}}, &Options{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := p.Run(ctx, nil)
	faults.Reset()
	failWrites = false
	if !errors.Is(err, artifacttest.ErrInjected) || rec == nil || rec.Status != Succeeded {
		t.Fatalf("Run: %+v, %v; want the succeeded record and the storage error", rec, err)
	}
	stored, err := p.Store().Get(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != Running || !stored.End.IsZero() {
		t.Errorf("stored run %s ended %v, want running with no end", stored.Status, stored.End)
	}
	// The store stays usable: the next run is recorded in full.
	next, err := p.Run(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := p.Store().Get(ctx, next.ID); err != nil || got.Status != Succeeded {
		t.Errorf("next run stored as %s, %v", got.Status, err)
	}
}
