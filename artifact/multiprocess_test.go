package artifact

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/sextant-ml/sextant/internal/proctest"
)

// putDirEnv names the bucket directory to the writers of
// TestPutManyProcesses.
const putDirEnv = "SEXTANT_ARTIFACT_PUT_DIR"

func TestMain(m *testing.M) {
	if i, ok := proctest.Child("put"); ok {
		proctest.Exit(putAsChild(os.Getenv(putDirEnv), i%2 == 1, putContent()))
	}
	os.Exit(m.Run())
}

// putContent is what every writer of TestPutManyProcesses stores.
func putContent() []byte { return content(3*pumpBufSize+123, 77) }

// TestPutManyProcesses runs several processes that store the same content
// in one file:// bucket at the same time, half with Put and half with
// PutKnown. Every process must succeed with the same descriptor and one
// intact object must result.
func TestPutManyProcesses(t *testing.T) {
	p := putContent()
	dir := t.TempDir()
	outs := proctest.Run(t, "put", 4, map[string]string{putDirEnv: dir})
	want := Descriptor{Digest: FromBytes(p), Size: int64(len(p))}
	for i, out := range outs {
		var got Descriptor
		line, _, _ := bytes.Cut([]byte(out), []byte("\n"))
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("process %d printed %q: %v", i, out, err)
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

// putAsChild stores p in the bucket at dir, with PutKnown when known is set
// and with Put otherwise, and prints the descriptor.
func putAsChild(dir string, known bool, p []byte) error {
	ctx := context.Background()
	s, err := Open(ctx, "file://"+dir, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	var d Descriptor
	if known {
		d, err = s.PutKnown(ctx, Descriptor{Digest: FromBytes(p), Size: int64(len(p))}, bytes.NewReader(p))
	} else {
		d, err = s.Put(ctx, bytes.NewReader(p), nil)
	}
	if err != nil {
		return err
	}
	out, err := json.Marshal(d)
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}
