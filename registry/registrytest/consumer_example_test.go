package registrytest_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/registry/registrytest"
)

// Consumer's questions are what a policy for the registry must answer
// (rbactest.RunConformance asks them all). Here a
// read-only role for a serving process is checked against it: the serving
// process may read models, versions and aliases, and nothing else.
func ExampleConsumer() {
	policy, err := rbac.Parse("serving.yaml", []byte(`
apiVersion: sextant/v1
kind: Role
metadata: {name: reader}
rules: [{resources: [models, models/versions, models/aliases], verbs: [get, list]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: serving}
role: reader
subjects: [{kind: ServiceAccount, name: scorer}]
`))
	if err != nil {
		log.Fatal(err)
	}
	authz, err := rbac.New(policy, nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx := rbac.WithSubject(context.Background(), rbac.Subject{Kind: rbac.ServiceAccount, Name: "scorer"})
	denied := 0
	questions := registrytest.Consumer().Questions
	for _, q := range questions {
		if err := authz.Authorize(ctx, q.Verb, q.Resource, "fraud"); err != nil {
			denied++
			continue
		}
		fmt.Println("allowed:", q.Verb, q.Resource)
	}
	fmt.Println("denied:", denied, "of", len(questions))
	// Output:
	// allowed: get models
	// allowed: list models
	// allowed: get models/versions
	// allowed: list models/versions
	// allowed: get models/aliases
	// denied: 11 of 16
}
