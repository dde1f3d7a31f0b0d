package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "gocloud.dev/blob/memblob"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestUIServesUnderPrefixUntilCancelled(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte(`apiVersion: sextant/v1
kind: Role
metadata: {name: viewer}
rules: [{resources: ["*"], verbs: [get, list]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: v}
role: viewer
subjects: [{kind: User, name: alice}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- cmdUI(ctx, []string{"-bucket", "mem://", "-addr", "127.0.0.1:0", "-prefix", "/ml", "-policy", policy, "-user-header", "X-User"}, &out, io.Discard)
	}()
	re := regexp.MustCompile(`on (http://\S+)\n`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("no address printed: %q", out.String())
	}
	if !strings.HasSuffix(base, "/ml/") {
		t.Fatalf("address %q does not end in the prefix", base)
	}
	for _, tt := range []struct {
		user string
		want int
	}{{"alice", http.StatusOK}, {"mallory", http.StatusForbidden}, {"", http.StatusUnauthorized}} {
		req, _ := http.NewRequest(http.MethodGet, base+"models", nil)
		if tt.user != "" {
			req.Header.Set("X-User", tt.user)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%q GET models: %d, want %d", tt.user, resp.StatusCode, tt.want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ui returned %v after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ui did not stop on cancel")
	}
}

func TestUIUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-addr", "127.0.0.1:0"}, // no bucket
		{"-bucket", "mem://", "-policy", "p.yaml"},
		{"-bucket", "mem://", "-user-header", "X-User"},
		{"-bucket", "mem://", "-prefix", "ml"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Setenv("SEXTANT_BUCKET", "")
			if err := cmdUI(context.Background(), args, io.Discard, io.Discard); !errors.Is(err, errUsage) {
				t.Errorf("cmdUI %v: %v, want a usage error", args, err)
			}
		})
	}
}
