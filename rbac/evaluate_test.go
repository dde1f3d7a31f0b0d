package rbac

import (
	"strings"
	"testing"
)

// evaluate is a verb of its own: granted by name or by "*", never by update.
func TestEvaluateVerb(t *testing.T) {
	p, err := Parse("policy.yaml", []byte(`apiVersion: sextant/v1
kind: Role
metadata: {name: evaluator}
rules: [{resources: [models/versions], verbs: [evaluate]}]
---
apiVersion: sextant/v1
kind: Role
metadata: {name: editor}
rules: [{resources: [models/versions], verbs: [update]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: evaluators}
role: evaluator
subjects: [{kind: ServiceAccount, name: eval}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: editors}
role: editor
subjects: [{kind: ServiceAccount, name: edit}]
`))
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, subject, verb string
		want                bool
	}{
		{"evaluator evaluates", "eval", "evaluate", true},
		{"evaluator may not update", "eval", "update", false},
		{"editor updates", "edit", "update", true},
		{"editor may not evaluate", "edit", "evaluate", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := a.Decide(Subject{Kind: ServiceAccount, Name: tt.subject}, tt.verb, "models/versions", "", "fraud")
			if d.Allowed != tt.want {
				t.Fatalf("Decide(%s %s) = %v, want allowed %v", tt.subject, tt.verb, d, tt.want)
			}
		})
	}
	if !strings.Contains(strings.Join(Verbs(), " "), "evaluate") {
		t.Errorf("Verbs() = %v lacks evaluate", Verbs())
	}
}
