package artifact_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/rbac/rbactest"
)

const authzPolicy = `
apiVersion: sextant/v1
kind: Role
metadata: {name: admin}
rules: [{resources: [artifacts], verbs: [get, list, create, delete]}]
---
apiVersion: sextant/v1
kind: Role
metadata: {name: reader}
rules: [{resources: [artifacts], verbs: [get, list]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: admins}
role: admin
subjects: [{kind: User, name: ada}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: readers}
role: reader
subjects: [{kind: User, name: rex}]
`

// noRead fails the test if a denied call reads its content.
type noRead struct{ t *testing.T }

func (r noRead) Read([]byte) (int, error) {
	r.t.Error("content read by a call that was refused")
	return 0, errors.New("read after refusal")
}

// TestAuthorizer checks every operation against the real rbac authorizer:
// the question it asks, that an allowed call works, and that a refused
// call, or one without a subject, returns the authorizer's error and
// changes nothing.
func TestAuthorizer(t *testing.T) {
	t.Parallel()
	stored := []byte("stored content")
	storedDesc := artifact.Descriptor{Digest: artifact.FromBytes(stored), Size: int64(len(stored))}
	fresh := []byte("fresh content")
	freshDesc := artifact.Descriptor{Digest: artifact.FromBytes(fresh), Size: int64(len(fresh))}

	type op struct {
		name  string
		verb  string
		obj   string // the name the authorizer is asked about
		run   func(ctx context.Context, t *testing.T, s *artifact.Store) error
		allow func(t *testing.T, s *artifact.Store) // checks after an allowed call
	}
	want := func(t *testing.T, s *artifact.Store, d artifact.Digest, present bool) {
		t.Helper()
		admin := rbac.WithSubject(context.Background(), rbac.Subject{Name: "ada"})
		ok, err := s.Exists(admin, d)
		if err != nil || ok != present {
			t.Errorf("Exists(%s) = %v, %v; want %v", d, ok, err, present)
		}
	}
	ops := []op{
		{"Open", "get", storedDesc.Digest.ResourceName(), func(ctx context.Context, t *testing.T, s *artifact.Store) error {
			r, err := s.Open(ctx, storedDesc.Digest)
			if err == nil {
				r.Close()
			}
			return err
		}, nil},
		{"Get", "get", storedDesc.Digest.ResourceName(), func(ctx context.Context, t *testing.T, s *artifact.Store) error {
			got, err := s.Get(ctx, storedDesc.Digest)
			if err == nil && string(got) != string(stored) {
				t.Errorf("Get = %q, want %q", got, stored)
			}
			return err
		}, nil},
		{"Verify", "get", storedDesc.Digest.ResourceName(), func(ctx context.Context, t *testing.T, s *artifact.Store) error {
			return s.Verify(ctx, storedDesc.Digest)
		}, nil},
		{"Stat", "get", storedDesc.Digest.ResourceName(), func(ctx context.Context, t *testing.T, s *artifact.Store) error {
			info, err := s.Stat(ctx, storedDesc.Digest)
			if err == nil && info.Size != storedDesc.Size {
				t.Errorf("Stat size = %d, want %d", info.Size, storedDesc.Size)
			}
			return err
		}, nil},
		{"Exists", "get", storedDesc.Digest.ResourceName(), func(ctx context.Context, t *testing.T, s *artifact.Store) error {
			ok, err := s.Exists(ctx, storedDesc.Digest)
			if err == nil && !ok {
				t.Error("Exists = false for stored content")
			}
			return err
		}, nil},
		{"Walk", "list", "", func(ctx context.Context, t *testing.T, s *artifact.Store) error {
			n := 0
			err := s.Walk(ctx, func(artifact.Info) error { n++; return nil })
			if err == nil && n != 1 {
				t.Errorf("Walk visited %d objects, want 1", n)
			}
			return err
		}, nil},
		{"Put", "create", "", func(ctx context.Context, t *testing.T, s *artifact.Store) error {
			if isAllowed(ctx) {
				_, err := s.Put(ctx, strings.NewReader(string(fresh)), nil)
				return err
			}
			_, err := s.Put(ctx, noRead{t}, nil)
			return err
		}, func(t *testing.T, s *artifact.Store) { want(t, s, freshDesc.Digest, true) }},
		{"PutKnown", "create", freshDesc.Digest.ResourceName(), func(ctx context.Context, t *testing.T, s *artifact.Store) error {
			if isAllowed(ctx) {
				_, err := s.PutKnown(ctx, freshDesc, strings.NewReader(string(fresh)))
				return err
			}
			_, err := s.PutKnown(ctx, freshDesc, noRead{t})
			return err
		}, func(t *testing.T, s *artifact.Store) { want(t, s, freshDesc.Digest, true) }},
		{"Delete", "delete", storedDesc.Digest.ResourceName(), func(ctx context.Context, t *testing.T, s *artifact.Store) error {
			return s.Delete(ctx, storedDesc.Digest)
		}, func(t *testing.T, s *artifact.Store) { want(t, s, storedDesc.Digest, false) }},
		{"GC", "delete", "", func(ctx context.Context, t *testing.T, s *artifact.Store) error {
			later := time.Now().Add(time.Hour)
			_, err := s.GC(ctx, func(artifact.Digest) bool { return false },
				&artifact.GCOptions{Grace: time.Minute, Now: func() time.Time { return later }})
			return err
		}, func(t *testing.T, s *artifact.Store) { want(t, s, storedDesc.Digest, false) }},
	}

	subjects := []struct {
		name    string
		subject *rbac.Subject
		allowed map[string]bool // verb -> allowed
		wantErr error
	}{
		{"admin", &rbac.Subject{Name: "ada"}, map[string]bool{"get": true, "list": true, "create": true, "delete": true}, nil},
		{"reader", &rbac.Subject{Name: "rex"}, map[string]bool{"get": true, "list": true}, rbac.ErrDenied},
		{"stranger", &rbac.Subject{Name: "sam"}, nil, rbac.ErrDenied},
		{"no subject", nil, nil, rbac.ErrNoSubject},
	}
	for _, sub := range subjects {
		for _, o := range ops {
			t.Run(sub.name+"/"+o.name, func(t *testing.T) {
				t.Parallel()
				rec := &rbactest.Recorder{Next: rbactest.New(t, authzPolicy)}
				s, err := artifact.Open(context.Background(), "mem://", &artifact.Options{Authorizer: rec})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				admin := rbac.WithSubject(context.Background(), rbac.Subject{Name: "ada"})
				if _, err := s.Put(admin, strings.NewReader(string(stored)), nil); err != nil {
					t.Fatal(err)
				}
				ctx := context.Background()
				allowed := sub.allowed[o.verb]
				if sub.subject != nil {
					ctx = rbac.WithSubject(ctx, *sub.subject)
				}
				ctx = context.WithValue(ctx, allowedKey{}, allowed)
				before := len(rec.Calls())
				err = o.run(ctx, t, s)
				calls := rec.Calls()[before:]
				var asked []string
				for _, c := range calls {
					asked = append(asked, c.Verb+" "+c.Resource+" "+c.Name)
				}
				if diff := cmp.Diff([]string{o.verb + " artifacts " + o.obj}, asked); diff != "" {
					t.Errorf("questions asked (-want +got):\n%s", diff)
				}
				if allowed {
					if err != nil {
						t.Fatalf("allowed call failed: %v", err)
					}
					if o.allow != nil {
						o.allow(t, s)
					}
					return
				}
				if !errors.Is(err, sub.wantErr) {
					t.Fatalf("error %v, want one matching %v", err, sub.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "artifact: ") {
					t.Errorf("error %q is not wrapped by artifact", err)
				}
				// Nothing changed: the stored content is still there and
				// intact, the fresh content was not stored.
				want(t, s, storedDesc.Digest, true)
				want(t, s, freshDesc.Digest, false)
			})
		}
	}
}

type allowedKey struct{}

// isAllowed reports whether the test case expects the call in ctx to be
// allowed.
func isAllowed(ctx context.Context) bool {
	ok, _ := ctx.Value(allowedKey{}).(bool)
	return ok
}

// TestAuthorizerNilAllowsEverything checks that a store without an
// Authorizer needs no subject.
func TestAuthorizerNilAllowsEverything(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := s.Put(ctx, strings.NewReader("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, d.Digest); err != nil {
		t.Fatal(err)
	}
}

// TestAuthorizerNamedRule checks that a rule naming one digest by its
// ResourceName grants that digest and no other.
func TestAuthorizerNamedRule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	one, err := s.Put(ctx, strings.NewReader("one"), nil)
	if err != nil {
		t.Fatal(err)
	}
	two, err := s.Put(ctx, strings.NewReader("two"), nil)
	if err != nil {
		t.Fatal(err)
	}
	authz := rbactest.New(t, `
apiVersion: sextant/v1
kind: Role
metadata: {name: one}
rules: [{resources: [artifacts], verbs: [get], names: ["`+one.Digest.ResourceName()+`"]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: one}
role: one
subjects: [{kind: User, name: una}]
`)
	guarded, err := artifact.New(s.Bucket(), &artifact.Options{Authorizer: authz})
	if err != nil {
		t.Fatal(err)
	}
	uctx := rbac.WithSubject(ctx, rbac.Subject{Name: "una"})
	if got, err := guarded.Get(uctx, one.Digest); err != nil || string(got) != "one" {
		t.Errorf("Get(one) = %q, %v; want \"one\"", got, err)
	}
	if _, err := guarded.Get(uctx, two.Digest); !errors.Is(err, rbac.ErrDenied) {
		t.Errorf("Get(two) error = %v, want a denial", err)
	}
	if want := "sha256/" + one.Digest.Hex(); one.Digest.ResourceName() != want {
		t.Errorf("ResourceName = %q, want %q", one.Digest.ResourceName(), want)
	}
	if got := artifact.Digest("sha256:zz").ResourceName(); got != "" {
		t.Errorf("ResourceName of an invalid digest = %q, want \"\"", got)
	}
}
