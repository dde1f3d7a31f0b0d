// Package reportrender holds the test that renders drift's HTML report in
// headless Chromium (Debian package chromium) and checks that its charts
// are painted. It is a package of its own so that the browser's slow
// start runs beside drift's other tests instead of after them.
package reportrender
