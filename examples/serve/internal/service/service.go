// Package service is the model server behind examples/serve: the Open
// Inference Protocol over a router between the versions of a registry
// alias, with metrics, streaming drift, hot reload and rollouts. See the
// command's documentation.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/oip"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/drift"
	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/registry"
)

// ErrConfig reports a configuration the service cannot run with.
var ErrConfig = errors.New("service: invalid configuration")

// Tensor names of the served model.
const (
	InputName  = "input"       // FP32 [rows, features]
	OutputName = "probability" // FP64 [rows]
)

// maxFileBytes bounds a model or profile file read from the registry.
const maxFileBytes = 16 << 20

// Config configures a Service. Registry and Model are required; every other
// field has the default its comment gives.
type Config struct {
	Registry *registry.Registry
	Model    string
	// Alias is the alias served and followed. Default "production".
	Alias string
	// Canary, when set, is rolled out against the alias's version at start:
	// a version number ("2") or an alias ("candidate"). Default: none.
	Canary string
	// Steps are the canary's traffic weights in percent, each followed by
	// an analysis; after the last the canary is promoted and the alias
	// moved to it. Default 10, 50.
	Steps []float64
	// AnalysisInterval is the span of one analysis measurement. Default 30s.
	AnalysisInterval time.Duration
	// AnalysisCount is the number of measurements per analysis. Default 3.
	AnalysisCount int
	// MinSamples is the fewest canary requests a measurement judges on.
	// Default 20.
	MinSamples int
	// WatchInterval is how often the registry is polled for alias moves.
	// Default 1s.
	WatchInterval time.Duration
	// DriftInterval is how often the drift windows are checked and the
	// drift gauges set. Default 10s.
	DriftInterval time.Duration
	// DriftWindow is the number of recent values per feature a drift
	// check compares with the reference profile. Default 1000.
	DriftWindow int
	// Prices enables the cost gauge (see monitor.Prices). Default: off.
	Prices monitor.Prices
	// Timeouts bound the HTTP server (see deploy.ServerTimeouts).
	// Default: deploy's defaults.
	Timeouts *deploy.ServerTimeouts
	// Logger receives the service's events. Default slog.Default().
	Logger *slog.Logger
}

func (c *Config) fill() error {
	if c.Registry == nil || c.Model == "" {
		return fmt.Errorf("%w: a registry and a model name are required", ErrConfig)
	}
	if c.Alias == "" {
		c.Alias = "production"
	}
	if c.Steps == nil {
		c.Steps = []float64{10, 50}
	}
	for _, w := range c.Steps {
		if !(w > 0 && w < 100) {
			return fmt.Errorf("%w: step weight %v outside (0, 100)", ErrConfig, w)
		}
	}
	if c.AnalysisInterval <= 0 {
		c.AnalysisInterval = 30 * time.Second
	}
	if c.AnalysisCount <= 0 {
		c.AnalysisCount = 3
	}
	if c.MinSamples <= 0 {
		c.MinSamples = 20
	}
	if c.WatchInterval <= 0 {
		c.WatchInterval = time.Second
	}
	if c.DriftInterval <= 0 {
		c.DriftInterval = 10 * time.Second
	}
	if c.DriftWindow <= 0 {
		c.DriftWindow = 1000
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

type router = deploy.Router[*oip.InferRequest, *oip.InferResponse]

// Service serves one model alias. Create it with New, serve it with Serve.
type Service struct {
	cfg     Config
	reg     *registry.Registry
	log     *slog.Logger
	prom    *prometheus.Registry
	metrics *monitor.Metrics
	router  *router
	oip     *oip.Handler
	mux     *http.ServeMux
	drift   atomic.Pointer[driftSet]
	// watchFrom is the registry's sequence number taken before the alias
	// was resolved: Serve watches for moves after it, so one made between
	// New and Serve is not missed.
	watchFrom uint64

	mu       sync.Mutex
	features []string // of the version first served; later versions must match
	stable   string
	canary   string // of the rollout in progress, "" when none
	rollout  *rollout.Rollout
	loaded   map[string]bool
}

// driftSet holds one streaming detector per feature of a reference profile.
type driftSet struct {
	features []string
	streams  []*drift.Stream
}

// New loads the version the alias names (and the canary, when set) and
// returns a service ready to Serve. Nothing runs until Serve.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, reg: cfg.Registry, log: cfg.Logger, prom: prometheus.NewRegistry(), loaded: map[string]bool{}}
	s.prom.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var err error
	// One window: the router records every routed prediction into the
	// metrics (requests a version refuses as bad input are rejected, not
	// errors), and the rollout's analysis reads them back. The window
	// holds four analysis intervals in slots of a tenth of one.
	if s.metrics, err = monitor.New(s.prom, &monitor.Options{
		Prices: cfg.Prices,
		Window: 4 * cfg.AnalysisInterval, WindowSlots: 40,
		Classify: func(err error) monitor.Outcome {
			if errors.Is(err, oip.ErrBadRequest) {
				return monitor.OutcomeRejected
			}
			return monitor.Classify(err)
		},
	}); err != nil {
		return nil, err
	}
	if s.router, err = deploy.NewRouter(map[string]oip.InferPredictor{}, &deploy.RouterOptions[*oip.InferResponse]{Model: cfg.Model, Observer: s.metrics}); err != nil {
		return nil, err
	}
	v, err := s.resolve(ctx)
	if err != nil {
		return nil, err
	}
	stable := strconv.Itoa(v.Number)
	if err := s.load(ctx, v, true); err != nil {
		return nil, err
	}
	if err := s.router.Switch(stable); err != nil {
		return nil, err
	}
	s.stable = stable
	s.oip = oip.NewHandler(&oip.HandlerOptions{Name: "sextant-serve", Logger: s.log})
	meta := oip.ModelMetadata{
		Name:     cfg.Model,
		Platform: "sextant-logistic-regression",
		Inputs:   []oip.TensorMeta{{Name: InputName, Datatype: oip.FP32, Shape: []int64{-1, int64(len(s.features))}}},
		Outputs:  []oip.TensorMeta{{Name: OutputName, Datatype: oip.FP64, Shape: []int64{-1}}},
	}
	if err := s.oip.AddRouter(meta, s.router); err != nil {
		return nil, err
	}
	s.mux = http.NewServeMux()
	s.mux.Handle("/v2", s.oip)
	s.mux.Handle("/v2/", s.oip)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.prom, promhttp.HandlerOpts{Registry: s.prom, EnableOpenMetrics: true}))
	s.mux.HandleFunc("GET /rollout", s.serveRollout)
	if cfg.Canary != "" {
		if err := s.prepareRollout(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Handler returns the service's HTTP handler: the protocol under /v2,
// Prometheus metrics at /metrics and the rollout's state at /rollout.
func (s *Service) Handler() http.Handler { return s.mux }

// Metrics returns the service's metrics set.
func (s *Service) Metrics() *monitor.Metrics { return s.metrics }

// Served returns the stable version and the canary ("" when none).
func (s *Service) Served() (stable, canary string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stable, s.canary
}

// load reads version v's model and profile and registers it with the
// router. With asDrift its profile becomes the drift reference.
func (s *Service) load(ctx context.Context, v *registry.Version, asDrift bool) error {
	ref := v.Ref().String()
	b, err := s.readFile(ctx, ref, ModelFile)
	if err != nil {
		return err
	}
	m, err := DecodeModel(b)
	if err != nil {
		return fmt.Errorf("%s: %w", ref, err)
	}
	s.mu.Lock()
	if s.features == nil {
		s.features = slices.Clone(m.Features)
	}
	same := slices.Equal(s.features, m.Features)
	s.mu.Unlock()
	if !same {
		return fmt.Errorf("%w: %s has features %v, the served model %v", ErrConfig, ref, m.Features, s.features)
	}
	if asDrift {
		ds, err := s.driftSet(ctx, ref)
		if err != nil {
			return err
		}
		s.drift.Store(ds)
	}
	version := strconv.Itoa(v.Number)
	if err := s.router.Add(version, s.predictor(version, m)); err != nil {
		return err
	}
	f, _ := v.File(ModelFile)
	s.metrics.SetModelInfo(s.cfg.Model, version, string(f.Digest))
	s.mu.Lock()
	s.loaded[version] = true
	s.mu.Unlock()
	s.log.Info("loaded model version", "model", s.cfg.Model, "version", version, "digest", string(f.Digest))
	return nil
}

func (s *Service) readFile(ctx context.Context, ref, name string) ([]byte, error) {
	rc, err := s.reg.OpenFile(ctx, ref, name)
	if err != nil {
		return nil, fmt.Errorf("service: %s: %w", ref, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("service: %s: %s: %w", ref, name, err)
	}
	if len(b) > maxFileBytes {
		return nil, fmt.Errorf("%w: %s: %s over %d bytes", ErrConfig, ref, name, maxFileBytes)
	}
	return b, nil
}

func (s *Service) driftSet(ctx context.Context, ref string) (*driftSet, error) {
	b, err := s.readFile(ctx, ref, ProfileFile)
	if err != nil {
		return nil, err
	}
	p, err := drift.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("service: %s: %w", ref, err)
	}
	ds := &driftSet{features: s.features}
	for _, f := range s.features {
		st, err := drift.NewStream(p, f, &drift.StreamOptions{Size: s.cfg.DriftWindow})
		if err != nil {
			return nil, fmt.Errorf("service: %s: drift profile: %w", ref, err)
		}
		ds.streams = append(ds.streams, st)
	}
	return ds, nil
}

// predictor serves m as version, instrumented and feeding the drift
// detectors with every row it scores.
func (s *Service) predictor(version string, m *Model) oip.InferPredictor {
	d := len(m.Features)
	f := func(ctx context.Context, req *oip.InferRequest) (*oip.InferResponse, error) {
		in := req.Input(InputName)
		if in == nil || len(in.Shape) != 2 || in.Shape[1] != int64(d) {
			return nil, fmt.Errorf("%w: want input %q of shape [rows, %d]", oip.ErrBadRequest, InputName, d)
		}
		rows := int(in.Shape[0])
		out := make([]float64, rows)
		ds := s.drift.Load()
		for i := range rows {
			x := in.Floats[i*d : (i+1)*d]
			out[i] = m.Predict(x)
			if ds != nil {
				for j, st := range ds.streams {
					st.Observe(x[j])
				}
			}
		}
		return &oip.InferResponse{Outputs: []oip.Tensor{{Name: OutputName, Datatype: oip.FP64, Shape: []int64{int64(rows)}, Floats: out}}}, nil
	}
	// The router records outcome and latency of routed calls
	// (RouterOptions.Observer); the version adds its cost, mean score and
	// predicted class, of every call.
	return monitor.Wrap(s.metrics, s.cfg.Model, version, deploy.PredictorFunc[*oip.InferRequest, *oip.InferResponse](f), &monitor.WrapOptions[*oip.InferResponse]{
		BehindRouter: true,
		Value: func(r *oip.InferResponse) (float64, bool) {
			p := r.Outputs[0].Floats
			if len(p) == 0 {
				return 0, false
			}
			sum := 0.0
			for _, v := range p {
				sum += v
			}
			return sum / float64(len(p)), true
		},
		Class: func(r *oip.InferResponse) string {
			if p := r.Outputs[0].Floats; len(p) > 0 && p[0] >= 0.5 {
				return "positive"
			}
			return "negative"
		},
	})
}

// Serve serves on ln until ctx ends, following the alias, checking drift
// and carrying out the rollout of Config.Canary; then it shuts the server
// down gracefully (waiting up to 10s for requests in flight) and returns.
func (s *Service) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := s.reg.Watch(ctx, s.cfg.Model, &registry.WatchOptions{Interval: s.cfg.WatchInterval, Alias: s.cfg.Alias, After: s.watchFrom})
	if err != nil {
		return err
	}
	srv := deploy.NewServer(ln.Addr().String(), s.mux, s.cfg.Timeouts)
	var wg sync.WaitGroup
	wg.Go(func() {
		for ev := range events {
			s.onAlias(ctx, ev)
		}
	})
	wg.Go(func() { s.checkDrift(ctx) })
	s.mu.Lock()
	ro := s.rollout
	s.mu.Unlock()
	if ro != nil {
		wg.Go(func() { s.runRollout(ctx, ro) })
	}
	wg.Go(func() {
		<-ctx.Done()
		sctx, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = srv.Shutdown(sctx)
	})
	s.log.Info("serving", "addr", ln.Addr().String(), "model", s.cfg.Model, "alias", s.cfg.Alias)
	err = srv.Serve(ln)
	cancel()
	wg.Wait()
	s.router.Close()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// prepareRollout loads the canary and prepares its rollout, which Serve
// runs.
func (s *Service) prepareRollout(ctx context.Context) error {
	ref := s.cfg.Model + "@" + s.cfg.Canary
	if _, err := strconv.Atoi(s.cfg.Canary); err == nil {
		ref = s.cfg.Model + "/" + s.cfg.Canary
	}
	v, err := s.reg.Get(ctx, ref)
	if err != nil {
		return fmt.Errorf("service: canary %s: %w", ref, err)
	}
	canary := strconv.Itoa(v.Number)
	s.mu.Lock()
	stable := s.stable
	s.mu.Unlock()
	if canary == stable {
		s.log.Info("canary already serves the alias; no rollout", "version", canary)
		return nil
	}
	if err := s.load(ctx, v, false); err != nil {
		return err
	}
	analysis := rollout.Analysis{
		Checks: []rollout.Check{
			rollout.ErrorRate{Max: 0.05, MinSamples: int64(s.cfg.MinSamples)},
			rollout.LatencyQuantile{Quantile: 0.99, Max: 500 * time.Millisecond, MinSamples: s.cfg.MinSamples},
		},
		Interval:          s.cfg.AnalysisInterval,
		Count:             s.cfg.AnalysisCount,
		InconclusiveLimit: s.cfg.AnalysisCount - 1,
	}
	var steps []rollout.Step
	for _, w := range s.cfg.Steps {
		steps = append(steps, rollout.SetWeight(w), rollout.Analyze(analysis))
	}
	ro, err := rollout.New(s.router, rollout.Spec{Model: s.cfg.Model, Stable: stable, Canary: canary, Steps: steps}, &rollout.Options{
		Source:  s.metrics, // the window the router's Observer feeds
		Aliases: rollout.NumberedAliases(s.reg),
		Alias:   s.cfg.Alias,
		Metrics: s.metrics,
		Logger:  s.log,
		AfterRollback: func(ctx context.Context, st rollout.State) {
			s.retire(st.Canary)
		},
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.rollout, s.canary = ro, canary
	s.mu.Unlock()
	return nil
}

// resolve reads the version the alias names, and sets watchFrom to the
// log position of that read: taken before and after it until the two
// agree, so that Serve neither misses a move made after the read nor
// replays one the read already saw (which would switch to an older
// version and back). After a few tries on a busy log it keeps the
// position taken before the read: a move is replayed, none is missed.
func (s *Service) resolve(ctx context.Context) (*registry.Version, error) {
	const tries = 5
	for try := 1; ; try++ {
		before, err := s.reg.Seq(ctx, s.cfg.Model)
		if err != nil {
			return nil, fmt.Errorf("service: read the log of %s: %w", s.cfg.Model, err)
		}
		v, err := s.reg.Get(ctx, s.cfg.Model+"@"+s.cfg.Alias)
		if err != nil {
			return nil, fmt.Errorf("service: resolve %s@%s: %w", s.cfg.Model, s.cfg.Alias, err)
		}
		after, err := s.reg.Seq(ctx, s.cfg.Model)
		if err != nil {
			return nil, fmt.Errorf("service: read the log of %s: %w", s.cfg.Model, err)
		}
		if before == after || try == tries {
			s.watchFrom = before
			return v, nil
		}
	}
}

func (s *Service) runRollout(ctx context.Context, ro *rollout.Rollout) {
	st, err := ro.Run(ctx)
	if err != nil && ctx.Err() == nil {
		s.log.Error("rollout stopped", "err", err)
		return
	}
	s.log.Info("rollout ended", "phase", string(st.Phase), "reason", st.Reason)
	if st.Phase.Final() {
		s.mu.Lock()
		s.canary = ""
		s.mu.Unlock()
	}
}

// retire takes a version out of the router and the model-info gauge.
func (s *Service) retire(version string) {
	if err := s.router.Remove(version); err != nil {
		s.log.Warn("version not removed", "version", version, "err", err)
		return
	}
	s.metrics.DeleteModelInfo(s.cfg.Model, version)
	s.mu.Lock()
	delete(s.loaded, version)
	s.mu.Unlock()
	s.log.Info("retired model version", "model", s.cfg.Model, "version", version)
}

// onAlias follows a move of the alias: the new version takes all traffic
// and the versions it replaces are retired. A rollout whose canary is not
// the new version is aborted first.
func (s *Service) onAlias(ctx context.Context, ev registry.AliasEvent) {
	if ev.Version == 0 {
		s.log.Warn("alias deleted; still serving the last version", "alias", ev.Alias)
		return
	}
	next := strconv.Itoa(ev.Version)
	s.mu.Lock()
	stable, canary, ro, have := s.stable, s.canary, s.rollout, s.loaded[next]
	s.mu.Unlock()
	if next == stable {
		return
	}
	if ro != nil && canary != "" && canary != next {
		if err := ro.Abort(ctx, "alias "+s.cfg.Alias+" moved to version "+next); err != nil {
			s.log.Warn("rollout not aborted", "err", err)
		}
	}
	if !have {
		v, err := s.reg.Get(ctx, ev.Model+"/"+next)
		if err == nil {
			err = s.load(ctx, v, false)
		}
		if err != nil {
			s.log.Error("alias moved to a version that cannot be served; serving the previous one", "version", next, "err", err)
			return
		}
	}
	if ds, err := s.driftSet(ctx, ev.Model+"/"+next); err == nil {
		s.drift.Store(ds)
	} else {
		s.log.Warn("keeping the previous drift reference", "version", next, "err", err)
	}
	if err := s.router.Switch(next); err != nil {
		s.log.Error("switch failed", "version", next, "err", err)
		return
	}
	s.mu.Lock()
	s.stable = next
	if s.canary == next {
		s.canary = ""
	}
	var old []string
	for v := range s.loaded {
		if v != next {
			old = append(old, v)
		}
	}
	s.mu.Unlock()
	for _, v := range old {
		s.retire(v)
	}
	s.log.Info("alias moved", "alias", s.cfg.Alias, "version", next, "previous", stable)
}

// checkDrift compares each feature's window with the reference every
// DriftInterval and publishes the verdicts.
func (s *Service) checkDrift(ctx context.Context) {
	t := time.NewTicker(s.cfg.DriftInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ds := s.drift.Load()
		if ds == nil {
			continue
		}
		for i, st := range ds.streams {
			res, err := st.Check()
			if errors.Is(err, drift.ErrEmpty) {
				continue
			}
			if err != nil {
				s.log.Warn("drift check failed", "feature", ds.features[i], "err", err)
				continue
			}
			s.metrics.SetDrift(s.cfg.Model, ds.features[i], string(res.Method), res.Score, res.Drifted)
		}
	}
}

func (s *Service) serveRollout(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	ro := s.rollout
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if ro == nil {
		_, _ = w.Write([]byte("{}\n"))
		return
	}
	_ = json.NewEncoder(w).Encode(ro.State())
}
