package rbac

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure an Authorizer. A nil *Options uses every default.
type Options struct {
	// Audit receives every decision taken by Authorize (not by Decide, which
	// stays pure). Default: none. See LogAudit for a *slog.Logger sink.
	Audit func(ctx context.Context, e AuditEvent)
	// Logger receives reload failures. Default: discard.
	Logger *slog.Logger
}

// AuditEvent is one decision, as sent to Options.Audit.
type AuditEvent struct {
	Subject  Subject
	Verb     string
	Resource string
	Name     string
	Scope    string
	Decision Decision
}

// LogAudit returns an audit sink that writes each decision to l: allowed
// requests at Info, denied ones at Warn. A nil l discards them.
func LogAudit(l *slog.Logger) func(context.Context, AuditEvent) {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, e AuditEvent) {
		level := slog.LevelInfo
		if !e.Decision.Allowed {
			level = slog.LevelWarn
		}
		l.LogAttrs(ctx, level, "rbac decision",
			slog.Bool("allowed", e.Decision.Allowed),
			slog.String("reason", e.Decision.String()),
			slog.String("subject_kind", string(e.Subject.kind())),
			slog.String("subject", e.Subject.Name),
			slog.String("verb", e.Verb),
			slog.String("resource", e.Resource),
			slog.String("name", e.Name),
			slog.String("scope", e.Scope),
		)
	}
}

// Authorizer answers requests against a compiled policy. Create it with
// New; the zero value denies everything until Replace or Reload succeeds.
type Authorizer struct {
	cur atomic.Pointer[state]
	// swapMu orders Replace and Reload: a reload reads, compares and swaps
	// under it, so a slow read of older bytes cannot land after a newer
	// policy. Decisions never take it.
	swapMu sync.Mutex
	audit  func(context.Context, AuditEvent)
	logger *slog.Logger
}

type state struct {
	idx    *index
	digest [sha256.Size]byte // of the source bytes; zero for Go values
}

// New compiles p into an Authorizer. The policy is copied; later changes to
// p have no effect.
func New(p *Policy, opts *Options) (*Authorizer, error) {
	if opts == nil {
		opts = &Options{}
	}
	a := &Authorizer{audit: opts.Audit, logger: opts.Logger}
	if p == nil {
		p = &Policy{}
	}
	if err := a.Replace(p); err != nil {
		return nil, err
	}
	return a, nil
}

// Decide answers whether s may do verb on resource name within scope. It
// does not allocate and does not send the decision to the audit sink.
func (a *Authorizer) Decide(s Subject, verb, resource, scope, name string) Decision {
	return a.state().idx.decide(&s, verb, resource, scope, name)
}

// state returns the policy in force; a zero Authorizer has no grants.
func (a *Authorizer) state() *state {
	if st := a.cur.Load(); st != nil {
		return st
	}
	return &state{idx: &index{}}
}

// Authorize answers for the subject and scope carried by ctx (see
// WithSubject, WithScope). It returns nil when the request is allowed, an
// error matching ErrNoSubject when ctx has no subject, and a *DeniedError
// (matching ErrDenied) otherwise; the *DeniedError for a subject whose
// kind is Group or unknown also matches ErrInvalidSubject. Every decision
// goes to the audit sink.
func (a *Authorizer) Authorize(ctx context.Context, verb, resource, name string) error {
	s, _ := SubjectFrom(ctx)
	scope := ScopeFrom(ctx)
	d := a.state().idx.decide(&s, verb, resource, scope, name)
	if a.audit != nil {
		a.audit(ctx, AuditEvent{Subject: s, Verb: verb, Resource: resource, Name: name, Scope: scope, Decision: d})
	}
	switch {
	case d.Allowed:
		return nil
	case d.Reason == ReasonNoSubject:
		return ErrNoSubject
	}
	return &DeniedError{Subject: s, Verb: verb, Resource: resource, Name: name, Scope: scope, Decision: d}
}

// DeniedError is returned by Authorize for a refused request. It matches
// ErrDenied. Its message names the request, not the policy.
type DeniedError struct {
	Subject  Subject
	Verb     string
	Resource string
	Name     string
	Scope    string
	Decision Decision
}

func (e *DeniedError) Error() string {
	msg := fmt.Sprintf("rbac: denied: %s %q may not %s %s", e.Subject.kind(), e.Subject.Name, e.Verb, e.Resource)
	if e.Name != "" {
		msg += fmt.Sprintf(" %q", e.Name)
	}
	if e.Scope != "" {
		msg += fmt.Sprintf(" in scope %q", e.Scope)
	}
	return msg + ": " + e.Decision.Reason.String()
}

// Is makes errors.Is(err, ErrDenied) hold, and errors.Is(err,
// ErrInvalidSubject) too when the subject was refused for its kind.
func (e *DeniedError) Is(target error) bool {
	return target == ErrDenied || target == ErrInvalidSubject && e.Decision.Reason == ReasonInvalidSubject
}

// Policy returns a copy of the policy in force.
func (a *Authorizer) Policy() *Policy { return clonePolicy(&a.state().idx.policy) }

// Replace compiles p and puts it in force in one atomic step. On error the
// policy in force is kept.
func (a *Authorizer) Replace(p *Policy) error {
	a.swapMu.Lock()
	defer a.swapMu.Unlock()
	return a.swap(p, [sha256.Size]byte{})
}

func (a *Authorizer) swap(p *Policy, digest [sha256.Size]byte) error {
	idx, err := compile(clonePolicy(p))
	if err != nil {
		return err
	}
	a.cur.Store(&state{idx: idx, digest: digest})
	return nil
}

// Source is where a policy document is read from: File or Object.
type Source interface {
	// Read returns the document's bytes and a name for error messages.
	Read(ctx context.Context) (name string, data []byte, err error)
}

// ObjectReader reads a whole object. *blob.Bucket from gocloud.dev/blob
// satisfies it.
type ObjectReader interface {
	ReadAll(ctx context.Context, key string) ([]byte, error)
}

// File returns a Source reading the YAML file at path.
func File(path string) Source { return fileSource(path) }

// Object returns a Source reading the object key through r, for example a
// *blob.Bucket.
func Object(r ObjectReader, key string) Source { return objectSource{r, key} }

type fileSource string

func (f fileSource) Read(ctx context.Context) (string, []byte, error) {
	if err := ctx.Err(); err != nil {
		return string(f), nil, err
	}
	b, err := os.ReadFile(string(f))
	if err != nil {
		return string(f), nil, fmt.Errorf("rbac: read policy: %w", err)
	}
	return string(f), b, nil
}

type objectSource struct {
	r   ObjectReader
	key string
}

func (o objectSource) Read(ctx context.Context) (string, []byte, error) {
	if err := ctx.Err(); err != nil {
		return o.key, nil, err // not every driver checks before reading
	}
	b, err := o.r.ReadAll(ctx, o.key)
	if err != nil {
		return o.key, nil, fmt.Errorf("rbac: read policy object %q: %w", o.key, err)
	}
	return o.key, b, nil
}

// Load reads and parses the policy document of src.
func Load(ctx context.Context, src Source) (*Policy, error) {
	name, data, err := src.Read(ctx)
	if err != nil {
		return nil, err
	}
	return Parse(name, data)
}

// Reload reads src and, when its bytes differ from those of the last
// reload, parses and compiles them and puts the result in force in one
// atomic step. It reports whether the policy changed. On any error the
// policy in force is kept, the error is logged and returned. Reload and
// Replace run one at a time, each reading and swapping before the next
// starts, so a slow read cannot put older bytes over a newer policy.
func (a *Authorizer) Reload(ctx context.Context, src Source) (bool, error) {
	a.swapMu.Lock()
	defer a.swapMu.Unlock()
	name, data, err := src.Read(ctx)
	if err == nil {
		digest := sha256.Sum256(data)
		if bytes.Equal(digest[:], a.state().digest[:]) {
			return false, nil
		}
		var p *Policy
		if p, err = Parse(name, data); err == nil {
			if err = a.swap(p, digest); err == nil {
				return true, nil
			}
		}
	}
	logger := a.logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger.LogAttrs(ctx, slog.LevelError, "rbac: reload failed; keeping the policy in force",
		slog.String("source", name), slog.Any("error", err))
	return false, err
}

// Watch reloads src every interval until ctx is done, then returns
// ctx.Err(). Failures are logged and the policy in force is kept. Run it in
// a goroutine you own and cancel ctx to stop it. An interval that is not
// positive is an error.
func (a *Authorizer) Watch(ctx context.Context, src Source, every time.Duration) error {
	if every <= 0 {
		return fmt.Errorf("rbac: watch interval %v is not positive", every)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			_, _ = a.Reload(ctx, src) // logged by Reload
		}
	}
}

func clonePolicy(p *Policy) *Policy {
	out := &Policy{Roles: slices.Clone(p.Roles), Bindings: slices.Clone(p.Bindings)}
	for i := range out.Roles {
		r := &out.Roles[i]
		r.Rules = slices.Clone(r.Rules)
		for j := range r.Rules {
			rule := &r.Rules[j]
			rule.Verbs = slices.Clone(rule.Verbs)
			rule.Resources = slices.Clone(rule.Resources)
			rule.Names = slices.Clone(rule.Names)
		}
	}
	for i := range out.Bindings {
		out.Bindings[i].Subjects = slices.Clone(out.Bindings[i].Subjects)
	}
	return out
}
