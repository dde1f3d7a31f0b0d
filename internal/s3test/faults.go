package s3test

import (
	"context"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"gocloud.dev/blob"
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
	if err != nil || !conditional || !t.f.takeDrop() {
		return resp, err
	}
	resp.Body.Close()
	t.f.Dropped.Add(1)
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
}

// takeDrop uses up one of DropCreateReplies, reporting false when none
// is left.
func (f *Faults) takeDrop() bool {
	for {
		n := f.DropCreateReplies.Load()
		if n <= 0 {
			return false
		}
		if f.DropCreateReplies.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// NewFaultyClient returns an S3 client of the AWS SDK v2 for the server at
// endpoint, configured as Client is, with f's faults.
func NewFaultyClient(endpoint string, f *Faults) *s3.Client {
	return newClient(endpoint, envOr(EnvAccessKey, AccessKey), envOr(EnvSecretKey, SecretKey), func(o *s3.Options) {
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

// NewFaultyBucket creates bucket name on the server at endpoint if needed
// and opens it through s3blob with f's faults; it is closed when t ends.
func NewFaultyBucket(t testing.TB, endpoint, name string, f *Faults) *blob.Bucket {
	t.Helper()
	return openBucket(t, NewFaultyClient(endpoint, f), name)
}
