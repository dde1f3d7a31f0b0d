package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
)

// InferRequest is an Open Inference Protocol v2 inference request.
type InferRequest struct {
	ID         string            `json:"id,omitempty"`
	Parameters map[string]any    `json:"parameters,omitempty"`
	Inputs     []Tensor          `json:"inputs"`
	Outputs    []RequestedOutput `json:"outputs,omitempty"`
}

// RequestedOutput names an output the client wants.
type RequestedOutput struct {
	Name       string         `json:"name"`
	Parameters map[string]any `json:"parameters,omitempty"`
}

// Input returns the input tensor called name, or nil.
func (r *InferRequest) Input(name string) *Tensor {
	for i := range r.Inputs {
		if r.Inputs[i].Name == name {
			return &r.Inputs[i]
		}
	}
	return nil
}

// InferResponse is an Open Inference Protocol v2 inference response.
type InferResponse struct {
	ModelName    string         `json:"model_name"`
	ModelVersion string         `json:"model_version,omitempty"`
	ID           string         `json:"id,omitempty"`
	Parameters   map[string]any `json:"parameters,omitempty"`
	Outputs      []Tensor       `json:"outputs"`
}

// DecodeInferRequest reads and validates one inference request of at
// most maxBytes bytes (maxBytes <= 0 means 32 MiB). Every error matches
// ErrBadRequest.
func DecodeInferRequest(r io.Reader, maxBytes int64) (*InferRequest, error) {
	if maxBytes <= 0 {
		maxBytes = 32 << 20
	}
	b, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading body: %w", ErrBadRequest, err)
	}
	if int64(len(b)) > maxBytes {
		return nil, fmt.Errorf("%w: body larger than %d bytes", ErrBadRequest, maxBytes)
	}
	var req InferRequest
	if err := json.Unmarshal(b, &req); err != nil {
		if errors.Is(err, ErrBadRequest) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if len(req.Inputs) == 0 {
		return nil, fmt.Errorf("%w: no inputs", ErrBadRequest)
	}
	seen := map[string]bool{}
	for _, t := range req.Inputs {
		if seen[t.Name] {
			return nil, fmt.Errorf("%w: input %q appears twice", ErrBadRequest, t.Name)
		}
		seen[t.Name] = true
	}
	for _, o := range req.Outputs {
		if o.Name == "" {
			return nil, fmt.Errorf("%w: requested output without a name", ErrBadRequest)
		}
	}
	return &req, nil
}

// TensorMeta describes a model input or output. A dimension of -1
// accepts any size.
type TensorMeta struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

// ModelMetadata describes a served model.
type ModelMetadata struct {
	Name string `json:"name"`
	// Versions the model answers to under /versions/{v}; empty means any.
	Versions []string     `json:"versions,omitempty"`
	Platform string       `json:"platform"`
	Inputs   []TensorMeta `json:"inputs"`
	Outputs  []TensorMeta `json:"outputs"`
}

// check validates a request against the declared inputs (when declared).
func (m *ModelMetadata) check(req *InferRequest) error {
	if len(m.Inputs) == 0 {
		return nil
	}
	for _, in := range req.Inputs {
		i := slices.IndexFunc(m.Inputs, func(d TensorMeta) bool { return d.Name == in.Name })
		if i < 0 {
			return fmt.Errorf("%w: model %q has no input %q", ErrBadRequest, m.Name, in.Name)
		}
		d := m.Inputs[i]
		if d.Datatype != in.Datatype {
			return fmt.Errorf("%w: input %q is %s, model %q wants %s", ErrBadRequest, in.Name, in.Datatype, m.Name, d.Datatype)
		}
		ok := len(d.Shape) == len(in.Shape)
		for j := 0; ok && j < len(d.Shape); j++ {
			ok = d.Shape[j] < 0 || d.Shape[j] == in.Shape[j]
		}
		if !ok {
			return fmt.Errorf("%w: input %q has shape %v, model %q wants %v", ErrBadRequest, in.Name, in.Shape, m.Name, d.Shape)
		}
	}
	for _, d := range m.Inputs {
		if req.Input(d.Name) == nil {
			return fmt.Errorf("%w: input %q of model %q is missing", ErrBadRequest, d.Name, m.Name)
		}
	}
	return nil
}

// Readier is implemented by predictors that can report readiness; the
// others are always ready.
type Readier interface {
	Ready(ctx context.Context) bool
}

// ServedVersionHeader is the response header naming the version that
// answered an inference request.
const ServedVersionHeader = "Sextant-Served-Version"

// Request headers the handler routes on (with every other header
// available to header rules).
const (
	RouteKeyHeader = "Sextant-Route-Key"
	CohortHeader   = "Sextant-Cohort"
)

// InferPredictor is a model the handler can serve.
type InferPredictor = Predictor[*InferRequest, *InferResponse]

type servedModel struct {
	meta   ModelMetadata
	ready  func(ctx context.Context) bool
	infer  func(ctx context.Context, r *http.Request, version string, req *InferRequest) (*InferResponse, string, error)
	router *Router[*InferRequest, *InferResponse]
}

// HandlerOptions configures a Handler. The zero value is usable.
type HandlerOptions struct {
	// Name and Version are reported by GET /v2. Default "sextant" and "".
	Name, Version string
	// MaxBodyBytes bounds a request body. Default 32 MiB.
	MaxBodyBytes int64
	// Logger receives failed inferences at warn level. Default discards.
	Logger *slog.Logger
}

// Handler serves models over the Open Inference Protocol v2 REST API:
//
//	GET  /v2/health/live, /v2/health/ready, /v2
//	GET  /v2/models/{name}[/versions/{v}]          model metadata
//	GET  /v2/models/{name}[/versions/{v}]/ready    model readiness
//	POST /v2/models/{name}[/versions/{v}]/infer    inference
//
// Errors are JSON objects {"error": "..."}: 400 for malformed requests,
// 404 for unknown models or versions, 413 for bodies over the limit, 500
// when the predictor fails, 503 when it is not ready.
type Handler struct {
	opts HandlerOptions
	log  *slog.Logger
	mux  *http.ServeMux

	mu     sync.RWMutex
	models map[string]*servedModel
}

// NewHandler returns a handler serving no models yet. opts may be nil.
func NewHandler(opts *HandlerOptions) *Handler {
	h := &Handler{mux: http.NewServeMux(), models: map[string]*servedModel{}}
	if opts != nil {
		h.opts = *opts
	}
	if h.opts.Name == "" {
		h.opts.Name = "sextant"
	}
	if h.opts.MaxBodyBytes <= 0 {
		h.opts.MaxBodyBytes = 32 << 20
	}
	h.log = h.opts.Logger
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.mux.HandleFunc("GET /v2/health/live", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]bool{"live": true})
	})
	h.mux.HandleFunc("GET /v2/health/ready", h.serverReady)
	h.mux.HandleFunc("GET /v2", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"name": h.opts.Name, "version": h.opts.Version, "extensions": []string{}})
	})
	for _, prefix := range []string{"/v2/models/{name}", "/v2/models/{name}/versions/{version}"} {
		h.mux.HandleFunc("GET "+prefix, h.metadata)
		h.mux.HandleFunc("GET "+prefix+"/ready", h.modelReady)
		h.mux.HandleFunc("POST "+prefix+"/infer", h.infer)
		h.mux.HandleFunc(prefix, wrongMethod("GET"))
		h.mux.HandleFunc(prefix+"/ready", wrongMethod("GET"))
		h.mux.HandleFunc(prefix+"/infer", wrongMethod("POST"))
	}
	for _, p := range []string{"/v2", "/v2/health/live", "/v2/health/ready"} {
		h.mux.HandleFunc(p, wrongMethod("GET"))
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("deploy: no endpoint %s %s", r.Method, r.URL.Path))
	})
	return h
}

// Add serves p as the model meta.Name (replacing any model of that name).
// If p implements Readier, readiness asks it.
func (h *Handler) Add(meta ModelMetadata, p InferPredictor) error {
	if meta.Name == "" || p == nil {
		return fmt.Errorf("%w: a served model needs a name and a predictor", ErrInvalid)
	}
	m := &servedModel{meta: meta, ready: readiness(p)}
	m.infer = func(ctx context.Context, _ *http.Request, version string, req *InferRequest) (*InferResponse, string, error) {
		out, err := p.Predict(ctx, req)
		return out, version, err
	}
	h.put(m)
	return nil
}

// AddRouter serves the model meta.Name through r: each request is routed
// by its Sextant-Route-Key and Sextant-Cohort headers and the router's
// header rules; a /versions/{v} path calls that version directly. The
// version that answered is returned in the Sextant-Served-Version header
// and as model_version. The model is ready when every routed version is.
func (h *Handler) AddRouter(meta ModelMetadata, r *Router[*InferRequest, *InferResponse]) error {
	if meta.Name == "" || r == nil {
		return fmt.Errorf("%w: a served model needs a name and a router", ErrInvalid)
	}
	m := &servedModel{meta: meta, router: r}
	m.ready = func(ctx context.Context) bool {
		for _, rt := range r.tab.Load().routes {
			if rd, ok := rt.p.(Readier); ok && !rd.Ready(ctx) {
				return false
			}
		}
		return len(r.tab.Load().routes) > 0
	}
	m.infer = func(ctx context.Context, hr *http.Request, version string, req *InferRequest) (*InferResponse, string, error) {
		if version != "" {
			out, err := r.PredictVersion(ctx, version, req)
			return out, version, err
		}
		return r.Predict(ctx, Request{Key: hr.Header.Get(RouteKeyHeader), Cohort: hr.Header.Get(CohortHeader), Attrs: hr.Header}, req)
	}
	h.put(m)
	return nil
}

func readiness(p any) func(context.Context) bool {
	if rd, ok := p.(Readier); ok {
		return rd.Ready
	}
	return func(context.Context) bool { return true }
}

func (h *Handler) put(m *servedModel) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.models[m.meta.Name] = m
}

// Remove stops serving a model.
func (h *Handler) Remove(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.models, name)
}

// ServeHTTP serves the protocol.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// lookup finds the model and checks the version of the path.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request) (*servedModel, string, bool) {
	name, version := r.PathValue("name"), r.PathValue("version")
	h.mu.RLock()
	m := h.models[name]
	h.mu.RUnlock()
	if m == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("deploy: unknown model %q", name))
		return nil, "", false
	}
	if version != "" {
		known := len(m.meta.Versions) == 0 || slices.Contains(m.meta.Versions, version)
		if m.router != nil {
			known = m.router.has(version)
		}
		if !known {
			writeError(w, http.StatusNotFound, fmt.Sprintf("deploy: model %q has no version %q", name, version))
			return nil, "", false
		}
	}
	return m, version, true
}

func (h *Handler) serverReady(w http.ResponseWriter, r *http.Request) {
	h.mu.RLock()
	models := make([]*servedModel, 0, len(h.models))
	for _, m := range h.models {
		models = append(models, m)
	}
	h.mu.RUnlock()
	for _, m := range models {
		if !m.ready(r.Context()) {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "error": fmt.Sprintf("deploy: model %q is not ready", m.meta.Name)})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ready": true})
}

func (h *Handler) metadata(w http.ResponseWriter, r *http.Request) {
	m, _, ok := h.lookup(w, r)
	if !ok {
		return
	}
	meta := m.meta
	if m.router != nil && len(meta.Versions) == 0 {
		meta.Versions = m.router.Versions()
	}
	if meta.Inputs == nil {
		meta.Inputs = []TensorMeta{}
	}
	if meta.Outputs == nil {
		meta.Outputs = []TensorMeta{}
	}
	writeJSON(w, http.StatusOK, meta)
}

func (h *Handler) modelReady(w http.ResponseWriter, r *http.Request) {
	m, _, ok := h.lookup(w, r)
	if !ok {
		return
	}
	code := http.StatusOK
	ready := m.ready(r.Context())
	if !ready {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"name": m.meta.Name, "ready": ready})
}

func (h *Handler) infer(w http.ResponseWriter, r *http.Request) {
	m, version, ok := h.lookup(w, r)
	if !ok {
		return
	}
	req, err := DecodeInferRequest(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes), h.opts.MaxBodyBytes)
	if err != nil {
		code := http.StatusBadRequest
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			code = http.StatusRequestEntityTooLarge
		}
		writeError(w, code, err.Error())
		return
	}
	if err := m.meta.check(req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	out, served, err := m.infer(r.Context(), r, version, req)
	if served != "" {
		w.Header().Set(ServedVersionHeader, served)
	}
	switch {
	case errors.Is(err, ErrBadRequest) || errors.Is(err, ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case errors.Is(err, ErrNoRoute) || errors.Is(err, ErrClosed):
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	case err != nil:
		h.log.Warn("deploy: inference failed", "model", m.meta.Name, "version", served, "error", err)
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("deploy: model %q failed: %v", m.meta.Name, err))
		return
	case out == nil:
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("deploy: model %q returned no response", m.meta.Name))
		return
	}
	resp := *out
	if resp.ModelName == "" {
		resp.ModelName = m.meta.Name
	}
	if resp.ModelVersion == "" {
		resp.ModelVersion = served
	}
	if resp.ID == "" {
		resp.ID = req.ID
	}
	if resp.Outputs == nil {
		resp.Outputs = []Tensor{}
	}
	body, err := json.Marshal(resp)
	if err != nil {
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("deploy: model %q returned an invalid response: %v", m.meta.Name, err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func wrongMethod(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("deploy: %s %s: method not allowed, use %s", r.Method, r.URL.Path, allow))
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
