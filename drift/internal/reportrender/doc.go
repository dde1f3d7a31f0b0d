// Package reportrender holds the test that renders drift's HTML report in
// headless Chromium (Debian package chromium) and checks that its charts
// are painted. It belongs to the integration tier (build tag
// integration) and fails when Chromium is missing; the hermetic tier
// checks the same page's structure and bar geometry by parsing it in
// drift's report_test.go. It is a package of its own so that the
// browser's slow start runs beside drift's other tests instead of after
// them.
package reportrender
