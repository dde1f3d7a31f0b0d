package rbactest

import (
	"context"
	"errors"
	"testing"

	"github.com/sextant-ml/sextant/rbac"
)

const conformancePolicy = `apiVersion: sextant/v1
kind: Role
metadata: {name: readers}
rules: [{resources: ["*"], verbs: [get, list]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: readers}
role: readers
subjects: [{kind: Group, name: conformance}]
`

// readers asks what conformancePolicy grants the group conformance.
func readers() Consumer {
	c := Consumer{Name: "readers"}
	for _, r := range rbac.Resources() {
		c.Questions = append(c.Questions, Question{rbac.VerbGet, r}, Question{rbac.VerbList, r})
	}
	return c
}

func TestConformance(t *testing.T) {
	reader := rbac.WithSubject(context.Background(), rbac.Subject{Kind: rbac.User, Name: "conformance-user", Groups: []string{"conformance"}})
	stranger := rbac.WithSubject(context.Background(), rbac.Subject{Kind: rbac.User, Name: "stranger"})
	impls := map[string]struct {
		setup     func(t *testing.T) Setup
		consumers []Consumer
	}{
		"compiled": {func(t *testing.T) Setup {
			return Setup{Authorizer: New(t, conformancePolicy), Allowed: reader, Denied: stranger}
		}, []Consumer{readers()}},
		"compiled-empty": {func(t *testing.T) Setup { return Setup{Authorizer: New(t, ""), Denied: reader} }, nil},
		"allow-all":      {func(*testing.T) Setup { return Setup{Authorizer: AllowAll{}, Allowed: reader} }, nil},
		"deny-all":       {func(*testing.T) Setup { return Setup{Authorizer: DenyAll{}, Denied: reader} }, nil},
		"recorder": {func(t *testing.T) Setup {
			return Setup{Authorizer: &Recorder{Next: New(t, conformancePolicy)}, Allowed: reader, Denied: stranger}
		}, []Consumer{readers()}},
	}
	for name, impl := range impls {
		t.Run(name, func(t *testing.T) { RunConformance(t, impl.setup, impl.consumers...) })
	}
}

func TestAllowDenyAll(t *testing.T) {
	ctx := rbac.WithSubject(context.Background(), rbac.Subject{Name: "u"})
	if err := (AllowAll{}).Authorize(ctx, "promote", "models/aliases", "m"); err != nil {
		t.Errorf("AllowAll refused a well-formed request: %v", err)
	}
	err := (DenyAll{}).Authorize(ctx, "get", "models", "m")
	var de *rbac.DeniedError
	if !errors.As(err, &de) || de.Subject.Name != "u" {
		t.Errorf("DenyAll: %v, want a *rbac.DeniedError naming the subject", err)
	}
	if err := (Fail{}).Authorize(ctx, "get", "models", "m"); err != ErrInjected {
		t.Errorf("zero Fail: %v, want ErrInjected", err)
	}
	var rec Recorder
	if err := rec.Authorize(ctx, "get", "models", "m"); !errors.Is(err, rbac.ErrDenied) {
		t.Errorf("zero Recorder: %v, want a denial", err)
	}
	if calls := rec.Calls(); len(calls) != 1 || calls[0].Verb != "get" || calls[0].Err == nil {
		t.Errorf("zero Recorder recorded %v", calls)
	}
	down := errors.New("store down")
	if err := (Fail{Err: down}).Authorize(ctx, "get", "models", "m"); err != down {
		t.Errorf("Fail: %v", err)
	}
}

func TestSized(t *testing.T) {
	for _, c := range []struct{ roles, resources, users int }{{100, 10, 1000}, {1000, 100, 10000}} {
		p, reqs := Sized(c.roles, c.resources, c.users)
		a, err := rbac.New(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		allowed := 0
		for _, r := range reqs {
			d := a.Decide(r.Subject, r.Verb, r.Resource, r.Scope, r.Name)
			if d.Allowed != r.Allowed {
				t.Errorf("%+v: %v", r, d)
			}
			if d.Allowed {
				allowed++
			}
		}
		if allowed != 8 {
			t.Errorf("%d of 17 requests allowed, want the 8 odd ones", allowed)
		}
	}
	// Fewer users than roles, one resource, tiny sizes: still a valid
	// policy whose expected answers hold.
	for _, c := range []struct{ roles, resources, users int }{{10, 3, 5}, {4, 1, 4}, {1, 1, 1}} {
		p, reqs := Sized(c.roles, c.resources, c.users)
		a, err := rbac.New(p, nil)
		if err != nil {
			t.Fatalf("Sized%v: %v", c, err)
		}
		for _, r := range reqs {
			if d := a.Decide(r.Subject, r.Verb, r.Resource, r.Scope, r.Name); d.Allowed != r.Allowed {
				t.Errorf("Sized%v %+v: %v", c, r, d)
			}
		}
	}
	if p, reqs := Sized(0, 1, 1); len(p.Roles)+len(p.Bindings)+len(reqs) != 0 {
		t.Errorf("Sized(0, 1, 1) = %+v, %v; want nothing", p, reqs)
	}
	p, reqs := FiveRules()
	a, err := rbac.New(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := a.Decide(reqs[0].Subject, reqs[0].Verb, reqs[0].Resource, "", reqs[0].Name); !d.Allowed || d.Binding != "alice-data2_admin" {
		t.Errorf("five rules: %v", d)
	}
}
