package deploy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sextant-ml/sextant/internal/errkind"
)

// Sentinel errors. Every error returned by this package matches one of
// them with errors.Is, or wraps the error of a user-supplied dependency.
var (
	// ErrInvalid reports a bad argument or configuration.
	ErrInvalid = errkind.New("deploy: invalid argument", fs.ErrInvalid)
	// ErrUnknownVersion reports a version the router has no predictor for.
	ErrUnknownVersion = errors.New("deploy: unknown version")
	// ErrNoRoute reports a router whose table sends traffic nowhere.
	ErrNoRoute = errors.New("deploy: no route")
	// ErrClosed reports use of a closed router.
	ErrClosed = errors.New("deploy: router closed")
	// ErrNotRouted reports a direct call (PredictVersion) of a version
	// that carries no routed traffic.
	ErrNotRouted = errors.New("deploy: version carries no routed traffic")
	// ErrInUse reports a Remove of a version the router still needs.
	ErrInUse = errors.New("deploy: version in use")
)

// Predictor is what the router routes between: one model version.
type Predictor[In, Out any] interface {
	Predict(ctx context.Context, in In) (Out, error)
}

// PredictorFunc adapts a function to Predictor.
type PredictorFunc[In, Out any] func(ctx context.Context, in In) (Out, error)

// Predict calls f.
func (f PredictorFunc[In, Out]) Predict(ctx context.Context, in In) (Out, error) { return f(ctx, in) }

// Readier is implemented by predictors that can report readiness; the
// others are always ready.
type Readier interface {
	Ready(ctx context.Context) bool
}

// Attrs gives request attributes that rules match on. http.Header
// satisfies it, so an HTTP request's headers can be passed as they are.
type Attrs interface {
	Get(key string) string
}

// Request carries what routing needs to know about one request.
// The zero value routes at random according to the weights.
type Request struct {
	// Key makes routing sticky: the same key gets the same version for
	// a fixed split. Empty means a random draw per request.
	Key string
	// Cohort is matched by rules with a Cohort set.
	Cohort string
	// Attrs is matched by rules with a Header set; may be nil.
	Attrs Attrs
}

// Target is one version's share of the traffic.
type Target struct {
	Version string
	// Weight is relative to the other targets' weights (percentages are
	// customary). It must be finite and not negative.
	Weight float64
}

// Rule pins matching requests to a version. Rules are tried in order
// before the weighted split; the first match wins. A rule with both a
// header and a cohort set needs both to match.
type Rule struct {
	// Header names an attribute; Value is the exact value it must have.
	Header, Value string
	// Cohort, when set, must equal Request.Cohort.
	Cohort string
	// Version receives the matching requests.
	Version string
}

// Shadow mirrors a share of requests to a version whose answers are
// compared, counted and dropped: they never reach the caller. The shadow
// receives the caller's input value itself, after the primary answered
// and while the caller goes on; when In is a pointer or holds slices or
// maps, neither the shadow version nor the caller may modify it.
type Shadow struct {
	Version string
	// Fraction of requests mirrored, in (0, 1].
	Fraction float64
}

// Mode chooses how the split between targets is made.
type Mode int

const (
	// Weighted splits by the targets' weights (sticky when a key is given).
	Weighted Mode = iota
	// Bandit chooses between the targets by Thompson sampling over the
	// rewards reported with Router.Reward; weights are ignored.
	Bandit
)

// Config is a routing table. Updating a router's config is atomic: a
// request sees either the old table or the new one, never a mixture.
type Config struct {
	Split  []Target
	Rules  []Rule
	Shadow *Shadow
	Mode   Mode
	// Salt is mixed into key hashes. Changing it reshuffles sticky keys;
	// keep it fixed for the life of a deployment. Default "".
	Salt string
}

// Buckets is the number of hash buckets keys are spread over. Weights
// are resolved to whole buckets, a precision of 0.01 percent.
const Buckets = 10000

// Observer receives the outcome of every prediction the router routes
// (not shadow calls, and not direct calls by PredictVersion, which a
// client chooses and so must not weigh in a rollout's analysis).
// *monitor.Metrics satisfies it: its Recorder records into the series of
// the model version, whose window a rollout reads as its Source. The
// router asks for a version's function once, when it registers the
// version, and calls it after every routed prediction with the
// prediction's latency and error.
type Observer interface {
	Recorder(model, version string) func(latency time.Duration, err error)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(model, version string, latency time.Duration, err error)

// Recorder returns a function that calls f for model and version.
func (f ObserverFunc) Recorder(model, version string) func(time.Duration, error) {
	return func(d time.Duration, err error) { f(model, version, d, err) }
}

// ShadowStats counts shadow traffic.
type ShadowStats struct {
	// Sent is the number of shadow calls started; Dropped were skipped
	// because MaxShadowInFlight calls were already running.
	Sent, Dropped uint64
	// Errors are shadow calls that failed (the primary did not).
	Errors uint64
	// Agreed and Disagreed compare shadow answers with the primary's
	// using RouterOptions.Equal; both stay 0 without Equal.
	Agreed, Disagreed uint64
}

// RouterOptions configures a Router. The zero value is usable.
type RouterOptions[Out any] struct {
	// Model names the model the versions belong to, for the observers.
	// Required when Observer or DirectObserver is set.
	Model string
	// Observer receives the outcome of every routed prediction (not of
	// PredictVersion calls: see DirectObserver). Default none.
	Observer Observer
	// MaxShadowInFlight bounds concurrent shadow calls; more are
	// dropped. Default 8.
	MaxShadowInFlight int
	// ShadowTimeout bounds one shadow call. Default 10s.
	ShadowTimeout time.Duration
	// Equal compares a shadow answer with the primary's. Default none:
	// answers are not compared, only errors are counted.
	Equal func(primary, shadow Out) bool
	// Logger receives table changes at debug level. Default discards.
	Logger *slog.Logger
	// DirectAnyVersion lets PredictVersion call any registered version.
	// Default false: PredictVersion serves only versions that carry
	// routed traffic (see PredictVersion).
	DirectAnyVersion bool
	// DirectObserver receives the outcome of every PredictVersion call,
	// kept apart from Observer so that direct calls never reach a
	// rollout's analysis window: it must not be the Observer (NewRouter
	// refuses the same value). With monitor, give it a second
	// *monitor.Metrics: on a registry of its own, or on the same one
	// with const labels that tell the two sets apart (both need the same
	// label names: ConstLabels {"route": "routed"} for the Observer's,
	// {"route": "direct"} for this one). Default none.
	DirectObserver Observer
}

type route[In, Out any] struct {
	version string
	p       Predictor[In, Out]
	arm     *arm                       // bandit state; shared across tables
	rec     func(time.Duration, error) // the Observer's; nil without one
}

// registry is an immutable set of registered versions; Add replaces it
// whole, so that requests naming a version read it without a lock.
type registry[In, Out any] struct {
	versions map[string]*entry[In, Out] // never changed once stored: with stores a new one
	names    []string                   // sorted
}

// entry is one registered version.
type entry[In, Out any] struct {
	p      Predictor[In, Out]
	arm    *arm                       // bandit state; kept when p is replaced
	rec    func(time.Duration, error) // routed calls, to Observer; nil without one
	direct func(time.Duration, error) // direct calls, to DirectObserver; nil without one
}

// route returns the route to e for a split or a rule.
func (e *entry[In, Out]) route(version string) route[In, Out] {
	return route[In, Out]{version: version, p: e.p, arm: e.arm, rec: e.rec}
}

func (g *registry[In, Out]) without(version string) *registry[In, Out] {
	n := &registry[In, Out]{versions: maps.Clone(g.versions)}
	delete(n.versions, version)
	n.names = slices.Sorted(maps.Keys(n.versions))
	return n
}

func (g *registry[In, Out]) with(version string, p Predictor[In, Out], o *RouterOptions[Out]) *registry[In, Out] {
	n := &registry[In, Out]{versions: maps.Clone(g.versions)}
	if n.versions == nil {
		n.versions = map[string]*entry[In, Out]{}
	}
	var e entry[In, Out]
	if old := n.versions[version]; old != nil {
		e = *old
	}
	e.p = p
	if e.arm == nil {
		e.arm = &arm{}
	}
	if o.Observer != nil && e.rec == nil {
		e.rec = o.Observer.Recorder(o.Model, version)
	}
	if o.DirectObserver != nil && e.direct == nil {
		e.direct = o.DirectObserver.Recorder(o.Model, version)
	}
	n.versions[version] = &e
	n.names = slices.Sorted(maps.Keys(n.versions))
	return n
}

// table is an immutable compiled Config.
type table[In, Out any] struct {
	cfg    Config
	routes []route[In, Out]
	// upper[i] is the exclusive upper bucket of routes[i]; cumulative.
	upper      []uint32
	rules      []Rule
	ruleRoutes []int
	shadow     *route[In, Out]
	shadowCut  uint64 // mirror when a draw < shadowCut
	salt       uint64
	// direct holds the versions PredictVersion may call: those that
	// carry routed traffic.
	direct map[string]*entry[In, Out]
}

// carriesTraffic reports whether the table routes requests to version:
// it has a positive weight in the split (any weight in Bandit mode), is
// the split's first target (the stable, or baseline: SetCanary puts
// stable first and Switch makes it the only target), or is the version
// of a rule.
func (t *table[In, Out]) carriesTraffic(version string) bool {
	for i, tg := range t.cfg.Split {
		if tg.Version == version && (i == 0 || tg.Weight > 0 || t.cfg.Mode == Bandit) {
			return true
		}
	}
	for _, rl := range t.cfg.Rules {
		if rl.Version == version {
			return true
		}
	}
	return false
}

// Router routes each request to one of several versions of a predictor.
// Routing reads an immutable table through an atomic pointer, so
// updates never block requests and requests never block updates.
type Router[In, Out any] struct {
	opts    RouterOptions[Out]
	log     *slog.Logger
	tab     atomic.Pointer[table[In, Out]]
	mu      sync.Mutex // serialises updates and registrations
	reg     atomic.Pointer[registry[In, Out]]
	closed  atomic.Bool
	shadowN atomic.Int64
	smu     sync.Mutex // orders wg.Add against Close; guards cancels
	wg      sync.WaitGroup
	cancels map[uint64]context.CancelFunc // of running shadow calls
	nextID  uint64

	sent, dropped, serrs, agreed, disagreed atomic.Uint64
}

// NewRouter returns a router over the given versions with no traffic
// routed yet; call Update (or SetCanary, Switch) to route. opts may be nil.
func NewRouter[In, Out any](versions map[string]Predictor[In, Out], opts *RouterOptions[Out]) (*Router[In, Out], error) {
	r := &Router[In, Out]{}
	if opts != nil {
		r.opts = *opts
	}
	if r.opts.MaxShadowInFlight <= 0 {
		r.opts.MaxShadowInFlight = 8
	}
	if r.opts.ShadowTimeout <= 0 {
		r.opts.ShadowTimeout = 10 * time.Second
	}
	r.log = r.opts.Logger
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if (r.opts.Observer != nil || r.opts.DirectObserver != nil) && r.opts.Model == "" {
		return nil, fmt.Errorf("%w: observers need RouterOptions.Model", ErrInvalid)
	}
	if sameObserver(r.opts.Observer, r.opts.DirectObserver) {
		return nil, fmt.Errorf("%w: the DirectObserver is the Observer: direct calls would reach the analysis window", ErrInvalid)
	}
	reg := &registry[In, Out]{}
	for v, p := range versions {
		if err := validVersion(v); err != nil {
			return nil, err
		}
		if p == nil {
			return nil, fmt.Errorf("%w: nil predictor for version %q", ErrInvalid, v)
		}
		reg = reg.with(v, p, &r.opts)
	}
	r.reg.Store(reg)
	r.cancels = map[uint64]context.CancelFunc{}
	r.tab.Store(&table[In, Out]{})
	return r, nil
}

// sameObserver reports whether a and b are one comparable value.
func sameObserver(a, b Observer) bool {
	// == on two interfaces panics only when both hold one type that is
	// not comparable; values of different types are simply unequal.
	if a == nil || b == nil || !reflect.TypeOf(a).Comparable() {
		return false
	}
	return a == b
}

func validVersion(v string) error {
	if v == "" || len(v) > 128 {
		return fmt.Errorf("%w: version name %q must have 1 to 128 bytes", ErrInvalid, v)
	}
	return nil
}

// Add registers (or replaces) the predictor of a version. Replacing the
// predictor of a routed version takes effect for new requests at once.
func (r *Router[In, Out]) Add(version string, p Predictor[In, Out]) error {
	if err := validVersion(version); err != nil {
		return err
	}
	if p == nil {
		return fmt.Errorf("%w: nil predictor for version %q", ErrInvalid, version)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reg.Store(r.reg.Load().with(version, p, &r.opts))
	cur := r.tab.Load()
	if len(cur.cfg.Split) == 0 {
		return nil // nothing routed yet
	}
	t, err := r.compile(cur.cfg)
	if err != nil {
		return err
	}
	r.tab.Store(t)
	return nil
}

// Remove unregisters a version. It fails with ErrUnknownVersion for a
// version that is not registered, and with ErrInUse when the router
// still needs it: it is the only registered version, the first target
// of the split in force (the stable: SetCanary puts stable first, Switch
// makes its version the only target), has a positive weight (or any
// weight in Bandit mode), or is named by a rule or the shadow. A
// version left in the split with weight 0 (a rolled-back canary) is
// taken out of the split. Requests already running on the version
// finish; new ones can no longer reach it, PredictVersion included.
// After a promotion (stable at 0, canary at 100), Switch to the new
// version before removing the old one.
func (r *Router[In, Out]) Remove(version string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	reg := r.reg.Load()
	if _, ok := reg.versions[version]; !ok {
		return fmt.Errorf("%w: %q", ErrUnknownVersion, version)
	}
	if len(reg.versions) == 1 {
		return fmt.Errorf("%w: %q is the only version", ErrInUse, version)
	}
	cur := r.tab.Load()
	cfg := cloneConfig(cur.cfg)
	if len(cfg.Split) > 0 && cfg.Split[0].Version == version {
		return fmt.Errorf("%w: %q is the stable version (first in the split)", ErrInUse, version)
	}
	if cur.carriesTraffic(version) {
		return fmt.Errorf("%w: %q carries routed traffic", ErrInUse, version)
	}
	if cfg.Shadow != nil && cfg.Shadow.Version == version {
		return fmt.Errorf("%w: %q receives shadow traffic", ErrInUse, version)
	}
	cfg.Split = slices.DeleteFunc(cfg.Split, func(tg Target) bool { return tg.Version == version })
	r.reg.Store(reg.without(version))
	if len(cur.cfg.Split) == 0 {
		return nil // nothing routed
	}
	t, err := r.compile(cfg)
	if err != nil {
		r.reg.Store(reg) // cannot happen: the version carried nothing
		return err
	}
	r.tab.Store(t)
	r.log.Debug("deploy: version removed", "version", version)
	return nil
}

// Versions lists the registered versions, sorted.
func (r *Router[In, Out]) Versions() []string {
	return slices.Clone(r.reg.Load().names)
}

// Has reports whether version is registered. It takes no lock and
// allocates nothing, unlike a search of Versions.
func (r *Router[In, Out]) Has(version string) bool {
	_, ok := r.reg.Load().versions[version]
	return ok
}

// Config returns a copy of the routing table in force.
func (r *Router[In, Out]) Config() Config {
	return cloneConfig(r.tab.Load().cfg)
}

func cloneConfig(c Config) Config {
	c.Split = slices.Clone(c.Split)
	c.Rules = slices.Clone(c.Rules)
	if c.Shadow != nil {
		s := *c.Shadow
		c.Shadow = &s
	}
	return c
}

// Update validates cfg and makes it the routing table atomically.
func (r *Router[In, Out]) Update(cfg Config) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, err := r.compile(cloneConfig(cfg))
	if err != nil {
		return err
	}
	r.tab.Store(t)
	r.log.Debug("deploy: routing table updated", "split", cfg.Split, "rules", len(cfg.Rules), "mode", cfg.Mode)
	return nil
}

// SetCanary routes percent (0 to 100) of the weighted traffic to canary
// and the rest to stable, keeping the rules, shadow and salt in force.
// With keys, raising percent only moves keys from stable to canary.
func (r *Router[In, Out]) SetCanary(stable, canary string, percent float64) error {
	if !(percent >= 0 && percent <= 100) {
		return fmt.Errorf("%w: canary percent %v not in [0, 100]", ErrInvalid, percent)
	}
	return r.modify(func(c *Config) {
		c.Mode = Weighted
		if stable == canary {
			c.Split = []Target{{Version: stable, Weight: 100}}
			return
		}
		c.Split = []Target{{Version: stable, Weight: 100 - percent}, {Version: canary, Weight: percent}}
	})
}

// Switch sends all weighted traffic to version at once (a blue/green
// switch), keeping the rules and shadow in force.
func (r *Router[In, Out]) Switch(version string) error {
	return r.modify(func(c *Config) {
		c.Mode = Weighted
		c.Split = []Target{{Version: version, Weight: 100}}
	})
}

func (r *Router[In, Out]) modify(f func(*Config)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cfg := cloneConfig(r.tab.Load().cfg)
	f(&cfg)
	t, err := r.compile(cfg)
	if err != nil {
		return err
	}
	r.tab.Store(t)
	return nil
}

// compile builds an immutable table; r.mu must be held.
func (r *Router[In, Out]) compile(cfg Config) (*table[In, Out], error) {
	t := &table[In, Out]{cfg: cfg, salt: hashString(fnvOffset, cfg.Salt)}
	reg := r.reg.Load()
	var total float64
	seen := map[string]bool{}
	for _, tg := range cfg.Split {
		if seen[tg.Version] {
			return nil, fmt.Errorf("%w: version %q appears twice in the split", ErrInvalid, tg.Version)
		}
		seen[tg.Version] = true
		if math.IsNaN(tg.Weight) || math.IsInf(tg.Weight, 0) || tg.Weight < 0 {
			return nil, fmt.Errorf("%w: weight %v of version %q", ErrInvalid, tg.Weight, tg.Version)
		}
		total += tg.Weight
	}
	if len(cfg.Split) == 0 || total <= 0 {
		return nil, fmt.Errorf("%w: the split has no positive weight", ErrNoRoute)
	}
	if math.IsInf(total, 0) {
		return nil, fmt.Errorf("%w: the split's weights add up beyond a float64", ErrInvalid)
	}
	var cum float64
	for _, tg := range cfg.Split {
		e, ok := reg.versions[tg.Version]
		if !ok {
			return nil, fmt.Errorf("%w: %q", ErrUnknownVersion, tg.Version)
		}
		cum += tg.Weight
		t.routes = append(t.routes, e.route(tg.Version))
		t.upper = append(t.upper, uint32(math.Round(cum/total*Buckets)))
	}
	t.upper[len(t.upper)-1] = Buckets
	for _, rl := range cfg.Rules {
		if rl.Header == "" && rl.Cohort == "" {
			return nil, fmt.Errorf("%w: rule for %q matches nothing: set Header or Cohort", ErrInvalid, rl.Version)
		}
		e, ok := reg.versions[rl.Version]
		if !ok {
			return nil, fmt.Errorf("%w: rule version %q", ErrUnknownVersion, rl.Version)
		}
		t.rules = append(t.rules, rl)
		t.ruleRoutes = append(t.ruleRoutes, len(t.routes))
		t.routes = append(t.routes, e.route(rl.Version))
	}
	if s := cfg.Shadow; s != nil {
		if !(s.Fraction > 0 && s.Fraction <= 1) {
			return nil, fmt.Errorf("%w: shadow fraction %v not in (0, 1]", ErrInvalid, s.Fraction)
		}
		e, ok := reg.versions[s.Version]
		if !ok {
			return nil, fmt.Errorf("%w: shadow version %q", ErrUnknownVersion, s.Version)
		}
		t.shadow = &route[In, Out]{version: s.Version, p: e.p}
		t.shadowCut = uint64(s.Fraction * (1 << 53))
		if s.Fraction == 1 {
			t.shadowCut = 1 << 53
		}
	}
	switch cfg.Mode {
	case Weighted, Bandit:
	default:
		return nil, fmt.Errorf("%w: mode %d", ErrInvalid, cfg.Mode)
	}
	t.direct = map[string]*entry[In, Out]{}
	for _, rt := range t.routes {
		if t.carriesTraffic(rt.version) {
			t.direct[rt.version] = reg.versions[rt.version]
		}
	}
	return t, nil
}

// Route returns the version req would be served by, without serving it.
// It does not allocate.
func (r *Router[In, Out]) Route(req Request) (string, error) {
	t := r.tab.Load()
	i := t.pick(&req)
	if i < 0 {
		return "", ErrNoRoute
	}
	return t.routes[i].version, nil
}

func (t *table[In, Out]) pick(req *Request) int {
	if len(t.routes) == 0 {
		return -1
	}
	for i := range t.rules {
		rl := &t.rules[i]
		if rl.Cohort != "" && rl.Cohort != req.Cohort {
			continue
		}
		if rl.Header != "" && (req.Attrs == nil || req.Attrs.Get(rl.Header) != rl.Value) {
			continue
		}
		return t.ruleRoutes[i]
	}
	if t.cfg.Mode == Bandit {
		return t.thompson()
	}
	var b uint32
	if req.Key != "" {
		b = bucketOf(t.salt, req.Key)
	} else {
		b = uint32((rand.Uint64() >> 32) * Buckets >> 32)
	}
	for i, u := range t.upper {
		if b < u {
			return i
		}
	}
	return len(t.upper) - 1
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// bucketOf maps a key to a bucket in [0, Buckets): FNV-1a over the salt
// and the key, finished with a 64-bit mixer so that similar keys spread.
func bucketOf(salt uint64, key string) uint32 {
	h := hashString(salt^0x9e3779b97f4a7c15, key)
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return uint32((h >> 32) * Buckets >> 32)
}

// Predict serves in with the version routing chooses, so that a Router
// is itself a Predictor: it can be wrapped (monitor.Wrap), served
// (oip.Handler.Add) or routed to by another router. It routes by the
// Request that WithRequest put in ctx, or as the zero Request (a random
// draw by the weights) when there is none. Use Serve to learn which
// version answered.
func (r *Router[In, Out]) Predict(ctx context.Context, in In) (Out, error) {
	req, _ := ctx.Value(requestKey{}).(*Request)
	if req == nil {
		req = &Request{}
	}
	out, _, err := r.serve(ctx, req, in, true, nil)
	return out, err
}

// Serve serves in with the version routing chooses for req, and returns
// that version with the answer (also on error). A configured shadow may
// receive a copy of in afterwards; its answer is never returned and its
// latency is never added to the caller's.
func (r *Router[In, Out]) Serve(ctx context.Context, req Request, in In) (out Out, version string, err error) {
	return r.serve(ctx, &req, in, true, nil)
}

type requestKey struct{}

// WithRequest returns a context that carries req to Router.Predict, for
// a router called through the Predictor interface (wrapped, or behind
// another router) that should still route by key, cohort or attributes.
func WithRequest(ctx context.Context, req Request) context.Context {
	return context.WithValue(ctx, requestKey{}, &req)
}

// serve routes and calls; before, when not nil, learns the version just
// before it is called.
func (r *Router[In, Out]) serve(ctx context.Context, req *Request, in In, shadow bool, before func(version string)) (Out, string, error) {
	var zero Out
	if r.closed.Load() {
		return zero, "", ErrClosed
	}
	t := r.tab.Load()
	i := t.pick(req)
	if i < 0 {
		return zero, "", ErrNoRoute
	}
	rt := &t.routes[i]
	if before != nil {
		before(rt.version)
	}
	var start time.Time
	if rt.rec != nil {
		start = time.Now()
	}
	out, err := rt.p.Predict(ctx, in)
	if rt.rec != nil {
		rt.rec(time.Since(start), err)
	}
	if shadow && t.shadow != nil && t.shadow.version != rt.version && rand.Uint64()>>11 < t.shadowCut {
		r.mirror(t.shadow, in, out, err)
	}
	return out, rt.version, err
}

// PredictVersion serves in with the named version directly, bypassing
// the weights (for callers that ask for a version explicitly). By
// default it serves only a version that carries routed traffic in the
// table in force: a positive weight (any weight in Bandit mode), the
// first target of the split (the stable), or a rule's version; any
// other registered version, such as a canary at weight 0, one rolled
// back or one switched away from, fails with ErrNotRouted, so a caller
// cannot reach what routing has withdrawn. RouterOptions.DirectAnyVersion
// lifts this. Direct calls are never given to RouterOptions.Observer
// (they would let a caller steer a rollout's analysis); they go to
// RouterOptions.DirectObserver.
func (r *Router[In, Out]) PredictVersion(ctx context.Context, version string, in In) (Out, error) {
	var zero Out
	if r.closed.Load() {
		return zero, ErrClosed
	}
	var e *entry[In, Out]
	if r.opts.DirectAnyVersion {
		e = r.reg.Load().versions[version]
	} else if e = r.tab.Load().direct[version]; e == nil && r.Has(version) {
		return zero, fmt.Errorf("%w: %q", ErrNotRouted, version)
	}
	if e == nil {
		return zero, fmt.Errorf("%w: %q", ErrUnknownVersion, version)
	}
	if e.direct == nil {
		return e.p.Predict(ctx, in)
	}
	start := time.Now()
	out, err := e.p.Predict(ctx, in)
	e.direct(time.Since(start), err)
	return out, err
}

func (r *Router[In, Out]) mirror(s *route[In, Out], in In, primary Out, perr error) {
	if r.shadowN.Add(1) > int64(r.opts.MaxShadowInFlight) {
		r.shadowN.Add(-1)
		r.dropped.Add(1)
		return
	}
	// The call gets a context of its own: the caller's may end as soon as
	// Predict returns. Close cancels it.
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.ShadowTimeout)
	r.smu.Lock()
	if r.closed.Load() {
		r.smu.Unlock()
		cancel()
		r.shadowN.Add(-1)
		return
	}
	id := r.nextID
	r.nextID++
	r.cancels[id] = cancel
	r.wg.Add(1)
	r.smu.Unlock()
	r.sent.Add(1)
	go func() {
		defer r.wg.Done()
		defer r.shadowN.Add(-1)
		out, err := s.p.Predict(ctx, in)
		r.smu.Lock()
		delete(r.cancels, id)
		closing := r.closed.Load()
		r.smu.Unlock()
		cancel()
		switch {
		case err != nil:
			if perr == nil && !closing { // not cancelled by Close
				r.serrs.Add(1)
			}
		case perr == nil && r.opts.Equal != nil:
			if r.opts.Equal(primary, out) {
				r.agreed.Add(1)
			} else {
				r.disagreed.Add(1)
			}
		}
	}()
}

// Ready reports whether the router routes somewhere and every version
// it routes to that implements Readier is ready. A Router is a Readier.
func (r *Router[In, Out]) Ready(ctx context.Context) bool {
	t := r.tab.Load()
	for _, rt := range t.routes {
		if rd, ok := rt.p.(Readier); ok && !rd.Ready(ctx) {
			return false
		}
	}
	return len(t.routes) > 0 && !r.closed.Load()
}

// ShadowStats returns the shadow counters since the router was made.
func (r *Router[In, Out]) ShadowStats() ShadowStats {
	return ShadowStats{
		Sent: r.sent.Load(), Dropped: r.dropped.Load(), Errors: r.serrs.Load(),
		Agreed: r.agreed.Load(), Disagreed: r.disagreed.Load(),
	}
}

// Close stops new predictions, cancels running shadow calls and waits
// for them to return.
func (r *Router[In, Out]) Close() error {
	r.smu.Lock()
	r.closed.Store(true)
	for _, cancel := range r.cancels {
		cancel()
	}
	r.smu.Unlock()
	r.wg.Wait()
	return nil
}
