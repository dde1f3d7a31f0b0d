package s3test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"
)

// Faults injects the failures of a real network and of stores that are
// S3-compatible in name only into an S3 client. The zero value injects
// nothing; its fields may be changed while the client is in use.
type Faults struct {
	// DropCreateReplies is how many conditional PUTs (If-None-Match) still
	// to let through to the server and then answer with a reset
	// connection instead of the server's reply, as a load balancer that
	// times out after the store committed does. The SDK retries them.
	DropCreateReplies atomic.Int64
	// StripIfNoneMatch removes If-None-Match from PUTs before they are
	// signed, so the server sees unconditional writes: a store or proxy
	// that ignores the header.
	StripIfNoneMatch atomic.Bool
	// Dropped counts the replies dropped so far.
	Dropped atomic.Int64
}

// faultyTransport carries out DropCreateReplies.
type faultyTransport struct {
	base http.RoundTripper
	f    *Faults
}

func (t faultyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	conditional := req.Method == http.MethodPut && req.Header.Get("If-None-Match") != ""
	resp, err := t.base.RoundTrip(req)
	if err != nil || !conditional || t.f.DropCreateReplies.Add(-1) < 0 {
		if conditional {
			t.f.DropCreateReplies.Add(1) // undo: nothing to drop
		}
		return resp, err
	}
	resp.Body.Close()
	t.f.Dropped.Add(1)
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
}

// Client returns an S3 client of the AWS SDK v2 for the server at
// endpoint, with path-style addressing and f's faults (f may be nil).
func Client(endpoint string, f *Faults) *s3.Client {
	cfg := aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
		if f == nil {
			return
		}
		base := http.DefaultTransport.(*http.Transport).Clone()
		o.HTTPClient = &http.Client{Transport: faultyTransport{base: base, f: f}}
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Build.Add(middleware.BuildMiddlewareFunc("sextantStripIfNoneMatch",
				func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
					if req, ok := in.Request.(*smithyhttp.Request); ok && f.StripIfNoneMatch.Load() {
						req.Header.Del("If-None-Match")
					}
					return next.HandleBuild(ctx, in)
				}), middleware.After)
		})
	})
}

// OpenBucket creates bucket name on the server at endpoint if needed and
// opens it through s3blob with f's faults (f may be nil); it is closed
// when t ends.
func OpenBucket(t testing.TB, endpoint, name string, f *Faults) *blob.Bucket {
	t.Helper()
	ctx := context.Background()
	client := Client(endpoint, f)
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		if _, herr := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)}); herr != nil {
			t.Fatalf("s3test: create bucket %s: %v", name, err)
		}
	}
	b, err := s3blob.OpenBucket(ctx, client, name, nil)
	if err != nil {
		t.Fatalf("s3test: open bucket %s: %v", name, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// StartVersity starts versitygw, a real S3-compatible server, on a free
// loopback port over a posix directory of t, and returns its endpoint. It
// stops when t ends. The test fails when versitygw is not on PATH (install:
// go install github.com/versity/versitygw/cmd/versitygw@v1.8.0): it is for
// the integration tier, which must not pass without its server.
func StartVersity(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		t.Fatalf("s3test: versitygw not on PATH (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0): %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	root := filepath.Join(t.TempDir(), "gw")
	if err := os.MkdirAll(filepath.Join(root, ".sidecar"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--port", addr, "--access", AccessKey, "--secret", SecretKey,
		"--region", Region, "posix", "--sidecar", filepath.Join(root, ".sidecar"), root)
	logf, err := os.Create(filepath.Join(t.TempDir(), "versitygw.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("s3test: start versitygw: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-exited
		logf.Close()
	})
	endpoint := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return endpoint
		}
		select {
		case err := <-exited:
			out, _ := os.ReadFile(logf.Name())
			t.Fatalf("s3test: versitygw exited: %v\n%s", err, out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logf.Name())
			t.Fatalf("s3test: versitygw did not listen on %s: %v\n%s", addr, errors.Join(err), out)
		}
	}
}

// URLFor returns an s3:// URL for bucket name on the server at endpoint,
// with the parameters an S3-compatible server needs.
func URLFor(endpoint, name string) string {
	return fmt.Sprintf("s3://%s?endpoint=%s&region=%s&use_path_style=true&disable_https=true", name, endpoint, Region)
}
