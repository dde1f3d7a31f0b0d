package ui

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzRequests sends arbitrary paths and queries, as users the policy
// grants everything, something or nothing: every answer is a page (never
// a 500 or a panic) with one of the statuses the handler documents.
func FuzzRequests(f *testing.F) {
	w := newWorld(f)
	o := *w.Opts
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := New(&o)
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range pages(w) {
		f.Add(p.path, "alice")
		f.Add(p.path, "bob")
	}
	for _, s := range []string{
		"/models/%2e%2e", "/models/a/versions/-1", "/models/a/versions/99999999999999999999",
		"/models/" + w.Model + "/versions/0/lineage", "/runs/compare?id=&id=", "/runs/%00",
		"/datasets/..", "/datasets/" + w.DS + "/diff?from=latest-good&to=1", "/datasets/" + w.DS + "/drift?from=2&to=1&file=../x.csv",
		"/deployments/a%2Fb", "/deployments/..", "/assets/../assets/style.css", "//models", "*",
	} {
		f.Add(s, "alice")
	}
	allowed := map[int]bool{200: true, 301: true, 307: true, 308: true, 400: true, 401: true, 403: true, 404: true}
	f.Fuzz(func(t *testing.T, target, user string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		r := &http.Request{Method: http.MethodGet, URL: u, RequestURI: target, Header: http.Header{}, Host: "ui.test", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
		r = r.WithContext(t.Context())
		if user != "" {
			r.Header.Set("X-User", user)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if !allowed[rec.Code] {
			t.Fatalf("GET %q as %q: %d\n%s", target, user, rec.Code, rec.Body.String())
		}
		if rec.Body.Len() == 0 && rec.Code != 301 && rec.Code != 307 && rec.Code != 308 {
			t.Fatalf("GET %q as %q: %d with an empty body", target, user, rec.Code)
		}
	})
}
