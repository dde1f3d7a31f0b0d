//go:build integration

package monitor_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/monitor"
)

// promtool returns the path of promtool or fails the test: CI installs it
// (Debian package prometheus), and these checks must not pass silently.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found on PATH (install the Debian package prometheus: apt-get install -y prometheus): %v", err)
	}
	return p
}

func runPromtool(t *testing.T, stdin io.Reader, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtool(t), args...)
	cmd.Stdin = stdin
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestPromtoolCheckMetrics(t *testing.T) {
	runPromtool(t, bytes.NewReader(scrape(t, exercised(t))), "check", "metrics")
}

func TestPromtoolRules(t *testing.T) {
	dir := t.TempDir()
	_, rules, err := monitor.WriteAssets(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("check", func(t *testing.T) {
		runPromtool(t, nil, "check", "rules", rules)
	})
	t.Run("unit", func(t *testing.T) {
		spec, err := os.ReadFile(filepath.Join("testdata", "rules_test.yml"))
		if err != nil {
			t.Fatal(err)
		}
		test := filepath.Join(dir, "rules_test.yml")
		if err := os.WriteFile(test, spec, 0o644); err != nil {
			t.Fatal(err)
		}
		runPromtool(t, nil, "test", "rules", test)
	})
}
