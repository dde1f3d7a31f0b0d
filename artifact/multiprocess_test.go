package artifact

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// childEnv makes the test binary act as one writer of
// TestPutManyProcesses: it names the bucket directory.
const childEnv = "SEXTANT_ARTIFACT_PUT_CHILD"

// TestPutManyProcesses runs several processes that store the same content
// in one file:// bucket at the same time, half with Put and half with
// PutKnown. Every process must succeed with the same descriptor and one
// intact object must result.
func TestPutManyProcesses(t *testing.T) {
	p := content(3*pumpBufSize+123, 77)
	if dir := os.Getenv(childEnv); dir != "" {
		putAsChild(t, dir, p)
		return
	}
	dir := t.TempDir()
	const procs = 4
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*bytes.Buffer, procs)
	for i := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPutManyProcesses$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+dir, "SEXTANT_ARTIFACT_PUT_KNOWN="+strconv.Itoa(i%2))
		outs[i] = new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	want := Descriptor{Digest: FromBytes(p), Size: int64(len(p))}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i])
		}
		var got Descriptor
		line := bytes.SplitN(outs[i].Bytes(), []byte("\n"), 2)[0]
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("process %d printed %q: %v", i, outs[i], err)
		}
		if got.Digest != want.Digest || got.Size != want.Size {
			t.Fatalf("process %d stored %+v, want %+v", i, got, want)
		}
	}
	s, err := Open(context.Background(), "file://"+dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ds := digests(t, s); len(ds) != 1 || ds[0] != want.Digest {
		t.Fatalf("objects after the race: %v", ds)
	}
	if got, err := s.Get(context.Background(), want.Digest); err != nil || !bytes.Equal(got, p) {
		t.Fatalf("get: %v", err)
	}
	if n := uploads(t, s); n != 0 {
		t.Fatalf("%d temporary uploads left", n)
	}
}

// putAsChild stores p in the bucket at dir and prints the descriptor.
func putAsChild(t *testing.T, dir string, p []byte) {
	ctx := context.Background()
	s, err := Open(ctx, "file://"+dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var d Descriptor
	if os.Getenv("SEXTANT_ARTIFACT_PUT_KNOWN") == "1" {
		d, err = s.PutKnown(ctx, Descriptor{Digest: FromBytes(p), Size: int64(len(p))}, bytes.NewReader(p))
	} else {
		d, err = s.Put(ctx, bytes.NewReader(p), nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(string(out))
}
