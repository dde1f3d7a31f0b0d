package s3test

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
)

// Environment variables naming an S3-compatible server for integration
// tests; without SEXTANT_S3_ENDPOINT, NewVersity starts versitygw itself.
const (
	EnvEndpoint  = "SEXTANT_S3_ENDPOINT"   // e.g. http://127.0.0.1:7070
	EnvAccessKey = "SEXTANT_S3_ACCESS_KEY" // default AccessKey
	EnvSecretKey = "SEXTANT_S3_SECRET_KEY" // default SecretKey
)

// External is an S3-compatible server in another process.
type External struct {
	Endpoint string
	// Dir is the directory versitygw's posix backend serves (bucket
	// directories, then object paths), when NewVersity started it; "" for a
	// server named by SEXTANT_S3_ENDPOINT.
	Dir            string
	access, secret string
}

// NewVersity returns the server named by SEXTANT_S3_ENDPOINT, or starts
// versitygw (found on PATH) on a free loopback port, serving a temporary
// directory, and stops it when t ends. The test fails if neither is
// available.
func NewVersity(t testing.TB) *External {
	t.Helper()
	access, secret := envOr(EnvAccessKey, AccessKey), envOr(EnvSecretKey, SecretKey)
	if ep := os.Getenv(EnvEndpoint); ep != "" {
		return &External{Endpoint: ep, access: access, secret: secret}
	}
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		t.Fatalf("s3test: versitygw not on PATH (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0) and %s not set: %v", EnvEndpoint, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	root := filepath.Join(dir, "data")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--port", addr, "--access", access, "--secret", secret, "--quiet", "posix", root)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("s3test: start versitygw: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("s3test: versitygw did not listen on %s: %v\n%s", addr, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &External{Endpoint: "http://" + addr, Dir: root, access: access, secret: secret}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// Client returns an S3 client of the AWS SDK v2 for the server.
func (e *External) Client() *s3.Client { return newClient(e.Endpoint, e.access, e.secret) }

// Bucket creates bucket name if it does not exist and opens it through
// s3blob; it is closed when t ends.
func (e *External) Bucket(t testing.TB, name string) *blob.Bucket {
	t.Helper()
	return openBucket(t, e.Client(), name)
}

// URL returns an s3:// URL for bucket name on the server, with the
// parameters an S3-compatible server needs; credentials come from the
// environment (see Env, which holds this package's defaults).
func (e *External) URL(name string) string {
	q := url.Values{}
	q.Set("endpoint", e.Endpoint)
	q.Set("region", Region)
	q.Set("use_path_style", "true")
	q.Set("disable_https", "true")
	return fmt.Sprintf("s3://%s?%s", name, q.Encode())
}
