package ui

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/sextant-ml/sextant/rbac"
)

// get fetches path from srv as user ("" sends no X-User header).
func get(t *testing.T, srv *httptest.Server, user, path string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.Header.Set("X-User", user)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func newServer(t *testing.T, w *world, prefix string) *httptest.Server {
	t.Helper()
	h, err := New(w.Opts)
	if err != nil {
		t.Fatal(err)
	}
	var hh http.Handler = h
	if prefix != "" {
		mux := http.NewServeMux()
		mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
		hh = mux
	}
	srv := httptest.NewServer(hh)
	t.Cleanup(srv.Close)
	return srv
}

// pages lists every page of the world, what each must show, and the
// resource that guards it.
func pages(w *world) []struct {
	name, path, resource string
	want                 []string
} {
	m := "/models/" + w.Model
	return []struct {
		name, path, resource string
		want                 []string
	}{
		{"index", "/", "", []string{`href="./models"`, "Runs", "Datasets", "Deployments"}},
		{"models", "/models", "models", []string{w.Model, "prod → v2", "staging → v2"}},
		{"model", m, "models", []string{`id="versions"`, "v1", "v2", `id="alias-history"`, "(unset) → ", "v1 → "}},
		{"version", m + "/versions/1", "models/versions", []string{"model.bin", "auc", "0.91", `id="lineage-link"`}},
		{"lineage", m + "/versions/2/lineage", "models/versions", []string{`<svg id="lineage"`, "train-2", "transactions v2", "parent version", "fraud-detector v1"}},
		{"runs", "/runs", "artifacts", []string{"train-1", "train-2", `name="id"`, "Compare selected runs"}},
		{"run", "/runs/" + w.Run1, "artifacts", []string{"loss", "(10 points, by step)", "<polyline", "lr"}},
		{"compare", "/runs/compare?id=" + w.Run1 + "&id=" + w.Run2, "artifacts", []string{`id="compare"`, "train-1", "train-2", "<polyline", `class="differs"`}},
		{"datasets", "/datasets", "datasets", []string{w.DS, "more data"}},
		{"dataset", "/datasets/" + w.DS, "datasets", []string{"latest-good", "first cut", "from v1"}},
		{"diff", "/datasets/" + w.DS + "/diff?from=1&to=2", "datasets", []string{"README", "modified", "train.csv", `id="drift-links"`}},
		{"drift", "/datasets/" + w.DS + "/drift?from=1&to=2&file=train.csv", "datasets", []string{`id="drift-summary"`, "amount", "site", `class="histogram"`, `class="ecdf"`, "drift detected", `href="../../datasets/transactions/diff?from=1&amp;to=2"`}},
		{"drift json", "/datasets/" + w.DS + "/drift?from=1&to=2&file=train.csv&format=json", "datasets", []string{`"columns"`, `"histogram"`, `"p_value"`}},
		{"deployments", "/deployments", "deployments", []string{w.Deployment, "promoted", "100%"}},
		{"deployment", "/deployments/" + w.Deployment, "deployments", []string{"canary weight", "<polyline", "step 3", `id="history"`}},
	}
}

func TestPages(t *testing.T) {
	w := newWorld(t)
	srv := newServer(t, w, "")
	for _, p := range pages(w) {
		t.Run(p.name, func(t *testing.T) {
			code, body, hdr := get(t, srv, "alice", p.path)
			if code != http.StatusOK {
				t.Fatalf("GET %s: %d\n%s", p.path, code, body)
			}
			for _, s := range p.want {
				if !strings.Contains(body, s) {
					t.Errorf("GET %s: no %q in the page", p.path, s)
				}
			}
			if !strings.Contains(p.name, "json") {
				if ct := hdr.Get("Content-Type"); ct != "text/html; charset=utf-8" {
					t.Errorf("content type %q", ct)
				}
				if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
					t.Errorf("CSP %q", csp)
				}
				checkSelfContained(t, p.path, body)
			}
		})
	}
}

func TestDeniedSubjectsGet403(t *testing.T) {
	w := newWorld(t)
	srv := newServer(t, w, "")
	for _, p := range pages(w) {
		t.Run(p.name, func(t *testing.T) {
			if code, body, _ := get(t, srv, "eve", p.path); code != http.StatusForbidden {
				t.Errorf("eve GET %s: %d, want 403\n%s", p.path, code, body)
			}
			// bob may read models only: the model list and model page
			// (which also lists versions and aliases) are not his.
			want := http.StatusForbidden
			if p.name == "models" || p.name == "index" {
				want = http.StatusOK
			}
			if code, _, _ := get(t, srv, "bob", p.path); code != want {
				t.Errorf("bob GET %s: %d, want %d", p.path, code, want)
			}
			if code, _, _ := get(t, srv, "", p.path); code != http.StatusUnauthorized {
				t.Errorf("anonymous GET %s: %d, want 401", p.path, code)
			}
		})
	}
}

func TestBadRequestsAndMissing(t *testing.T) {
	w := newWorld(t)
	srv := newServer(t, w, "")
	for _, tt := range []struct {
		path string
		want int
	}{
		{"/models/nope", http.StatusNotFound},
		{"/models/" + w.Model + "/versions/9", http.StatusNotFound},
		{"/models/" + w.Model + "/versions/x", http.StatusBadRequest},
		{"/runs/0123456789abcdef0123456789abcdef", http.StatusNotFound},
		{"/runs/compare?id=" + w.Run1, http.StatusBadRequest},
		{"/datasets/nope", http.StatusNotFound},
		{"/datasets/" + w.DS + "/diff?from=1&to=7", http.StatusNotFound},
		{"/datasets/" + w.DS + "/drift?from=1&to=2&file=README", http.StatusBadRequest},
		{"/datasets/" + w.DS + "/drift?from=1&to=2&file=missing.csv", http.StatusNotFound},
		{"/deployments/nope", http.StatusNotFound},
		{"/nowhere", http.StatusNotFound},
	} {
		t.Run(tt.path, func(t *testing.T) {
			if code, body, _ := get(t, srv, "alice", tt.path); code != tt.want {
				t.Errorf("GET %s: %d, want %d\n%s", tt.path, code, tt.want, body)
			}
		})
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/models", nil)
	req.Header.Set("X-User", "alice")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", resp.StatusCode)
	}
}

// TestLinksResolve crawls every page reachable from the start page, at
// the root and under a prefix (http.StripPrefix), and requires every
// internal link to answer 200.
func TestLinksResolve(t *testing.T) {
	for _, prefix := range []string{"", "/tools/ml"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			w := newWorld(t)
			srv := newServer(t, w, prefix)
			start, _ := url.Parse(srv.URL + prefix + "/")
			seen := map[string]bool{start.String(): true}
			queue := []*url.URL{start}
			var pagesSeen int
			for len(queue) > 0 {
				u := queue[0]
				queue = queue[1:]
				code, body, hdr := get(t, srv, "alice", u.RequestURI())
				if code != http.StatusOK {
					t.Errorf("GET %s: %d", u, code)
					continue
				}
				if !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
					continue
				}
				pagesSeen++
				for _, l := range links(t, body) {
					ref, err := url.Parse(l)
					if err != nil {
						t.Errorf("%s: bad link %q", u, l)
						continue
					}
					next := u.ResolveReference(ref)
					next.Fragment = ""
					if next.Host != start.Host {
						t.Errorf("%s: external link %q", u, l)
						continue
					}
					if !strings.HasPrefix(next.Path, start.Path) {
						t.Errorf("%s: link %q leaves the mount point %s", u, l, start.Path)
						continue
					}
					if !seen[next.String()] {
						seen[next.String()] = true
						queue = append(queue, next)
					}
				}
			}
			// Start, models, model, 2 versions, 2 lineages, runs, 2 runs,
			// datasets, dataset, diff, drift, deployments, deployment.
			if pagesSeen < 16 {
				t.Errorf("crawled %d pages, want at least 16: %v", pagesSeen, seen)
			}
		})
	}
}

// links returns the href and src attributes of a page (fragments and
// form actions excluded: forms need their fields).
func links(t *testing.T, body string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if (a.Key == "href" || a.Key == "src") && !strings.HasPrefix(a.Val, "#") {
					out = append(out, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// checkSelfContained parses a page and fails on anything that would load
// from elsewhere: scripts, frames, objects, images or links with a scheme
// or host, style sheets importing URLs.
func checkSelfContained(t *testing.T, path, body string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "iframe", "object", "embed", "img", "video", "audio", "base":
				t.Errorf("%s: <%s> element", path, n.Data)
			}
			for _, a := range n.Attr {
				switch a.Key {
				case "href", "src", "action", "xlink:href", "srcset":
					u, err := url.Parse(a.Val)
					if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(a.Val, "//") || strings.HasPrefix(a.Val, "/") {
						t.Errorf("%s: %s=%q is not a relative internal reference", path, a.Key, a.Val)
					}
				case "style":
					if strings.Contains(a.Val, "url(") {
						t.Errorf("%s: style attribute loads %q", path, a.Val)
					}
				}
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("%s: event handler attribute %s", path, a.Key)
				}
			}
			if n.Data == "style" && n.FirstChild != nil && (strings.Contains(n.FirstChild.Data, "@import") || strings.Contains(n.FirstChild.Data, "url(")) {
				t.Errorf("%s: style element loads resources", path)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}

func TestStyleSheetLoadsNothing(t *testing.T) {
	w := newWorld(t)
	srv := newServer(t, w, "")
	code, css, hdr := get(t, srv, "alice", "/assets/style.css")
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/css") {
		t.Fatalf("style sheet: %d %s", code, hdr.Get("Content-Type"))
	}
	if strings.Contains(css, "url(") || strings.Contains(css, "@import") || strings.Contains(css, "@font-face") {
		t.Error("style sheet loads resources")
	}
}

func TestOptions(t *testing.T) {
	if _, err := New(&Options{RunsResource: "runs"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("RunsResource runs: %v, want ErrInvalid", err)
	}
	w := newWorld(t)
	for _, tt := range []struct {
		name string
		opts *Options
		want map[string]int
	}{
		{"empty", nil, map[string]int{"/": 404, "/models": 404, "/runs": 404, "/datasets": 404, "/deployments": 404}},
		{"registry only, no authorizer", &Options{Registry: w.Opts.Registry},
			map[string]int{"/": 200, "/models": 200, "/models/" + w.Model + "/versions/1/lineage": 200, "/runs": 404, "/datasets": 404}},
		{"datasets bring their bucket", &Options{Datasets: w.Opts.Datasets},
			map[string]int{"/datasets": 200, "/deployments": 200, "/deployments/" + w.Deployment: 200}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, err := New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			for p, want := range tt.want {
				if code, body, _ := get(t, srv, "", p); code != want {
					t.Errorf("GET %s: %d, want %d\n%s", p, code, want, body)
				}
			}
		})
	}
}

// TestSubjectFromMiddleware leaves Subject unset: the subject comes from
// the context rbac.Middleware's authenticator fills in.
func TestSubjectFromContext(t *testing.T) {
	w := newWorld(t)
	o := *w.Opts
	o.Subject = nil
	h, err := New(&o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if u := r.Header.Get("X-User"); u != "" {
			r = r.WithContext(rbac.WithSubject(r.Context(), rbac.Subject{Name: u}))
		}
		h.ServeHTTP(rw, r)
	}))
	defer srv.Close()
	for user, want := range map[string]int{"alice": 200, "eve": 403, "": 401} {
		if code, _, _ := get(t, srv, user, "/models"); code != want {
			t.Errorf("%q GET /models: %d, want %d", user, code, want)
		}
	}
}
