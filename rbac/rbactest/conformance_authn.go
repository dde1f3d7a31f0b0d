package rbactest

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/sextant-ml/sextant/rbac"
)

// RunAuthenticatorConformance checks an rbac.Authenticator: a request
// without credentials gives rbac.ErrNoCredentials (so the next
// authenticator may try), a request that withCredentials prepares gives a
// subject with a name and of kind User or ServiceAccount (never Group),
// forged credentials never authenticate, and calls are
// safe to make concurrently.
func RunAuthenticatorConformance(t *testing.T, newAuthenticator func(t *testing.T) rbac.Authenticator, withCredentials func(r *http.Request)) {
	t.Run("no credentials gives ErrNoCredentials", func(t *testing.T) {
		a := newAuthenticator(t)
		_, err := a.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
		if !errors.Is(err, rbac.ErrNoCredentials) {
			t.Errorf("Authenticate(bare request) = %v, want ErrNoCredentials", err)
		}
	})
	t.Run("valid credentials give a named subject", func(t *testing.T) {
		a := newAuthenticator(t)
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		withCredentials(r)
		s, err := a.Authenticate(r)
		if err != nil || s.Name == "" {
			t.Errorf("Authenticate(valid request) = %+v, %v; want a subject with a name", s, err)
		}
		if err == nil && s.Validate() != nil {
			t.Errorf("Authenticate(valid request) = %+v: %v; a request is made by a User or ServiceAccount", s, s.Validate())
		}
	})
	t.Run("forged credentials do not authenticate", func(t *testing.T) {
		a := newAuthenticator(t)
		for _, h := range []string{"Bearer forged-token", "Bearer ", "Basic Zm9yZ2VkOnh4", "forged"} {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", h)
			if s, err := a.Authenticate(r); err == nil {
				t.Errorf("Authorization %q authenticated as %+v", h, s)
			}
		}
	})
	t.Run("safe for concurrent use", func(t *testing.T) {
		a := newAuthenticator(t)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 25 {
					r := httptest.NewRequest(http.MethodGet, "/", nil)
					withCredentials(r)
					if _, err := a.Authenticate(r); err != nil {
						t.Errorf("concurrent Authenticate: %v", err)
						return
					}
				}
			})
		}
		wg.Wait()
	})
}

// RunSourceConformance checks an rbac.Source: Read returns exactly the
// bytes newSource stored and a name for error messages, sees a change of
// those bytes through setContent, and refuses a cancelled context.
func RunSourceConformance(t *testing.T, newSource func(t *testing.T, content []byte) (src rbac.Source, setContent func([]byte))) {
	ctx := context.Background()
	first := []byte("apiVersion: sextant/v1\nkind: Role\nmetadata: {name: r}\n")
	t.Run("read returns the bytes and a name", func(t *testing.T) {
		src, _ := newSource(t, first)
		name, data, err := src.Read(ctx)
		if err != nil || name == "" || !bytes.Equal(data, first) {
			t.Errorf("Read = %q, %q, %v; want a name and %q", name, data, err, first)
		}
	})
	t.Run("read sees a change", func(t *testing.T) {
		src, set := newSource(t, first)
		second := append(bytes.Clone(first), "# changed\n"...)
		set(second)
		if _, data, err := src.Read(ctx); err != nil || !bytes.Equal(data, second) {
			t.Errorf("Read after a change = %q, %v; want %q", data, err, second)
		}
	})
	t.Run("a cancelled context is refused", func(t *testing.T) {
		src, _ := newSource(t, first)
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := src.Read(cancelled); err == nil {
			t.Errorf("Read with a cancelled context succeeded")
		}
	})
	t.Run("an authorizer reloads from it", func(t *testing.T) {
		src, _ := newSource(t, first)
		a, err := rbac.New(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if changed, err := a.Reload(ctx, src); err != nil || !changed {
			t.Errorf("Reload = %v, %v", changed, err)
		}
		if got := a.Policy(); len(got.Roles) != 1 || got.Roles[0].Name != "r" {
			t.Errorf("policy after Reload: %+v", got)
		}
	})
}
