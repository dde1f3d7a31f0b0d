// Package s3test runs an in-process S3 server (gofakes3 on an httptest
// listener) for tests that drive the real AWS SDK v2 through gocloud's
// s3blob driver. The server honours conditional writes (If-None-Match: *),
// so create-only logs behave as they do on AWS.
package s3test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"
)

// Credentials and region the server accepts; any values work with gofakes3.
const (
	AccessKey = "sextant-test"
	SecretKey = "sextant-test-secret"
	Region    = "us-east-1"
)

// Server is a running in-process S3 server.
type Server struct {
	srv     *httptest.Server
	backend *s3mem.Backend

	mu      sync.Mutex
	corrupt map[string]int64 // "bucket/key" -> offset of the byte to flip
}

// New starts a server that stops when t ends.
func New(t testing.TB) *Server {
	t.Helper()
	backend := s3mem.New()
	faker := gofakes3.New(backend, gofakes3.WithAutoBucket(true))
	s := &Server{backend: backend, corrupt: map[string]int64{}}
	s.srv = httptest.NewServer(s.tamper(faker.Server()))
	t.Cleanup(s.srv.Close)
	return s
}

// CorruptGets makes every whole-object GET of key in bucket return the
// stored bytes with the byte at offset flipped, together with an
// x-amz-checksum-crc32 header of the bytes as stored: what a client sees
// when bits rot on the server's disk, or in transit, under a checksum
// recorded at upload. The AWS SDK then fails the read with its own
// checksum error. A negative offset stops the corruption.
func (s *Server) CorruptGets(bucket, key string, offset int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if offset < 0 {
		delete(s.corrupt, bucket+"/"+key)
		return
	}
	s.corrupt[bucket+"/"+key] = offset
}

// tamper applies CorruptGets to the responses of next.
func (s *Server) tamper(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		off, ok := s.corrupt[strings.TrimPrefix(r.URL.Path, "/")]
		s.mu.Unlock()
		if !ok || r.Method != http.MethodGet || r.Header.Get("Range") != "" || r.URL.Query().Has("partNumber") {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if rec.Code == http.StatusOK && off < int64(len(body)) {
			var sum [4]byte
			binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE(body))
			rec.Header().Set("x-amz-checksum-crc32", base64.StdEncoding.EncodeToString(sum[:]))
			body = bytes.Clone(body)
			body[off] ^= 0x01
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// Endpoint returns the server's base URL.
func (s *Server) Endpoint() string { return s.srv.URL }

// Client returns an S3 client of the AWS SDK v2 pointed at the server.
func (s *Server) Client() *s3.Client { return newClient(s.srv.URL, AccessKey, SecretKey) }

// newClient returns an S3 client for endpoint with path-style addressing.
// It computes and checks checksums when the API supports them, the
// defaults that config.LoadDefaultConfig (and so an s3:// URL) gives; a
// bare aws.Config leaves them unset, which checks no response checksum.
func newClient(endpoint, access, secret string, optFns ...func(*s3.Options)) *s3.Client {
	cfg := aws.Config{
		Region:                     Region,
		Credentials:                credentials.NewStaticCredentialsProvider(access, secret, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	return s3.NewFromConfig(cfg, append([]func(*s3.Options){func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	}}, optFns...)...)
}

// Bucket creates (if needed) and opens bucket name through s3blob; it is
// closed when t ends.
func (s *Server) Bucket(t testing.TB, name string) *blob.Bucket {
	t.Helper()
	return openBucket(t, s.Client(), name)
}

// openBucket creates bucket name through client unless it exists, and
// opens it through s3blob; it is closed when t ends.
func openBucket(t testing.TB, client *s3.Client, name string) *blob.Bucket {
	t.Helper()
	ctx := context.Background()
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

// URL returns an s3:// URL for bucket name on this server, for code that
// opens buckets by URL (for example a child process). The credentials are
// taken from the environment; SetEnv sets them.
func (s *Server) URL(name string) string {
	q := url.Values{}
	q.Set("endpoint", s.srv.URL)
	q.Set("region", Region)
	q.Set("use_path_style", "true")
	q.Set("disable_https", "true")
	return fmt.Sprintf("s3://%s?%s", name, q.Encode())
}

// Env returns the AWS credential variables the URL form needs, with
// AWS_PROFILE empty so that no shared profile is read: for the environment
// of a child process.
func Env() map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":     AccessKey,
		"AWS_SECRET_ACCESS_KEY": SecretKey,
		"AWS_REGION":            Region,
		"AWS_PROFILE":           "",
	}
}

// SetEnv sets the variables of Env for the duration of t (child processes
// inherit them).
func SetEnv(t testing.TB) {
	for k, v := range Env() {
		t.Setenv(k, v)
	}
}
