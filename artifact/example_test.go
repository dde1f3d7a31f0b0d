package artifact_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/rbac"
	"gocloud.dev/secrets/localsecrets"
)

func ExampleStore_Put() {
	ctx := context.Background()
	s, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	d, err := s.Put(ctx, strings.NewReader("model weights"), &artifact.PutOptions{MediaType: "application/octet-stream"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Digest) // the same as `printf 'model weights' | sha256sum`
	fmt.Println(d.Size)
	// Output:
	// sha256:a2d42c4aa884e21216cbb8da4c7ba2fcf9b6033b2331666e666145c24caf7a38
	// 13
}

func ExampleStore_Get() {
	ctx := context.Background()
	s, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	d, err := s.Put(ctx, strings.NewReader("hello, world\n"), nil)
	if err != nil {
		log.Fatal(err)
	}

	data, err := s.Get(ctx, d.Digest)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", data)

	_, err = s.Get(ctx, artifact.FromBytes([]byte("never stored")))
	fmt.Println(errors.Is(err, artifact.ErrNotFound))
	// Output:
	// "hello, world\n"
	// true
}

// Open streams content and verifies it: a reader of damaged content fails
// with ErrDigestMismatch at the end instead of returning io.EOF.
func ExampleStore_Open() {
	ctx := context.Background()
	s, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	d, err := s.Put(ctx, strings.NewReader("weights v1"), nil)
	if err != nil {
		log.Fatal(err)
	}

	// Damage the stored object behind the store's back.
	key := "cas/sha256/" + d.Digest.Hex()[:2] + "/" + d.Digest.Hex()[2:]
	if err := s.Bucket().WriteAll(ctx, key, []byte("weights v2")); err != nil {
		log.Fatal(err)
	}

	r, err := s.Open(ctx, d.Digest)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	_, err = io.Copy(io.Discard, r)
	fmt.Println(errors.Is(err, artifact.ErrDigestMismatch))
	// Output:
	// true
}

// A caller that knows the digest (from a manifest, say) writes straight to
// the final name; content that does not match is never stored.
func ExampleStore_PutKnown() {
	ctx := context.Background()
	s, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	want := artifact.Descriptor{Digest: artifact.FromBytes([]byte("train.csv v3")), Size: 12}

	_, err = s.PutKnown(ctx, want, strings.NewReader("train.csv v4"))
	fmt.Println(errors.Is(err, artifact.ErrDigestMismatch))
	ok, _ := s.Exists(ctx, want.Digest)
	fmt.Println(ok)

	_, err = s.PutKnown(ctx, want, strings.NewReader("train.csv v3"))
	ok, _ = s.Exists(ctx, want.Digest)
	fmt.Println(err, ok)
	// Output:
	// true
	// false
	// <nil> true
}

// With a Keeper, objects are encrypted at rest; digests still name the
// plaintext, so the same content has the same digest either way.
func ExampleOptions_encryption() {
	ctx := context.Background()
	key, err := localsecrets.NewRandomKey() // in production: awskms://, gcpkms://, ...
	if err != nil {
		log.Fatal(err)
	}
	keeper := localsecrets.NewKeeper(key)
	defer keeper.Close()
	s, err := artifact.Open(ctx, "mem://", &artifact.Options{Keeper: keeper})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	d, err := s.Put(ctx, strings.NewReader("patient data"), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Digest == artifact.FromBytes([]byte("patient data")))
	data, err := s.Get(ctx, d.Digest)
	fmt.Println(string(data), err)
	info, _ := s.Stat(ctx, d.Digest)
	fmt.Println(info.Size, info.StoredSize > info.Size)
	// Output:
	// true
	// patient data <nil>
	// 12 true
}

func ExampleStore_GC() {
	ctx := context.Background()
	s, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	keep, _ := s.Put(ctx, strings.NewReader("referenced"), nil)
	s.Put(ctx, strings.NewReader("orphan"), nil)
	live := func(d artifact.Digest) bool { return d == keep.Digest }

	// Both objects are younger than the grace period: nothing is deleted.
	st, _ := s.GC(ctx, live, &artifact.GCOptions{Grace: time.Hour})
	fmt.Println(st.Deleted, st.Young)

	// Two hours later the orphan goes.
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }
	st, _ = s.GC(ctx, live, &artifact.GCOptions{Grace: time.Hour, Now: later})
	fmt.Println(st.Deleted, st.Live)
	// Output:
	// 0 1
	// 1 1
}

// A store with an Authorizer asks it before every call; here an rbac
// policy lets the group "ml" read artifacts but not delete them.
func ExampleOptions_authorizer() {
	ctx := context.Background()
	policy, err := rbac.Parse("policy.yaml", []byte(`
apiVersion: sextant/v1
kind: Role
metadata: {name: artifact-reader}
rules: [{resources: [artifacts], verbs: [get, list]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: ml-reads}
role: artifact-reader
subjects: [{kind: Group, name: ml}]
`))
	if err != nil {
		log.Fatal(err)
	}
	authz, err := rbac.New(policy, nil)
	if err != nil {
		log.Fatal(err)
	}
	admin, err := artifact.Open(ctx, "mem://", nil) // no checks
	if err != nil {
		log.Fatal(err)
	}
	defer admin.Close()
	d, err := admin.Put(ctx, strings.NewReader("weights"), nil)
	if err != nil {
		log.Fatal(err)
	}
	s, err := artifact.New(admin.Bucket(), &artifact.Options{Authorizer: authz})
	if err != nil {
		log.Fatal(err)
	}
	ana := rbac.WithSubject(ctx, rbac.Subject{Name: "ana", Groups: []string{"ml"}})
	b, err := s.Get(ana, d.Digest)
	fmt.Printf("get: %q, %v\n", b, err)
	err = s.Delete(ana, d.Digest)
	fmt.Println("delete denied:", errors.Is(err, rbac.ErrDenied))
	_, err = s.Get(ctx, d.Digest)
	fmt.Println("no subject:", errors.Is(err, rbac.ErrNoSubject))
	// Output:
	// get: "weights", <nil>
	// delete denied: true
	// no subject: true
}

// OpenBucket is where every package's state starts: one URL (mem://,
// file://, s3://, gs://, azblob://) with an optional prefix. Relative keys
// are checked once, centrally.
func ExampleOpenBucket() {
	ctx := context.Background()
	b, err := artifact.OpenBucket(ctx, "mem://?prefix=team-a/")
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	if err := b.WriteAll(ctx, "notes/readme.txt", []byte("hello")); err != nil {
		log.Fatal(err)
	}
	data, err := b.ReadAll(ctx, "notes/readme.txt")
	fmt.Printf("%s %v\n", data, err)
	key, _ := b.Key("notes/readme.txt")
	fmt.Println(key)
	_, err = b.Key("../escape")
	fmt.Println(err != nil)
	// Output:
	// hello <nil>
	// team-a/notes/readme.txt
	// true
}

// CreateOnly is the primitive the registries' logs are built on: of two
// writers of one key, exactly one wins.
func ExampleBucket_CreateOnly() {
	ctx := context.Background()
	b, err := artifact.OpenBucket(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	fmt.Println(b.CreateOnly(ctx, "log/00000001.json", []byte(`{"first":true}`)))
	err = b.CreateOnly(ctx, "log/00000001.json", []byte(`{"second":true}`))
	fmt.Println(errors.Is(err, artifact.ErrExist))
	// Output:
	// <nil>
	// true
}

// A digest names content; FromBytes computes one, ParseDigest checks one
// given as text, and ResourceName is how authorizers see it.
func ExampleParseDigest() {
	d := artifact.FromBytes([]byte("model weights"))
	fmt.Println(d.Hex()[:12])
	fmt.Println(d.ResourceName()[:19])
	same, err := artifact.ParseDigest(d.String())
	fmt.Println(same == d, err)
	_, err = artifact.ParseDigest("md5:0cc175b9c0f1b6a831c399e269772661")
	fmt.Println(errors.Is(err, artifact.ErrInvalidDigest))
	// Output:
	// a2d42c4aa884
	// sha256/a2d42c4aa884
	// true <nil>
	// true
}

// ValidateKey rejects the path tricks that have let users of other
// artifact stores read or write outside their directory.
func ExampleValidateKey() {
	for _, key := range []string{"models/fraud/model.onnx", "../etc/passwd", "/abs", `a\b`, "a/%2e%2e/b"} {
		fmt.Printf("%-25q %v\n", key, artifact.ValidateKey(key) == nil)
	}
	// Output:
	// "models/fraud/model.onnx" true
	// "../etc/passwd"           false
	// "/abs"                    false
	// "a\\b"                    false
	// "a/%2e%2e/b"              false
}

// Stat reports sizes without reading the content; Verify re-reads it and
// checks it against its digest.
func ExampleStore_Stat() {
	ctx := context.Background()
	s, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	d, err := s.Put(ctx, strings.NewReader("0123456789"), nil)
	if err != nil {
		log.Fatal(err)
	}
	info, err := s.Stat(ctx, d.Digest)
	fmt.Println(info.Size, info.StoredSize, err)
	fmt.Println(s.Verify(ctx, d.Digest))
	ok, err := s.Exists(ctx, artifact.FromBytes([]byte("other")))
	fmt.Println(ok, err)
	// Output:
	// 10 10 <nil>
	// <nil>
	// false <nil>
}

// Walk lists what the store holds, in digest order.
func ExampleStore_Walk() {
	ctx := context.Background()
	s, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for _, c := range []string{"a", "bb", "ccc"} {
		if _, err := s.Put(ctx, strings.NewReader(c), nil); err != nil {
			log.Fatal(err)
		}
	}
	var total int64
	n := 0
	err = s.Walk(ctx, func(i artifact.Info) error {
		n++
		total += i.Size
		return nil
	})
	fmt.Println(n, total, err)
	// Output:
	// 3 6 <nil>
}

// Collect is GC with the live set taken from the packages that reference
// content (a registry, a dataset store, a tracker, pipeline records), each
// a Referrer; ReferrerFunc adapts a function.
func ExampleStore_Collect() {
	ctx := context.Background()
	s, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	keep, _ := s.Put(ctx, strings.NewReader("referenced"), nil)
	s.Put(ctx, strings.NewReader("orphan"), nil)
	refs := []artifact.Referrer{artifact.ReferrerFunc(func(ctx context.Context, yield func(artifact.Digest) error) error {
		return yield(keep.Digest)
	})}
	later := func() time.Time { return time.Now().Add(48 * time.Hour) }
	st, err := s.Collect(ctx, refs, &artifact.GCOptions{Now: later})
	fmt.Println(st.Scanned, st.Live, st.Deleted, err)
	ok, _ := s.Exists(ctx, keep.Digest)
	fmt.Println(ok)
	// Output:
	// 2 1 1 <nil>
	// true
}
