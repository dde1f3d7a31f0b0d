// Package ui is a web UI over Sextant's state that a Go service mounts in
// its own HTTP server: models and their versions, aliases and alias
// history, a version's lineage, tracked runs with metric charts and
// side-by-side comparison, datasets with version diffs and drift reports
// between two versions' files, and live rollouts.
//
//	h, err := ui.New(&ui.Options{
//		Registry: reg, Datasets: ds, Tracker: tr, Artifacts: store,
//		Authorizer: authz,                       // *rbac.Authorizer
//		Subject:    subjectFromRequest,          // who asks
//	})
//	mux.Handle("/ml/", http.StripPrefix("/ml", h))
//
// The command "sextant ui -bucket URL -addr :8080" serves the same handler
// over one bucket.
//
// # Pages
//
//	/                                   sections the subject may list
//	/models                             models (list models)
//	/models/{m}                         versions, aliases, alias history (get models, list models/versions and models/aliases)
//	/models/{m}/versions/{n}            a version: metrics, params, tags, files (get models/versions)
//	/models/{m}/versions/{n}/lineage    run, dataset versions, parent, code as an SVG graph (get models/versions)
//	/runs                               runs of every experiment, a form to compare (list RunsResource)
//	/runs/{id}                          a run with one line chart per metric series (get RunsResource)
//	/runs/compare?id=A&id=B             params and metrics side by side, overlaid charts (get RunsResource per run)
//	/datasets                           datasets (list datasets; each shown only with get datasets)
//	/datasets/{d}                       versions and a diff form (get datasets)
//	/datasets/{d}/diff?from=1&to=2      added, modified, deleted files (get datasets)
//	/datasets/{d}/drift?from=1&to=2&file=F   drift.Report of F's two versions, HTML or format=json (get datasets)
//	/deployments                        rollouts under deployments/ (list deployments; each with get deployments)
//	/deployments/{r}                    a rollout's state, weight chart and history (get deployments)
//
// Drift reports compare one CSV or JSON Lines file (at most
// MaxDriftFileBytes) as committed in two versions of a dataset, with the
// earlier version as reference; the page is drift's own self-contained
// Report.WriteHTML page. Drift reports stored elsewhere are not listed:
// the libraries keep no index of them.
//
// # Authorization
//
// Every page asks Options.Authorizer (any rbac.Checker, typically
// *rbac.Authorizer) for each check listed above before it reads anything;
// the subject comes from Options.Subject (put in the request's context
// with rbac.WithSubject) or is already in the context, as rbac.Middleware
// leaves it. A refusal answers 403 (401 when there is no subject, or
// Options.Subject fails); rows of lists the subject may not get are left
// out. Runs are authorized on Options.RunsResource (default "artifacts"),
// since tracking has no resource of its own. With no Authorizer every page
// is open: mount the handler behind your own authentication.
//
// # Guarantees
//
// Pages are rendered on the server with html/template (every value
// escaped) from templates and one style sheet embedded in the binary;
// charts and graphs are inline SVG. No page loads a script, font, image or
// style sheet from elsewhere, and every link is relative, so the UI works
// under any prefix with http.StripPrefix. Responses carry a
// Content-Security-Policy of default-src 'none' (styles from the UI
// itself). The handler only reads: it answers GET and HEAD and nothing
// else (405). Missing things answer 404, bad parameters 400; other
// failures answer 500 and go to Options.Logger.
//
// # Concurrency
//
// A Handler is safe for concurrent use; it keeps no state between
// requests beyond the parsed templates.
package ui
