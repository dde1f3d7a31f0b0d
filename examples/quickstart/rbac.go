package main

import (
	"context"
	"errors"
	"fmt"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// buckets

	"github.com/sextant-ml/sextant/rbac"
)

// rbacPolicy lets the trainer service account register model versions and
// the release group promote aliases.
const rbacPolicy = `apiVersion: sextant/v1
kind: Role
metadata: {name: trainer}
rules:
  - resources: [models, models/versions]
    verbs: [get, list, create]
---
apiVersion: sextant/v1
kind: Role
metadata: {name: promoter}
rules:
  - resources: [models/aliases]
    verbs: [get, promote, rollback]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: trainers}
role: trainer
subjects: [{kind: ServiceAccount, name: trainer}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: release-promoters}
role: promoter
subjects: [{kind: Group, name: release}]
`

// rbacStep loads a policy from the shared bucket and asks it three
// questions: one registration and two promotions, one of them refused.
func rbacStep(ctx context.Context, d *demo) error {
	bucket, err := blob.OpenBucket(ctx, d.bucketURL)
	if err != nil {
		return err
	}
	defer bucket.Close()
	const key = "policies/rbac.yaml"
	if err := bucket.WriteAll(ctx, key, []byte(rbacPolicy), nil); err != nil {
		return err
	}
	authz, err := rbac.New(nil, nil)
	if err != nil {
		return err
	}
	if _, err := authz.Reload(ctx, rbac.Object(bucket, key)); err != nil {
		return err
	}
	p := authz.Policy()
	d.printf("Loaded %s from the bucket: %d roles, %d bindings\n", key, len(p.Roles), len(p.Bindings))

	trainer := rbac.Subject{Kind: rbac.ServiceAccount, Name: "trainer"}
	rita := rbac.Subject{Kind: rbac.User, Name: "rita", Groups: []string{"release"}}
	asks := []struct {
		who              rbac.Subject
		verb, res, model string
	}{
		{trainer, "create", "models/versions", "fraud-detector/3"},
		{rita, "promote", "models/aliases", "fraud-detector"},
		{trainer, "promote", "models/aliases", "fraud-detector"},
	}
	for i, a := range asks {
		err := authz.Authorize(rbac.WithSubject(ctx, a.who), a.verb, a.res, a.model)
		d.printf("  %s %-8s %-7s %s %q: %v\n", a.who.Kind, a.who.Name, a.verb, a.res, a.model,
			authz.Decide(a.who, a.verb, a.res, "", a.model))
		if allowed := err == nil; allowed != (i < 2) {
			return fmt.Errorf("unexpected answer for %s %s: %v", a.who.Name, a.verb, err)
		}
		if err != nil && !errors.Is(err, rbac.ErrDenied) {
			return err
		}
	}
	return nil
}
