package lambda_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/deploy/lambda"
)

// childEnv makes the test binary a Lambda function: TestMain then runs
// lambda.Start against the runtime API named by AWS_LAMBDA_RUNTIME_API.
const childEnv = "SEXTANT_LAMBDA_TEST_FUNCTION"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		lambda.Start(oipHandler(nil, nil), nil) // does not return
	}
	os.Exit(m.Run())
}

// runtimeAPI serves the part of the Lambda Runtime API a function's loop
// uses (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):
// GET /2018-06-01/runtime/invocation/next hands out the queued events one
// at a time, with the request id, deadline, function ARN and trace id
// headers; POST .../{id}/response and .../{id}/error record the outcome and
// answer 202. Once the queue is empty, next blocks until the test ends.
type runtimeAPI struct {
	mu      sync.Mutex
	queue   [][]byte
	handed  int
	results map[string]result
	changed chan struct{}
	done    chan struct{}
}

type result struct {
	kind string // "response" or "error"
	body []byte
}

func newRuntimeAPI(events [][]byte) *runtimeAPI {
	return &runtimeAPI{queue: events, results: map[string]result{}, changed: make(chan struct{}, 64), done: make(chan struct{})}
}

func (rt *runtimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const prefix = "/2018-06-01/runtime/invocation/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		http.Error(w, `{"errorMessage":"unknown path","errorType":"InvalidRequest"}`, http.StatusNotFound)
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, prefix)
	if rest == "next" && r.Method == http.MethodGet {
		rt.mu.Lock()
		if rt.handed == len(rt.queue) {
			rt.mu.Unlock()
			select {
			case <-r.Context().Done():
			case <-rt.done:
			}
			http.Error(w, `{"errorMessage":"shutting down","errorType":"ServiceException"}`, http.StatusInternalServerError)
			return
		}
		ev := rt.queue[rt.handed]
		rt.handed++
		id := fmt.Sprintf("req-%d", rt.handed)
		rt.mu.Unlock()
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:sextant-serve")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-674ec1a0-0123456789abcdef01234567;Parent=1a2b3c4d5e6f7081;Sampled=0")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(ev)
		return
	}
	id, kind, ok := strings.Cut(rest, "/")
	if !ok || r.Method != http.MethodPost || (kind != "response" && kind != "error") {
		http.Error(w, `{"errorMessage":"unknown path","errorType":"InvalidRequest"}`, http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	rt.mu.Lock()
	rt.results[id] = result{kind: kind, body: body}
	rt.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
	rt.changed <- struct{}{}
}

// TestRuntimeAPILoop runs the adapter as a real function process: the test
// binary, started again with AWS_LAMBDA_RUNTIME_API pointing at a runtime
// API served here, takes three HTTP events and one S3 notification through
// aws-lambda-go's loop. The HTTP events are answered; the notification is
// reported as a function error, and the loop goes on.
func TestRuntimeAPILoop(t *testing.T) {
	files := []string{"apigw-rest-v1-infer.json", "s3-put.json", "apigw-http-v2-infer.json", "function-url-metadata.json"}
	var events [][]byte
	for _, f := range files {
		events = append(events, readEvent(t, f))
	}
	rt := newRuntimeAPI(events)
	srv := httptest.NewServer(rt)
	defer srv.Close()
	defer close(rt.done)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(srv.URL, "http://"))
	var logs strings.Builder
	var logMu sync.Mutex
	cmd.Stdout, cmd.Stderr = lockedWriter{&logs, &logMu}, lockedWriter{&logs, &logMu}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()

	timeout := time.After(60 * time.Second)
	for {
		rt.mu.Lock()
		n := len(rt.results)
		rt.mu.Unlock()
		if n == len(files) {
			break
		}
		select {
		case <-rt.changed:
		case err := <-exited:
			logMu.Lock()
			t.Fatalf("function exited (%v) after %d results; its output:\n%s", err, n, logs.String())
		case <-timeout:
			t.Fatalf("%d of %d results after 60s", n, len(files))
		}
	}

	rt.mu.Lock()
	defer rt.mu.Unlock()
	wantStatus := map[string]int{"req-1": 200, "req-3": 200, "req-4": 200}
	for id, want := range wantStatus {
		res := rt.results[id]
		var resp response
		if res.kind != "response" || json.Unmarshal(res.body, &resp) != nil || resp.StatusCode != want {
			t.Errorf("%s: %s %s, want a response with status %d", id, res.kind, res.body, want)
		}
	}
	var sums response
	_ = json.Unmarshal(rt.results["req-3"].body, &sums)
	if got := outputs(t, sums.Body); len(got) != 1 || got[0] != 11 {
		t.Errorf("HTTP v2 inference through the runtime loop: %v, want [11]", got)
	}
	// The Lambda request id the runtime API handed out reaches the handler.
	if got := sums.Headers["X-Request-Id"]; got != "req-3" {
		t.Errorf("X-Request-Id %q, want the runtime's req-3", got)
	}
	errRes := rt.results["req-2"]
	var fnErr struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	if errRes.kind != "error" || json.Unmarshal(errRes.body, &fnErr) != nil || !strings.Contains(fnErr.Message, "not an API Gateway or function URL event") {
		t.Errorf("S3 event: %s %s, want a function error naming ErrEvent", errRes.kind, errRes.body)
	}
}

type lockedWriter struct {
	b  *strings.Builder
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
