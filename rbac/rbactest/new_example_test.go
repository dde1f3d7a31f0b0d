package rbactest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/rbac/rbactest"
)

// New compiles a literal policy, and a Recorder shows which questions the
// code under test asked. New takes a test's testing.TB; an example has
// none, so testing.Benchmark lends one here (it may call the function more
// than once; each call starts afresh). In a test, pass t, as
// TestPromoteAsksForPermission does.
func ExampleNew() {
	var got []string
	testing.Benchmark(func(t *testing.B) {
		got = got[:0]
		authz := rbactest.New(t, `
apiVersion: sextant/v1
kind: Role
metadata: {name: promoter}
rules: [{resources: [models/aliases], verbs: [promote], names: ["fraud-*"]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: release}
role: promoter
subjects: [{kind: User, name: rita}]
`)
		rec := &rbactest.Recorder{Next: authz}
		ctx := rbac.WithSubject(context.Background(), rbac.Subject{Name: "rita"})
		_ = promote(ctx, rec, "fraud-v2")
		_ = promote(ctx, rec, "churn")
		for _, c := range rec.Calls() {
			got = append(got, fmt.Sprint(c.Verb, " ", c.Resource, " ", c.Name, " allowed=", c.Err == nil))
		}
	})
	for _, line := range got {
		fmt.Println(line)
	}
	// Output:
	// promote models/aliases fraud-v2 allowed=true
	// promote models/aliases churn allowed=false
}
