package oip

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"

	"github.com/sextant-ml/sextant/deploy"
)

// InferRequest is an Open Inference Protocol v2 inference request.
type InferRequest struct {
	ID string `json:"id,omitempty"`
	// Parameters is the request's parameters object, kept as JSON text
	// (compacted when read, never decoded into maps); nil when absent.
	// Decode it into a type of your own when you need it.
	Parameters json.RawMessage   `json:"parameters,omitempty"`
	Inputs     []Tensor          `json:"inputs"`
	Outputs    []RequestedOutput `json:"outputs,omitempty"`
}

// RequestedOutput names an output the client wants.
type RequestedOutput struct {
	Name string `json:"name"`
	// Parameters is kept as JSON text, as InferRequest.Parameters.
	Parameters json.RawMessage `json:"parameters,omitempty"`
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
	ModelName    string `json:"model_name"`
	ModelVersion string `json:"model_version,omitempty"`
	ID           string `json:"id,omitempty"`
	// Parameters must be a JSON object when set.
	Parameters json.RawMessage `json:"parameters,omitempty"`
	Outputs    []Tensor        `json:"outputs"`
}

// Default limits of an inference request.
const (
	// DefaultMaxBodyBytes is the default bound of a request body: 8 MiB.
	DefaultMaxBodyBytes = 8 << 20
	// DefaultMaxElements is the default bound of the values of all the
	// input tensors of one request together: 4,194,304 (4 Mi), which
	// is about as many as the smallest JSON encoding of values ("0,")
	// fits into DefaultMaxBodyBytes, and 32 MiB as int64 or float64.
	DefaultMaxElements = 4 << 20
)

// Limits bound what one inference request may make the decoder read
// and allocate. The zero value (and nil) means the defaults.
type Limits struct {
	// MaxBodyBytes bounds the request body. Default DefaultMaxBodyBytes.
	// A larger body fails with ErrBodyTooLarge.
	MaxBodyBytes int64
	// MaxElements bounds the number of values of all input tensors
	// together, computed from their shapes (overflow-safe) before any
	// value is read. A request over it fails with ErrTooManyElements.
	// Default DefaultMaxElements.
	MaxElements int64
}

func (l *Limits) withDefaults() Limits {
	var v Limits
	if l != nil {
		v = *l
	}
	if v.MaxBodyBytes <= 0 {
		v.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if v.MaxElements <= 0 {
		v.MaxElements = DefaultMaxElements
	}
	return v
}

// inferRequestJSON is the wire form of a request, with tensors whose
// data is converted only once the element budget is checked.
type inferRequestJSON struct {
	ID         string            `json:"id"`
	Parameters json.RawMessage   `json:"parameters"`
	Inputs     []pendingTensor   `json:"inputs"`
	Outputs    []RequestedOutput `json:"outputs"`
}

// DecodeInferRequest reads and validates one inference request within
// lim (nil means the defaults). Every error matches ErrBadRequest; a
// body over the limit also matches ErrBodyTooLarge, and shapes asking
// for more values than the limit ErrTooManyElements.
//
// Memory: the body is read once; each tensor's data is copied once as
// text and then converted straight into its typed slice, allocated once
// at the size its shape gives, with no allocation per value (BYTES
// values share one backing array). Parameters stay JSON text.
func DecodeInferRequest(r io.Reader, lim *Limits) (*InferRequest, error) {
	hint := int64(-1)
	if l, ok := r.(interface{ Len() int }); ok { // bytes.Reader, strings.Reader, bytes.Buffer
		hint = int64(l.Len())
	}
	return decodeInferRequest(r, lim.withDefaults(), hint)
}

func decodeInferRequest(r io.Reader, lim Limits, sizeHint int64) (*InferRequest, error) {
	b, err := readBody(r, lim.MaxBodyBytes, sizeHint)
	if err != nil {
		return nil, err
	}
	var wire inferRequestJSON
	if err := json.Unmarshal(b, &wire); err != nil {
		if errors.Is(err, ErrBadRequest) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if len(wire.Inputs) == 0 {
		return nil, fmt.Errorf("%w: no inputs", ErrBadRequest)
	}
	req := &InferRequest{ID: wire.ID, Outputs: wire.Outputs}
	if req.Parameters, err = parameters(wire.Parameters); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	seen := make(map[string]bool, len(wire.Inputs))
	counts := make([]int64, len(wire.Inputs))
	budget := lim.MaxElements
	for i := range wire.Inputs {
		p := &wire.Inputs[i]
		if seen[p.j.Name] {
			return nil, fmt.Errorf("%w: input %q appears twice", ErrBadRequest, p.j.Name)
		}
		seen[p.j.Name] = true
		n, err := p.count(lim.MaxElements)
		if err != nil {
			return nil, err
		}
		if n > budget {
			return nil, fmt.Errorf("%w: the inputs hold more than %d values together", ErrTooManyElements, lim.MaxElements)
		}
		budget -= n
		counts[i] = n
	}
	for i := range req.Outputs {
		o := &req.Outputs[i]
		if o.Name == "" {
			return nil, fmt.Errorf("%w: requested output without a name", ErrBadRequest)
		}
		if o.Parameters, err = parameters(o.Parameters); err != nil {
			return nil, fmt.Errorf("%w: output %q: %v", ErrBadRequest, o.Name, err)
		}
	}
	req.Inputs = make([]Tensor, len(wire.Inputs))
	for i := range wire.Inputs {
		if err := wire.Inputs[i].decode(&req.Inputs[i], counts[i]); err != nil {
			return nil, err
		}
		wire.Inputs[i].j.Data = nil
	}
	return req, nil
}

// readBody reads all of r, failing with ErrBodyTooLarge past max bytes.
// A sizeHint in [0, max] (a Content-Length) sizes the buffer at once,
// so a body is not copied as the buffer grows.
func readBody(r io.Reader, max, sizeHint int64) ([]byte, error) {
	size := int64(512)
	if sizeHint >= 0 && sizeHint <= max {
		size = sizeHint + 1 // room to see EOF without growing
	}
	b := make([]byte, 0, size)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > max {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, max)
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, mbe.Limit)
			}
			// The cause (a network error naming addresses) stays out
			// of the message, which the client sees.
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil, fmt.Errorf("%w: reading the body timed out", ErrBadRequest)
			}
			return nil, fmt.Errorf("%w: reading the body failed", ErrBadRequest)
		}
	}
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

// InferPredictor is a model the handler can serve.
type InferPredictor = deploy.Predictor[*InferRequest, *InferResponse]

type servedModel struct {
	meta   ModelMetadata
	ready  func(ctx context.Context) bool
	infer  func(ctx context.Context, r *http.Request, version string, req *InferRequest) (*InferResponse, string, error)
	router *deploy.Router[*InferRequest, *InferResponse]
}

// HandlerOptions configures a Handler. The zero value is usable.
type HandlerOptions struct {
	// Name and Version are reported by GET /v2. Default "sextant" and "".
	Name, Version string
	// MaxBodyBytes bounds a request body; a larger one gets 413.
	// Default DefaultMaxBodyBytes (8 MiB).
	MaxBodyBytes int64
	// MaxElements bounds the values of all input tensors of a request
	// together, checked from the shapes before any value is read; a
	// request over it gets 400 (ErrTooManyElements). Default
	// DefaultMaxElements.
	MaxElements int64
	// Logger receives every inference that fails inside the server
	// (status 500) at error level, with the predictor's error text and
	// the request id; the client sees neither the text nor anything but
	// a generic message naming the request id. Default slog.Default(),
	// so that the cause is never lost; pass
	// slog.New(slog.DiscardHandler) to drop it.
	Logger *slog.Logger
}

// RequestIDHeader carries a request's id. The handler takes the
// client's when it is sane (1 to 64 bytes of ASCII letters, digits and
// "-_.:") and otherwise makes one (26 random base32 characters), and
// sets it on every response.
const RequestIDHeader = "X-Request-Id"

// requestID returns the client's id when it is sane, else a new one.
func requestID(r *http.Request) string {
	if id := r.Header.Get(RequestIDHeader); saneID(id) {
		return id
	}
	return rand.Text()
}

func saneID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// Handler serves models over the Open Inference Protocol v2 REST API:
//
//	GET  /v2/health/live, /v2/health/ready, /v2
//	GET  /v2/models/{name}[/versions/{v}]          model metadata
//	GET  /v2/models/{name}[/versions/{v}]/ready    model readiness
//	POST /v2/models/{name}[/versions/{v}]/infer    inference
//
// Errors are JSON objects {"error": "..."}: 400 for malformed requests
// and requests over MaxElements, 404 for unknown models or versions and
// for versions of a router that serve no routed traffic, 413 for bodies
// over MaxBodyBytes, 500 when the predictor fails, 503 when it is not
// ready. A 500 says only "oip: model "m" failed (request id ID)";
// the predictor's error goes to the Logger with the same id. Every
// response carries the request id in the X-Request-Id header.
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
	lim := (&Limits{MaxBodyBytes: h.opts.MaxBodyBytes, MaxElements: h.opts.MaxElements}).withDefaults()
	h.opts.MaxBodyBytes, h.opts.MaxElements = lim.MaxBodyBytes, lim.MaxElements
	h.log = h.opts.Logger
	if h.log == nil {
		h.log = slog.Default()
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
		writeError(w, http.StatusNotFound, fmt.Sprintf("oip: no endpoint %s %s", r.Method, r.URL.Path))
	})
	return h
}

// Add serves p as the model meta.Name (replacing any model of that name).
// If p implements deploy.Readier, readiness asks it. p may be anything
// with the Predict method, a router wrapped by monitor.Wrap included; to
// route by the request's headers and report the version that answered,
// give a router to AddRouter instead.
func (h *Handler) Add(meta ModelMetadata, p InferPredictor) error {
	if meta.Name == "" || p == nil {
		return fmt.Errorf("%w: a served model needs a name and a predictor", deploy.ErrInvalid)
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
// header rules; a /versions/{v} path calls that version directly
// through Router.PredictVersion, so it is served only while the version
// carries routed traffic (unless RouterOptions.DirectAnyVersion) and is
// never seen by the router's Observer. The version that answered is
// returned in the Sextant-Served-Version header and as model_version.
// The model is ready when every routed version is.
func (h *Handler) AddRouter(meta ModelMetadata, r *deploy.Router[*InferRequest, *InferResponse]) error {
	if meta.Name == "" || r == nil {
		return fmt.Errorf("%w: a served model needs a name and a router", deploy.ErrInvalid)
	}
	m := &servedModel{meta: meta, router: r}
	m.ready = r.Ready
	m.infer = func(ctx context.Context, hr *http.Request, version string, req *InferRequest) (*InferResponse, string, error) {
		if version != "" {
			out, err := r.PredictVersion(ctx, version, req)
			return out, version, err
		}
		return r.Serve(ctx, deploy.RequestFromHTTP(hr), req)
	}
	h.put(m)
	return nil
}

func readiness(p any) func(context.Context) bool {
	if rd, ok := p.(deploy.Readier); ok {
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
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(RequestIDHeader, requestID(r))
	h.mux.ServeHTTP(w, r)
}

// lookup finds the model and checks the version of the path.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request) (*servedModel, string, bool) {
	name, version := r.PathValue("name"), r.PathValue("version")
	h.mu.RLock()
	m := h.models[name]
	h.mu.RUnlock()
	if m == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("oip: unknown model %q", name))
		return nil, "", false
	}
	if version != "" {
		known := len(m.meta.Versions) == 0 || slices.Contains(m.meta.Versions, version)
		if m.router != nil {
			known = m.router.Has(version)
		}
		if !known {
			writeError(w, http.StatusNotFound, fmt.Sprintf("oip: model %q has no version %q", name, version))
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
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "error": fmt.Sprintf("oip: model %q is not ready", m.meta.Name)})
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
	id := w.Header().Get(RequestIDHeader)
	if r.ContentLength > h.opts.MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%v: %d bytes, more than %d", ErrBodyTooLarge, r.ContentLength, h.opts.MaxBodyBytes))
		return
	}
	lim := Limits{MaxBodyBytes: h.opts.MaxBodyBytes, MaxElements: h.opts.MaxElements}
	req, err := decodeInferRequest(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes), lim, r.ContentLength)
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, ErrBodyTooLarge) {
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
		w.Header().Set(deploy.ServedVersionHeader, served)
	}
	fail := func(msg string, err error) {
		h.log.Error("oip: "+msg, "model", m.meta.Name, "version", served, "request_id", id, "error", err)
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("oip: model %q failed (request id %s)", m.meta.Name, id))
	}
	switch {
	case errors.Is(err, ErrBadRequest):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case errors.Is(err, deploy.ErrNotRouted) || errors.Is(err, deploy.ErrUnknownVersion) && version != "":
		writeError(w, http.StatusNotFound, fmt.Sprintf("oip: model %q has no version %q serving traffic", m.meta.Name, version))
		return
	case errors.Is(err, deploy.ErrNoRoute) || errors.Is(err, deploy.ErrClosed):
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	case err != nil:
		fail("inference failed", err)
		return
	case out == nil:
		fail("inference returned no response", errors.New("nil response"))
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
		fail("inference returned an invalid response", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func wrongMethod(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("oip: %s %s: method not allowed, use %s", r.Method, r.URL.Path, allow))
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
