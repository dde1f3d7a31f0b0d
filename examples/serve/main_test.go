package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/examples/serve/internal/service"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		ok   bool
	}{
		{"no arguments: seed", nil, true},
		{"bucket with key", []string{"-bucket", "mem://", "-model", "m", "-trusted-key", "k.pem"}, true},
		{"bucket unsigned", []string{"-bucket", "mem://", "-model", "m", "-allow-unsigned"}, true},
		{"bucket without model", []string{"-bucket", "mem://", "-allow-unsigned"}, false},
		{"bucket without a signature choice", []string{"-bucket", "mem://", "-model", "m"}, false},
		{"bucket with both choices", []string{"-bucket", "mem://", "-model", "m", "-allow-unsigned", "-trusted-key", "k.pem"}, false},
		{"stray argument", []string{"extra"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseFlags(tc.args, io.Discard)
			if (err == nil) != tc.ok {
				t.Errorf("parseFlags(%q) = %v, want ok %v", tc.args, err, tc.ok)
			}
			if err != nil && !errors.Is(err, service.ErrConfig) {
				t.Errorf("error %v does not match service.ErrConfig", err)
			}
		})
	}
}

func TestParseSteps(t *testing.T) {
	for _, s := range []string{"", "x", ",", "10,y"} {
		if _, err := parseSteps(s); !errors.Is(err, service.ErrConfig) {
			t.Errorf("parseSteps(%q) = %v, want ErrConfig", s, err)
		}
	}
	got, err := parseSteps("5, 25,50")
	if err != nil || len(got) != 3 || got[1] != 25 {
		t.Errorf("parseSteps = %v, %v", got, err)
	}
}

// TestRunsWithNoArguments runs the command as `go run ./examples/serve`
// would, only on a loopback port: it seeds a local bucket and serves
// version 1 of the seeded model with version 2 rolling out.
func TestRunsWithNoArguments(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	ctx, cancel := context.WithCancel(t.Context())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, io.Discard, func(a string) { addrs <- a }) }()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("run returned before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("not listening after 30s")
	}
	resp, err := http.Post("http://"+addr+"/v2/models/demo/infer", "application/json",
		strings.NewReader(`{"inputs":[{"name":"input","datatype":"FP32","shape":[1,3],"data":[0.1,0.2,0.3]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"probability"`) {
		t.Errorf("infer: %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get("http://" + addr + "/rollout")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"canary":"2"`) {
		t.Errorf("GET /rollout = %s, want the seeded version 2 rolling out", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}
