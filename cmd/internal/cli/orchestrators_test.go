package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	_ "gocloud.dev/blob/memblob"
	"sigs.k8s.io/yaml"
)

// The Argo Workflow and the Airflow DAG under engines/ call the sextant
// command. TestOrchestratorCommandLines extracts every sextant command line
// from them and runs it through Run, so a renamed command or flag breaks
// this test rather than a retraining job: each must get past the parsing of
// its command and flags (any exit status but ExitUsage). The commands do run,
// against an empty mem:// bucket in an empty directory, and fail there on the
// files and versions they do not find, which is expected.

// sextantLine is one sextant command line found in a file.
type sextantLine struct {
	where string
	args  []string // after "sextant"
}

// templateRE matches an Argo or Jinja template expression; each stands for
// a value computed at run time (a version number, a model name).
var templateRE = regexp.MustCompile(`\{\{[^}]*\}\}`)

// fillTemplates replaces template expressions by "1", which every flag the
// files template accepts (names, paths, version numbers).
func fillTemplates(s string) string { return templateRE.ReplaceAllString(s, "1") }

// shellLines returns the sextant command lines of a shell script: a line
// whose first word is sextant, up to a redirection or an operator.
func shellLines(t *testing.T, where, script string) []sextantLine {
	t.Helper()
	var out []sextantLine
	for n, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "sextant ") {
			if strings.Contains(line, "sextant ") {
				t.Errorf("%s: line %d calls sextant other than at its start, which this test cannot check: %q", where, n+1, line)
			}
			continue
		}
		words, err := shellWords(fillTemplates(line))
		if err != nil {
			t.Errorf("%s: line %d: %v", where, n+1, err)
			continue
		}
		out = append(out, sextantLine{where: fmt.Sprintf("%s line %d", where, n+1), args: words[1:]})
	}
	return out
}

// shellWords splits a simple POSIX shell command into words (quotes and
// backslashes as sh reads them), stopping at a redirection, a pipe, a
// semicolon or an &. Expansions ($) are refused: the test could not know
// their value.
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$':
			return nil, fmt.Errorf("shell expansion in %q", s)
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case strings.IndexByte("><|;&", c) >= 0:
			if inWord {
				words = append(words, w.String())
			}
			return words, nil
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '$' {
					return nil, fmt.Errorf("shell expansion in %q", s)
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0 {
					i++
				}
				w.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated \" in %q", s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			inWord = true
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// commandLines returns the sextant command lines of a container's command
// and arguments: the arguments themselves after a command [sextant], the
// lines of the script after [sh, -c].
func commandLines(t *testing.T, where string, command, args []string) []sextantLine {
	t.Helper()
	switch {
	case slices.Equal(command, []string{"sextant"}):
		filled := make([]string, len(args))
		for i, a := range args {
			filled[i] = fillTemplates(a)
		}
		return []sextantLine{{where: where, args: filled}}
	case slices.Equal(command, []string{"sh", "-c"}) && len(args) > 0:
		return shellLines(t, where, args[0])
	}
	return nil
}

func argoLines(t *testing.T, path string) []sextantLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Kind string
		Spec struct {
			Templates []struct {
				Name      string
				Container *struct{ Command, Args []string }
				Script    *struct {
					Command []string
					Source  string
				}
			}
		}
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if wf.Kind != "Workflow" {
		t.Fatalf("%s: kind %q, want Workflow", path, wf.Kind)
	}
	var out []sextantLine
	for _, tpl := range wf.Spec.Templates {
		where := path + " template " + tpl.Name
		switch {
		case tpl.Container != nil:
			out = append(out, commandLines(t, where, tpl.Container.Command, tpl.Container.Args)...)
		case tpl.Script != nil:
			out = append(out, shellLines(t, where, tpl.Script.Source)...)
		}
	}
	return out
}

// pyStringRE matches a Python string literal: triple-quoted, double- or
// single-quoted (no prefixes such as f or r).
var pyStringRE = regexp.MustCompile(`(?s)"""(.*?)"""|"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'`)

// pyStrings returns the values of the string literals of a Python list's
// body, escapes decoded.
func pyStrings(t *testing.T, where, body string) []string {
	t.Helper()
	var out []string
	for _, m := range pyStringRE.FindAllStringSubmatch(body, -1) {
		s := m[1] + m[2] + m[3]
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] != '\\' || i+1 == len(s) {
				b.WriteByte(s[i])
				continue
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case '\\', '"', '\'':
				b.WriteByte(s[i])
			default:
				t.Fatalf("%s: escape \\%c this test does not decode", where, s[i])
			}
		}
		out = append(out, b.String())
	}
	return out
}

// podRE matches the cmds and arguments of a KubernetesPodOperator.
var podRE = regexp.MustCompile(`(?s)cmds=\[([^\]]*)\],\s*arguments=\[(.*?)\],\n`)

func airflowLines(t *testing.T, path string) []sextantLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	var out []sextantLine
	pods := podRE.FindAllStringSubmatchIndex(src, -1)
	for _, m := range pods {
		line := strings.Count(src[:m[0]], "\n") + 1
		where := fmt.Sprintf("%s:%d", path, line)
		out = append(out, commandLines(t, where, pyStrings(t, where, src[m[2]:m[3]]), pyStrings(t, where, src[m[4]:m[5]]))...)
	}
	if n := strings.Count(src, "cmds="); n != len(pods) {
		t.Fatalf("%s: %d cmds= but %d read with their arguments", path, n, len(pods))
	}
	return out
}

func TestOrchestratorCommandLines(t *testing.T) {
	root := filepath.Join("..", "..", "..", "engines")
	files := map[string][]sextantLine{
		"argo":    argoLines(t, filepath.Join(root, "argo", "workflow.yaml")),
		"airflow": airflowLines(t, filepath.Join(root, "airflow", "retrain_dag.py")),
	}
	t.Chdir(t.TempDir())
	t.Setenv("SEXTANT_BUCKET", "mem://")
	t.Setenv("SEXTANT_DVC_REMOTE", "")
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	want := []string{"data pull", "drift report", "models register", "models gate", "models promote"}
	for name, lines := range files {
		t.Run(name, func(t *testing.T) {
			var seen []string
			for _, l := range lines {
				if len(l.args) < 2 {
					t.Errorf("%s: sextant %q names no command", l.where, l.args)
					continue
				}
				seen = append(seen, l.args[0]+" "+l.args[1])
				var stderr bytes.Buffer
				code := Run(context.Background(), l.args, &bytes.Buffer{}, &stderr)
				t.Logf("%s: sextant %s: exit status %d", l.where, strings.Join(l.args, " "), code)
				if code == ExitUsage {
					t.Errorf("%s: sextant %s: exit status %d (usage):\n%s", l.where, strings.Join(l.args, " "), code, stderr.String())
				}
				// The same line with a flag the command lacks is refused,
				// so the check above can fail.
				bad := append(slices.Clone(l.args), "-no-such-flag")
				if code := Run(context.Background(), bad, &bytes.Buffer{}, &bytes.Buffer{}); code != ExitUsage {
					t.Errorf("%s: an unknown flag gave exit status %d, want %d", l.where, code, ExitUsage)
				}
			}
			for _, w := range want {
				if !slices.Contains(seen, w) {
					t.Errorf("no sextant %s command found (found %q)", w, seen)
				}
			}
		})
	}
}

func TestShellWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  bool
	}{
		{in: `sextant models gate "m/1" -gate /g.yaml > /tmp/out`, want: []string{"sextant", "models", "gate", "m/1", "-gate", "/g.yaml"}},
		{in: `sextant a 'b c' "d \"e\"" f\ g; rc=1`, want: []string{"sextant", "a", "b c", `d "e"`, "f g"}},
		{in: `sextant a|b`, want: []string{"sextant", "a"}},
		{in: `sextant a $V`, err: true},
		{in: `sextant "a`, err: true},
	} {
		got, err := shellWords(tc.in)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("shellWords(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}
