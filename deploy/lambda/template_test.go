package lambda_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestSAMTemplate checks template.yaml against what it deploys: the
// function's code directory is a main package that reads every
// environment variable the template sets, the runtime is the OS-only one a
// Go binary named bootstrap needs, and the three HTTP front doors the
// adapter serves are all declared with the payload formats it reads.
func TestSAMTemplate(t *testing.T) {
	b, err := os.ReadFile("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// CloudFormation's short tags (!Ref, !Sub, !GetAtt) are kept as the
	// scalars they tag.
	var tpl struct {
		Transform string `yaml:"Transform"`
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				CodeUri       string   `yaml:"CodeUri"`
				Handler       string   `yaml:"Handler"`
				Runtime       string   `yaml:"Runtime"`
				Architectures []string `yaml:"Architectures"`
				Environment   struct {
					Variables map[string]string `yaml:"Variables"`
				} `yaml:"Environment"`
				FunctionUrlConfig *struct {
					AuthType string `yaml:"AuthType"`
				} `yaml:"FunctionUrlConfig"`
				Events map[string]struct {
					Type       string `yaml:"Type"`
					Properties struct {
						Path                 string `yaml:"Path"`
						Method               string `yaml:"Method"`
						PayloadFormatVersion string `yaml:"PayloadFormatVersion"`
					} `yaml:"Properties"`
				} `yaml:"Events"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &tpl); err != nil {
		t.Fatal(err)
	}
	if tpl.Transform != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform %q", tpl.Transform)
	}
	fn, ok := tpl.Resources["ServeFunction"]
	if !ok || fn.Type != "AWS::Serverless::Function" {
		t.Fatalf("no AWS::Serverless::Function ServeFunction: %+v", tpl.Resources)
	}
	p := fn.Properties
	if p.Runtime != "provided.al2023" || p.Handler != "bootstrap" {
		t.Errorf("runtime %q handler %q, want provided.al2023 and bootstrap", p.Runtime, p.Handler)
	}
	for _, a := range p.Architectures {
		if a != "arm64" && a != "x86_64" {
			t.Errorf("architecture %q", a)
		}
	}
	src, err := os.ReadFile(filepath.Join(filepath.FromSlash(p.CodeUri), "main.go"))
	if err != nil {
		t.Fatalf("CodeUri %s: %v", p.CodeUri, err)
	}
	if !regexp.MustCompile(`(?m)^package main$`).Match(src) || !strings.Contains(string(src), "lambda.Start(") {
		t.Errorf("%s/main.go is not a main package starting the adapter", p.CodeUri)
	}
	var vars []string
	for k := range p.Environment.Variables {
		vars = append(vars, k)
		if !strings.Contains(string(src), `"`+k+`"`) {
			t.Errorf("the template sets %s, which %s/main.go never reads", k, p.CodeUri)
		}
	}
	slices.Sort(vars)
	for _, need := range []string{"SEXTANT_BUCKET", "SEXTANT_MODEL"} {
		if !slices.Contains(vars, need) {
			t.Errorf("the template does not set %s", need)
		}
	}
	if p.FunctionUrlConfig == nil || p.FunctionUrlConfig.AuthType == "" {
		t.Error("no function URL")
	}
	kinds := map[string]string{}
	for _, ev := range p.Events {
		kinds[ev.Type] = ev.Properties.PayloadFormatVersion
		if ev.Properties.Path != "/{proxy+}" || ev.Properties.Method != "ANY" {
			t.Errorf("event %s routes %s %s, want ANY /{proxy+}", ev.Type, ev.Properties.Method, ev.Properties.Path)
		}
	}
	if v, ok := kinds["HttpApi"]; !ok || v != "2.0" {
		t.Errorf("HttpApi event with payload format %q, want 2.0", v)
	}
	if _, ok := kinds["Api"]; !ok {
		t.Error("no REST API (Api) event")
	}
}
