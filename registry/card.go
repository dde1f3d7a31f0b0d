package registry

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/rbac"
)

// DefaultCardTemplate renders a model card in Markdown with the sections a
// reader expects: overview, training data and lineage, evaluation metrics,
// parameters, files, and deployment steps. It is a text/template over
// CardData; the function cell escapes a value for a Markdown table cell.
const DefaultCardTemplate = `# {{.Model.Name}} version {{.Version.Number}}

## Overview

{{with .Model.Description}}{{.}}

{{end}}{{with .Version.Description}}{{.}}

{{end}}- Reference: ` + "`{{.Ref}}`" + `
- Status: {{.Version.Status}}{{if .Version.Archived}} (archived){{end}}
- Author: {{or .Version.Author "unknown"}}
- Registered: {{.Version.Created.UTC.Format "2006-01-02 15:04:05 UTC"}}
{{- if .Version.Aliases}}
- Aliases: {{range $i, $a := .Version.Aliases}}{{if $i}}, {{end}}` + "`{{$a}}`" + `{{end}}{{end}}
{{- range .Tags}}
- {{.Name}}: {{.Value}}{{end}}

## Training data

{{- with .Version.Lineage}}
{{if .Datasets}}
Datasets (manifest digests):
{{range .Datasets}}
- ` + "`{{.}}`" + `{{end}}
{{else}}
No dataset recorded.
{{end}}
- Code revision: {{or .CodeRevision "not recorded"}}
- Run: {{or .RunID "not recorded"}}
- Source: {{or .Source "not recorded"}}
- Parent version: {{if .Parent}}{{.Parent}}{{else}}none{{end}}
{{- end}}

## Evaluation metrics
{{if .Metrics}}
| Metric | Value |
|---|---|
{{range .Metrics}}| {{cell .Name}} | {{.Value}} |
{{end}}{{else}}
No metrics recorded.
{{end}}
## Parameters
{{if .Params}}
| Parameter | Value |
|---|---|
{{range .Params}}| {{cell .Name}} | {{cell .Value}} |
{{end}}{{else}}
No parameters recorded.
{{end}}
## Files

| Path | Size | Digest |
|---|---|---|
{{range .Version.Files}}| {{cell .Path}} | {{.Size}} | ` + "`{{.Digest}}`" + ` |
{{end}}
## Deployment

1. Resolve the version: ` + "`reg.Resolve(ctx, \"{{.Ref}}\")`" + `{{with .Version.Aliases}}, or through its alias ` + "`{{$.Model.Name}}@{{index . 0}}`" + `{{end}}.
2. {{if .Version.Signatures}}Verify its signature ({{len .Version.Signatures}} recorded): ` + "`reg.Verify(ctx, \"{{.Ref}}\", trustedKeys)`" + `.{{else}}The version is not signed; sign it with ` + "`reg.Sign`" + ` before production use.{{end}}
3. Fetch the files, each checked against its digest: ` + "`reg.Load(ctx, \"{{.Ref}}\", dir)`" + `.
4. Promote with a gate: ` + "`reg.Promote(ctx, \"{{.Ref}}\", \"production\", gate)`" + `.
`

// NameValue is one row of a card table.
type NameValue struct {
	Name, Value string
}

// CardData is what a card template receives.
type CardData struct {
	Model   *Model
	Version *Version
	Ref     string      // "name/N"
	Tags    []NameValue // the version's tags, sorted
	Params  []NameValue // sorted
	Metrics []NameValue // sorted, values formatted with strconv 'g'
}

// CardOptions choose the template.
type CardOptions struct {
	// Template is a text/template over CardData. Default DefaultCardTemplate.
	Template string
}

var cardFuncs = template.FuncMap{
	"cell": func(s string) string {
		return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
	},
}

// RenderCard renders the card of v (a version of m) with tmpl, or
// DefaultCardTemplate when tmpl is empty. Errors match ErrInvalidArgument.
func RenderCard(m *Model, v *Version, tmpl string) ([]byte, error) {
	if m == nil || v == nil {
		return nil, fmt.Errorf("%w: card of a nil model or version", ErrInvalidArgument)
	}
	if tmpl == "" {
		tmpl = DefaultCardTemplate
	}
	t, err := template.New("card").Funcs(cardFuncs).Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return nil, fmt.Errorf("%w: card template: %w", ErrInvalidArgument, err)
	}
	data := CardData{Model: m, Version: v, Ref: v.Ref().String(), Tags: sortedPairs(v.Tags), Params: sortedPairs(v.Params)}
	for _, k := range slices.Sorted(maps.Keys(v.Metrics)) {
		data.Metrics = append(data.Metrics, NameValue{k, strconv.FormatFloat(v.Metrics[k], 'g', -1, 64)})
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("%w: card template: %w", ErrInvalidArgument, err)
	}
	return b.Bytes(), nil
}

func sortedPairs(m map[string]string) []NameValue {
	out := make([]NameValue, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, NameValue{k, m[k]})
	}
	return out
}

// RenderCard renders the model card of the version ref names.
func (r *Registry) RenderCard(ctx context.Context, ref string, opts *CardOptions) ([]byte, error) {
	st, n, err := r.lookup(ctx, ref, rbac.VerbGet, false)
	if err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &CardOptions{}
	}
	return RenderCard(st.modelView(), st.view(n), opts.Template)
}

// SaveCard renders the card of the version ref names, stores it in the
// artifact store and records it beside the version (Version.Card). It returns
// the card's digest.
func (r *Registry) SaveCard(ctx context.Context, ref string, opts *CardOptions) (artifact.Digest, error) {
	st, n, err := r.lookup(ctx, ref, rbac.VerbUpdate, true)
	if err != nil {
		return "", err
	}
	if opts == nil {
		opts = &CardOptions{}
	}
	card, err := RenderCard(st.modelView(), st.view(n), opts.Template)
	if err != nil {
		return "", err
	}
	desc, err := r.put(ctx, bytes.NewReader(card))
	if err != nil {
		return "", err
	}
	_, err = r.changeVersionFrom(ctx, st.name, n, func(*state) (*record, error) {
		return &record{Type: EventCardSet, Version: n, Digest: desc.Digest}, nil
	})
	if err != nil {
		return "", err
	}
	return desc.Digest, nil
}

// Card returns the stored model card of the version ref names; errors match
// ErrNotFound when none was saved.
func (r *Registry) Card(ctx context.Context, ref string) ([]byte, error) {
	st, n, err := r.lookup(ctx, ref, rbac.VerbGet, false)
	if err != nil {
		return nil, err
	}
	v := st.versions[n-1]
	if v.Card == "" {
		return nil, fmt.Errorf("%w: no card saved for %s/%d", ErrNotFound, v.Model, v.Number)
	}
	return r.getBlob(ctx, v.Card)
}
