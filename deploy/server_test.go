package deploy_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/oip"
)

func TestNewServerDefaults(t *testing.T) {
	srv := deploy.NewServer(":8080", http.NotFoundHandler(), nil)
	got := []any{srv.Addr, srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout, srv.MaxHeaderBytes}
	want := []any{":8080", 5 * time.Second, 30 * time.Second, 60 * time.Second, 120 * time.Second, 64 << 10}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("server settings (-want +got):\n%s", diff)
	}
	srv = deploy.NewServer("", nil, &deploy.ServerTimeouts{Read: time.Second})
	if srv.ReadTimeout != time.Second || srv.ReadHeaderTimeout != 5*time.Second {
		t.Errorf("one field set: read %v, header %v", srv.ReadTimeout, srv.ReadHeaderTimeout)
	}
}

// one answers every inference request with one value.
var one = deploy.PredictorFunc[*oip.InferRequest, *oip.InferResponse](func(context.Context, *oip.InferRequest) (*oip.InferResponse, error) {
	return &oip.InferResponse{Outputs: []oip.Tensor{{Name: "n", Datatype: oip.FP64, Shape: []int64{1}, Floats: []float64{1}}}}, nil
})

// A client that sends part of a request and stalls, or leaves a
// connection idle, is cut off by the timeouts NewServer sets; the same
// client holds a server without them.
func TestServerCutsOffStalledClients(t *testing.T) {
	h := oip.NewHandler(nil)
	if err := h.Add(oip.ModelMetadata{Name: "m"}, one); err != nil {
		t.Fatal(err)
	}
	small := &deploy.ServerTimeouts{ReadHeader: 100 * time.Millisecond, Read: 300 * time.Millisecond, Write: time.Second, Idle: 300 * time.Millisecond}
	body := `{"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1]}]}`
	complete := fmt.Sprintf("POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	tests := []struct {
		name     string
		server   *http.Server
		send     string
		wantCut  bool
		wantCode string // the status line's code, when the server answers
	}{
		{"headers then a stalled body", deploy.NewServer("", h, small), "POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"inputs\":", true, "400"},
		{"stalled headers", deploy.NewServer("", h, small), "POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Le", true, ""},
		{"idle after a request", deploy.NewServer("", h, small), complete, true, "200"},
		{"stalled body without timeouts", &http.Server{Handler: h}, "POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"inputs\":", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewUnstartedServer(h)
			ts.Config = tc.server
			ts.Start()
			defer ts.Close()
			conn, err := net.Dial("tcp", ts.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tc.send); err != nil {
				t.Fatal(err)
			}
			// Wait well past every small timeout for the server to close.
			start := time.Now()
			conn.SetReadDeadline(start.Add(2 * time.Second))
			got, err := io.ReadAll(conn)
			elapsed := time.Since(start)
			cut := err == nil // the server closed the connection
			if cut != tc.wantCut {
				t.Fatalf("connection closed by the server: %v (after %v, read error %v), want %v", cut, elapsed, err, tc.wantCut)
			}
			if !tc.wantCut {
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("read error %v, want the client's own deadline", err)
				}
				return
			}
			if tc.wantCode != "" {
				resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(string(got))), nil)
				if err != nil || resp.Status[:3] != tc.wantCode {
					t.Errorf("answer %q (%v), want status %s", got, err, tc.wantCode)
				}
				if strings.Contains(string(got), "127.0.0.1") {
					t.Errorf("answer names the connection's addresses: %q", got)
				}
			}
		})
	}
}
