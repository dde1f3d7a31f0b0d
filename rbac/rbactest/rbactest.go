// Package rbactest helps test code that asks an rbac authorizer: a real
// authorizer from a literal policy in one call, authorizers that allow or
// deny everything, one that fails, a recorder of the questions asked,
// policies of benchmark sizes, and conformance suites for what users may
// implement themselves: RunConformance (the Authorize contract, and the
// questions each package that takes an authorizer asks, fed in as a
// Consumer), RunAuthenticatorConformance and RunSourceConformance.
package rbactest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/sextant-ml/sextant/rbac"
)

// Authorizer is the contract every package accepting an authorizer
// defines: nil means allowed; refusals match rbac.ErrDenied, a missing
// subject rbac.ErrNoSubject, and the refusal of a subject of kind Group
// (which never makes a request) also rbac.ErrInvalidSubject.
type Authorizer = rbac.Checker

// New compiles a policy written in YAML (see rbac.Parse) into a real
// *rbac.Authorizer. A policy that does not load fails t. When the test
// fails, every decision the authorizer took is logged, to show what was
// asked and why it was answered so.
func New(t testing.TB, policyYAML string) *rbac.Authorizer {
	t.Helper()
	p, err := rbac.Parse("policy.yaml", []byte(policyYAML))
	if err != nil {
		t.Fatalf("rbactest: %v", err)
	}
	var mu sync.Mutex
	var events []rbac.AuditEvent
	a, err := rbac.New(p, &rbac.Options{Audit: func(_ context.Context, e rbac.AuditEvent) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatalf("rbactest: %v", err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, e := range events {
			t.Logf("rbactest: %s %q: %s %s %q scope %q: %v", e.Subject.Kind, e.Subject.Name, e.Verb, e.Resource, e.Name, e.Scope, e.Decision)
		}
	})
	return a
}

// wellFormed returns the refusal for a request outside the vocabulary, or
// nil.
func wellFormed(ctx context.Context, verb, resource, name string) (rbac.Subject, error) {
	s, _ := rbac.SubjectFrom(ctx)
	if err := s.Validate(); errors.Is(err, rbac.ErrNoSubject) {
		return s, err
	}
	reason := rbac.ReasonNoMatch
	switch {
	case s.Validate() != nil:
		reason = rbac.ReasonInvalidSubject
	case !slices.Contains(rbac.Verbs(), verb):
		reason = rbac.ReasonUnknownVerb
	case !slices.Contains(rbac.Resources(), resource):
		reason = rbac.ReasonUnknownResource
	case name != "" && !rbac.ValidName(name):
		reason = rbac.ReasonInvalidName
	default:
		return s, nil
	}
	return s, deny(ctx, s, verb, resource, name, reason)
}

func deny(ctx context.Context, s rbac.Subject, verb, resource, name string, reason rbac.Reason) error {
	return &rbac.DeniedError{Subject: s, Verb: verb, Resource: resource, Name: name, Scope: rbac.ScopeFrom(ctx),
		Decision: rbac.Decision{Reason: reason, Rule: -1}}
}

// AllowAll allows every well-formed request that carries a subject. It
// still refuses unknown verbs and resources, invalid names (default deny)
// and a subject of kind Group or unknown (matching rbac.ErrInvalidSubject
// as well as rbac.ErrDenied), and answers rbac.ErrNoSubject without a
// subject.
type AllowAll struct{}

// Authorize implements Authorizer.
func (AllowAll) Authorize(ctx context.Context, verb, resource, name string) error {
	_, err := wellFormed(ctx, verb, resource, name)
	return err
}

// DenyAll refuses every request: rbac.ErrNoSubject without a subject,
// a *rbac.DeniedError otherwise.
type DenyAll struct{}

// Authorize implements Authorizer.
func (DenyAll) Authorize(ctx context.Context, verb, resource, name string) error {
	s, err := wellFormed(ctx, verb, resource, name)
	if err != nil {
		return err
	}
	return deny(ctx, s, verb, resource, name, rbac.ReasonNoMatch)
}

// ErrInjected is what the zero Fail answers.
var ErrInjected = errors.New("rbactest: injected failure")

// Fail answers every request with Err, to test how code copes with an
// authorizer that cannot decide (a policy store that is down). The zero
// Fail answers ErrInjected, so it never allows.
type Fail struct{ Err error }

// Authorize implements Authorizer.
func (f Fail) Authorize(context.Context, string, string, string) error {
	if f.Err == nil {
		return ErrInjected
	}
	return f.Err
}

// Call is one question asked of a Recorder.
type Call struct {
	Subject  rbac.Subject
	Scope    string
	Verb     string
	Resource string
	Name     string
	Err      error
}

func (c Call) String() string {
	return fmt.Sprintf("%s %q %s %s %q scope %q: %v", c.Subject.Kind, c.Subject.Name, c.Verb, c.Resource, c.Name, c.Scope, c.Err)
}

// Recorder passes questions to Next and records them with their answers,
// so a test can check which permissions the code under test asked for. It
// is safe for concurrent use. The zero Recorder answers as DenyAll.
type Recorder struct {
	// Next answers the questions. Nil: DenyAll.
	Next Authorizer

	mu    sync.Mutex
	calls []Call
}

// Authorize implements Authorizer.
func (r *Recorder) Authorize(ctx context.Context, verb, resource, name string) error {
	next := r.Next
	if next == nil {
		next = DenyAll{}
	}
	err := next.Authorize(ctx, verb, resource, name)
	s, _ := rbac.SubjectFrom(ctx)
	r.mu.Lock()
	r.calls = append(r.calls, Call{Subject: s, Scope: rbac.ScopeFrom(ctx), Verb: verb, Resource: resource, Name: name, Err: err})
	r.mu.Unlock()
	return err
}

// Calls returns the questions asked so far, in order.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}
