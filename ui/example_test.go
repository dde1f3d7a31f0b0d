package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/registry"
	"github.com/sextant-ml/sextant/ui"
)

// ExampleNew mounts the UI under /ml/ of a service, authorizing every page
// for the user an authenticating proxy names in a header.
func ExampleNew() {
	ctx := context.Background()
	store, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		panic(err)
	}
	defer store.Close()
	reg, err := registry.Open(ctx, store, nil)
	if err != nil {
		panic(err)
	}
	if _, err := reg.CreateModel(ctx, "churn", nil); err != nil {
		panic(err)
	}
	policy, err := rbac.Parse("policy.yaml", []byte(`
apiVersion: sextant/v1
kind: Role
metadata: {name: model-viewer}
rules: [{resources: [models, models/versions, models/aliases], verbs: [get, list]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: analysts}
role: model-viewer
subjects: [{kind: User, name: ana}]
`))
	if err != nil {
		panic(err)
	}
	authz, err := rbac.New(policy, nil)
	if err != nil {
		panic(err)
	}
	h, err := ui.New(&ui.Options{
		Registry: reg, Artifacts: store, Authorizer: authz,
		Subject: func(r *http.Request) (rbac.Subject, error) {
			return rbac.Subject{Name: r.Header.Get("X-Forwarded-User")}, nil
		},
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ml/", http.StripPrefix("/ml", h))

	for _, user := range []string{"ana", "bo"} {
		req := httptest.NewRequest(http.MethodGet, "/ml/models/churn", nil)
		req.Header.Set("X-Forwarded-User", user)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println(user, rec.Code)
	}
	// Output:
	// ana 200
	// bo 403
}
