package rbactest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/sextant-ml/sextant/rbac"
)

func TestAuthenticatorConformance(t *testing.T) {
	t.Run("bearer", func(t *testing.T) {
		RunAuthenticatorConformance(t,
			func(*testing.T) rbac.Authenticator {
				return rbac.BearerToken{Verify: func(_ context.Context, tok string) (rbac.Subject, error) {
					if tok == "good" {
						return rbac.Subject{Name: "rita"}, nil
					}
					return rbac.Subject{}, errors.New("unknown token")
				}}
			},
			func(r *http.Request) { r.Header.Set("Authorization", "Bearer good") })
	})
	t.Run("client certificate", func(t *testing.T) {
		// The handshake's verification is faked here; the middleware test
		// in package rbac runs a real TLS 1.3 listener.
		leaf := &x509.Certificate{Subject: pkix.Name{CommonName: "rita", Organization: []string{"release"}}}
		RunAuthenticatorConformance(t,
			func(*testing.T) rbac.Authenticator { return rbac.ClientCert{} },
			func(r *http.Request) {
				r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}, VerifiedChains: [][]*x509.Certificate{{leaf}}}
			})
	})
}

func TestSourceConformance(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		RunSourceConformance(t, func(t *testing.T, content []byte) (rbac.Source, func([]byte)) {
			path := filepath.Join(t.TempDir(), "rbac.yaml")
			set := func(b []byte) {
				if err := os.WriteFile(path, b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			set(content)
			return rbac.File(path), set
		})
	})
	bucketSource := func(open func(t *testing.T) *blob.Bucket) func(t *testing.T, content []byte) (rbac.Source, func([]byte)) {
		return func(t *testing.T, content []byte) (rbac.Source, func([]byte)) {
			b := open(t)
			t.Cleanup(func() { b.Close() })
			set := func(data []byte) {
				if err := b.WriteAll(context.Background(), "rbac.yaml", data, nil); err != nil {
					t.Fatal(err)
				}
			}
			set(content)
			return rbac.Object(b, "rbac.yaml"), set
		}
	}
	t.Run("memblob", func(t *testing.T) {
		RunSourceConformance(t, bucketSource(func(*testing.T) *blob.Bucket { return memblob.OpenBucket(nil) }))
	})
	t.Run("fileblob", func(t *testing.T) {
		RunSourceConformance(t, bucketSource(func(t *testing.T) *blob.Bucket {
			b, err := fileblob.OpenBucket(t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}))
	})
}
