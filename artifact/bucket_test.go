package artifact_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
)

func TestValidateKey(t *testing.T) {
	valid := []string{
		"cas/sha256/ab/cdef",
		"registry/models/churn-model/log/00000000000000000001.json",
		"a",
		"a.b/c_d-e/f..g", // dots inside a segment are fine
		"données/é",
	}
	for _, k := range valid {
		if err := artifact.ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q) = %v, want nil", k, err)
		}
	}
	invalid := map[string]string{
		"empty":                 "",
		"absolute":              "/etc/passwd",
		"dot-dot":               "../secret",
		"inner dot-dot":         "a/../../b",
		"trailing dot-dot":      "a/..",
		"dot":                   "a/./b",
		"empty segment":         "a//b",
		"trailing slash":        "a/",
		"backslash":             `a\..\b`,
		"NUL":                   "a\x00b",
		"newline":               "a\nb",
		"DEL":                   "a\x7fb",
		"C1 control":            "a\u0085b",
		"percent-encoded slash": "a%2fb",
		"double-encoded dots":   "%252e%252e/x",
		"encoded dots":          "%2e%2e/x",
		"windows drive":         "C:/x",
		"url scheme":            "file:/x",
		"invalid utf-8":         "a\xffb",
		"too long":              strings.Repeat("a", 1025),
	}
	for name, k := range invalid {
		t.Run(name, func(t *testing.T) {
			err := artifact.ValidateKey(k)
			if !errors.Is(err, artifact.ErrInvalidKey) {
				t.Fatalf("ValidateKey(%q) = %v, want ErrInvalidKey", k, err)
			}
		})
	}
}

func TestBucketCreateOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fileB, err := artifact.OpenBucket(ctx, "file://"+dir+"?prefix=team/a")
	if err != nil {
		t.Fatal(err)
	}
	defer fileB.Close()
	memB, err := artifact.NewBucket(memblob.OpenBucket(nil), &artifact.BucketOptions{Prefix: "team/a/", Owned: true})
	if err != nil {
		t.Fatal(err)
	}
	defer memB.Close()

	for name, b := range map[string]*artifact.Bucket{"file": fileB, "mem": memB} {
		t.Run(name, func(t *testing.T) {
			if err := b.CreateOnly(ctx, "x/1.json", []byte("first")); err != nil {
				t.Fatal(err)
			}
			err := b.CreateOnly(ctx, "x/1.json", []byte("second"))
			if !errors.Is(err, artifact.ErrExist) {
				t.Fatalf("second CreateOnly = %v, want ErrExist", err)
			}
			got, err := b.ReadAll(ctx, "x/1.json")
			if err != nil || string(got) != "first" {
				t.Fatalf("ReadAll = %q, %v; want the first write kept", got, err)
			}
			if _, err := b.ReadAll(ctx, "x/2.json"); !errors.Is(err, artifact.ErrNotFound) {
				t.Fatalf("ReadAll of missing key = %v, want ErrNotFound", err)
			}
			if err := b.Delete(ctx, "x/2.json"); !errors.Is(err, artifact.ErrNotFound) {
				t.Fatalf("Delete of missing key = %v, want ErrNotFound", err)
			}
			if err := b.CreateOnly(ctx, "../escape", nil); !errors.Is(err, artifact.ErrInvalidKey) {
				t.Fatalf("CreateOnly(../escape) = %v, want ErrInvalidKey", err)
			}
			if err := b.WriteAll(ctx, "x/0.json", []byte("zero")); err != nil {
				t.Fatal(err)
			}
			var keys []string
			if err := b.List(ctx, "x/", func(rel string, _ *blob.ListObject) error {
				keys = append(keys, rel)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(keys, " "), "x/0.json x/1.json"; got != want {
				t.Fatalf("List = %q, want %q", got, want)
			}
			// The prefix is applied underneath.
			if ok, err := b.Blob().Exists(ctx, "team/a/x/1.json"); err != nil || !ok {
				t.Fatalf("object not stored under the prefix: %v %v", ok, err)
			}
		})
	}
	// On a local directory the object is a plain file under the prefix, and
	// no temporary file is left behind.
	if _, err := os.Stat(filepath.Join(dir, "team", "a", "x", "1.json")); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "team", "a", "x"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".create-") {
			t.Fatalf("temporary file %s left behind", e.Name())
		}
	}
}

func TestOpenBucketErrors(t *testing.T) {
	ctx := context.Background()
	// Drivers this package leaves to the program: the error names the
	// import that is missing.
	for u, drv := range map[string]string{"gs://models?prefix=team": "gocloud.dev/blob/gcsblob", "azblob://models": "gocloud.dev/blob/azureblob"} {
		b, err := artifact.OpenBucket(ctx, u)
		if err == nil {
			b.Close()
			t.Errorf("OpenBucket(%q) succeeded without its driver", u)
			continue
		}
		if !strings.Contains(err.Error(), drv) || !strings.HasPrefix(err.Error(), "artifact: ") {
			t.Errorf("OpenBucket(%q) = %q, want an artifact error naming %s", u, err, drv)
		}
	}
	for _, u := range []string{"file://relative/path", "nosuchscheme://x", "mem://?prefix=../x"} {
		if b, err := artifact.OpenBucket(ctx, u); err == nil {
			b.Close()
			t.Errorf("OpenBucket(%q) succeeded, want an error", u)
		}
	}
}
