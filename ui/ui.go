package ui

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/internal/errkind"
	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/registry"
	"github.com/sextant-ml/sextant/tracking"
)

//go:embed templates/*.html assets/style.css
var files embed.FS

// ErrInvalid reports options New cannot use.
var ErrInvalid = errkind.New("ui: invalid options", fs.ErrInvalid)

// Authorizer decides whether the subject carried by ctx may apply verb to
// the named resource; a nil error allows. It is rbac.Checker, which
// *rbac.Authorizer implements.
type Authorizer = rbac.Checker

// Options configure the handler. Every field may be left zero; a page whose
// source is missing answers 404.
type Options struct {
	// Registry backs the models pages. Default: none.
	Registry *registry.Registry
	// Datasets backs the datasets pages and the drift reports between two
	// dataset versions. Default: none.
	Datasets *dataset.Store
	// Tracker backs the runs pages. Default: none.
	Tracker *tracking.Tracker
	// Artifacts is the store on the bucket that holds the datasets and
	// deployments; its bucket is listed for dataset names (datasets/) and
	// rollouts (deployments/), and it serves the bytes of dataset files.
	// Default: Datasets.Artifacts() when Datasets is set.
	Artifacts *artifact.Store
	// Authorizer is asked before every page is rendered. Default: nil,
	// every page allowed.
	Authorizer Authorizer
	// Subject returns who makes a request; the handler puts it in the
	// request's context with rbac.WithSubject before asking Authorizer. An
	// error answers 401. Default: nil, the subject already in the request's
	// context (as rbac.Middleware leaves it), or none.
	Subject func(*http.Request) (rbac.Subject, error)
	// RunsResource is the rbac resource the runs pages are authorized on,
	// since tracking has none of its own. Default "artifacts".
	RunsResource string
	// Title names the UI in every page's header. Default "Sextant".
	Title string
	// Logger receives errors that end in a 500 answer. Default: discard.
	Logger *slog.Logger
}

// Handler serves the pages. It is safe for concurrent use.
type Handler struct {
	o     Options
	mux   *http.ServeMux
	pages map[string]*template.Template
}

// New returns a handler for the options (nil gives an empty UI).
func New(opts *Options) (*Handler, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Artifacts == nil && o.Datasets != nil {
		o.Artifacts = o.Datasets.Artifacts()
	}
	if o.RunsResource == "" {
		o.RunsResource = rbac.ResourceArtifacts
	}
	if !rbacResource(o.RunsResource) {
		return nil, fmt.Errorf("%w: RunsResource %q is no rbac resource", ErrInvalid, o.RunsResource)
	}
	if o.Title == "" {
		o.Title = "Sextant"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h := &Handler{o: o, mux: http.NewServeMux(), pages: map[string]*template.Template{}}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("ui: templates: %w", err)
	}
	entries, err := files.ReadDir("templates")
	if err != nil {
		return nil, fmt.Errorf("ui: templates: %w", err)
	}
	for _, e := range entries {
		if e.Name() == "layout.html" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(files, "templates/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("ui: templates: %w", err)
		}
		h.pages[strings.TrimSuffix(e.Name(), ".html")] = t
	}
	h.routes()
	return h, nil
}

func rbacResource(r string) bool {
	for _, x := range rbac.Resources() {
		if x == r {
			return true
		}
	}
	return false
}

// ServeHTTP answers GET and HEAD requests for the pages; paths are those
// the handler is mounted at (use http.StripPrefix under a prefix: every
// link a page holds is relative, so it resolves under any prefix).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if h.o.Subject != nil {
		s, err := h.o.Subject(r)
		if err != nil {
			http.Error(w, "unauthenticated: "+err.Error(), http.StatusUnauthorized)
			return
		}
		r = r.WithContext(rbac.WithSubject(r.Context(), s))
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'self'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !strings.HasPrefix(r.URL.Path, "/") {
		// "*" (the target of OPTIONS *) and other paths the mux answers
		// with a bare 400 of its own.
		h.fail(w, r, http.StatusBadRequest, "Bad request", "the path must start with /")
		return
	}
	h.mux.ServeHTTP(w, r)
}

// check is one authorization a page needs.
type check struct{ verb, resource, name string }

// allow asks the authorizer for every check and answers 401 or 403 on the
// first refusal; it reports whether the page may go on.
func (h *Handler) allow(w http.ResponseWriter, r *http.Request, checks ...check) bool {
	if h.o.Authorizer == nil {
		return true
	}
	for _, c := range checks {
		err := h.o.Authorizer.Authorize(r.Context(), c.verb, c.resource, c.name)
		if err == nil {
			continue
		}
		if errors.Is(err, rbac.ErrNoSubject) || errors.Is(err, rbac.ErrNoCredentials) {
			h.fail(w, r, http.StatusUnauthorized, "Unauthenticated", "This page needs a signed-in subject.")
			return false
		}
		h.fail(w, r, http.StatusForbidden, "Forbidden", fmt.Sprintf("You may not %s %s%s.", c.verb, c.resource, nameSuffix(c.name)))
		return false
	}
	return true
}

func (h *Handler) may(r *http.Request, verb, resource, name string) bool {
	return h.o.Authorizer == nil || h.o.Authorizer.Authorize(r.Context(), verb, resource, name) == nil
}

func nameSuffix(n string) string {
	if n == "" {
		return ""
	}
	return " " + strconv.Quote(n)
}

// page is what every template receives.
type page struct {
	App   string
	Title string
	// Root is the relative path from the request's page to the handler's
	// root ("./", "../", ...), so that links work under any prefix.
	Root    string
	Section string
	Data    any
	Status  int
}

// rootOf returns the relative path from the page at p to the root.
func rootOf(p string) string {
	n := strings.Count(p, "/") - 1
	if n <= 0 {
		return "./"
	}
	return strings.Repeat("../", n)
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name, section, title string, data any) {
	t, ok := h.pages[name]
	if !ok {
		h.o.Logger.Error("ui: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout.html", page{App: h.o.Title, Title: title, Root: rootOf(r.URL.Path), Section: section, Data: data, Status: status}); err != nil {
		h.o.Logger.Error("ui: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, b.String())
}

// fail renders an error page.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	h.render(w, r, status, "error", "", title, msg)
}

// failErr maps a library error to a page: not found 404, invalid input
// 400, denied 403, anything else 500 (logged, not shown).
func (h *Handler) failErr(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, registry.ErrNotFound), errors.Is(err, tracking.ErrNotFound), errors.Is(err, dataset.ErrNotFound),
		errors.Is(err, rollout.ErrNoState), errors.Is(err, artifact.ErrNotFound), errors.Is(err, errNotFound),
		errors.Is(err, registry.ErrDeleted):
		h.fail(w, r, http.StatusNotFound, "Not found", err.Error())
	case errors.Is(err, errBadRequest), errors.Is(err, dataset.ErrInvalidName), errors.Is(err, registry.ErrInvalidName),
		errors.Is(err, registry.ErrInvalidReference), errors.Is(err, registry.ErrInvalidArgument), errors.Is(err, tracking.ErrInvalidParameter):
		h.fail(w, r, http.StatusBadRequest, "Bad request", err.Error())
	case errors.Is(err, rbac.ErrDenied):
		h.fail(w, r, http.StatusForbidden, "Forbidden", err.Error())
	default:
		h.o.Logger.Error("ui: page failed", "path", r.URL.Path, "err", err)
		h.fail(w, r, http.StatusInternalServerError, "Internal error", "The page could not be built; the error is logged.")
	}
}

var (
	errNotFound   = errors.New("ui: not found")
	errBadRequest = errors.New("ui: bad request")
)

var funcs = template.FuncMap{
	// link joins the root and escaped path segments.
	"link": func(root string, segs ...any) string {
		parts := make([]string, len(segs))
		for i, s := range segs {
			parts[i] = url.PathEscape(fmt.Sprint(s))
		}
		return root + strings.Join(parts, "/")
	},
	"query": func(kv ...any) string {
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Add(fmt.Sprint(kv[i]), fmt.Sprint(kv[i+1]))
		}
		return "?" + q.Encode()
	},
	"ms": func(ms int64) string {
		if ms == 0 {
			return ""
		}
		return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05")
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05")
	},
	"num":   formatNum,
	"px":    func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
	"short": func(s string) string { return shortDigest(s) },
	"bytes": humanBytes,
	"add":   func(a, b float64) float64 { return a + b },
	"sub":   func(a, b float64) float64 { return a - b },
	"add1":  func(n int) int { return n + 1 },
	"sub1":  func(n int) int { return n - 1 },
	// css passes a palette colour, which the handler chose, into a style
	// attribute.
	"css": func(s string) template.CSS { return template.CSS(s) },
}

func formatNum(f float64) string {
	return strconv.FormatFloat(f, 'g', 6, 64)
}

func shortDigest(s string) string {
	if _, hex, ok := strings.Cut(s, ":"); ok && len(hex) > 12 {
		return hex[:12]
	}
	return s
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func (h *Handler) style(w http.ResponseWriter, r *http.Request) {
	b, err := files.ReadFile("assets/style.css")
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(b)
}
