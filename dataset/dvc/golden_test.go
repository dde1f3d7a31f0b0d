package dvc

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The golden files hold the bytes DVC 3 writes for these outputs. Where
// each rule comes from:
//   - Key order md5, size, nfiles, isexec, hash, path: dvc/output.py
//     Output.dumpd (hash_info.to_dict, then Meta.to_dict of dvc_data
//     without isdir, then hash: md5 and path). Meta.to_dict writes size
//     whenever it is known, 0 included, nfiles for directories, and
//     isexec only when true.
//   - Layout: dvc/utils/serialize/_yaml.py dumps with ruamel.yaml's
//     round-trip YAML() and default_flow_style False: block style,
//     indent 2, "- " items holding their first key, width 80, Unicode as
//     is (allow_unicode).
//   - Quoting: ruamel's emitter (emitter.py choose_scalar_style,
//     analyze_scalar) writes a string plain unless it would read back as
//     another YAML 1.2 type (resolver.py: 'true', 'null', '~', '123',
//     '1.5', '2024-01-02', an all-digit md5, digits with an exponent) or
//     plain is not allowed (a leading indicator like '#', '[', '\”, '"',
//     '-' or ': ' / ' #' inside, a trailing ':', leading or trailing
//     spaces). YAML 1.1's y, no, on, off, yes are plain strings in 1.2.
//     Such strings are single-quoted, double-quoted when they hold a '\”
//     or a character that must be escaped (a tab is "\t").
//   - Folding: a plain scalar past column 80 breaks at a space onto a
//     line indented 4; a word longer than 80 gets its own line, after
//     "path: " with its trailing space (emitter.py write_plain).
//
// The files were checked against ruamel.yaml 0.18.6's emitter, the
// version DVC 3 installs; DVC itself (from PyPI) was not run.
func TestGoldenFiles(t *testing.T) {
	foo := "acbd18db4cc2f85cedef654fccc4a4d8"
	three := new(int64(3))
	out := func(p string) Out { return Out{MD5: foo, Size: three, Hash: "md5", Path: p} }
	outs := func(paths ...string) []Out {
		var l []Out
		for _, p := range paths {
			l = append(l, out(p))
		}
		return l
	}
	tests := []struct {
		name string
		outs []Out
		// linuxOnly names paths Windows refuses (backslash, colon).
		linuxOnly bool
	}{
		{"plain", outs("data.csv"), false},
		{"size-zero", []Out{{MD5: "d41d8cd98f00b204e9800998ecf8427e", Size: new(int64(0)), Hash: "md5", Path: "empty.txt"}}, false},
		{"executable", []Out{{MD5: foo, Size: three, IsExec: true, Hash: "md5", Path: "run.sh"}}, false},
		{"digit-md5", []Out{{MD5: "12345678901234567890123456789012", Size: three, Hash: "md5", Path: "digits.bin"}}, false},
		{"float-md5", []Out{{MD5: "12345678901234567890123456789e12", Size: three, Hash: "md5", Path: "float.bin"}}, false},
		{"yaml11-words", outs("y", "no", "on", "off", "yes", "Y", "NO"), false},
		{"yaml12-words", outs("true", "False", "null", "~", "123", "1.5", "2024-01-02"), false},
		{"colon", outs("a:b", "c:", "d: e"), true},
		{"backslash", outs(`a\b`, `C:\data\x.csv`), true},
		{"tab", outs("a\tb"), false},
		{"spaces", outs("my data file.csv", " lead", "trail ", "x #y"), false},
		{"quotes", outs("it's", "'quoted'", `"dq"`, "#hash", "-", "- x", "[x]"), false},
		{"unicode", outs("données/日本語 😀.csv"), false},
		{"directory", []Out{{MD5: "5fc28ea78987408341668eba6525ebd1.dir", Size: new(int64(10)), NFiles: new(3), Hash: "md5", Path: "data"}}, false},
		{"long-path", outs("a directory whose name is long/and a file name that is long too, with spaces in it.csv",
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden, err := os.ReadFile(filepath.Join("testdata", "golden", tt.name+".dvc"))
			if err != nil {
				t.Fatal(err)
			}
			want := &File{Outs: tt.outs}
			got, err := Parse(golden)
			if tt.linuxOnly && runtime.GOOS == "windows" {
				if !errors.Is(err, ErrInvalidFile) {
					t.Fatalf("Parse on Windows: %v, want ErrInvalidFile", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
			written, err := want.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(golden), string(written)); diff != "" {
				t.Errorf("Marshal (-golden +got):\n%s", diff)
			}
			again, err := Parse(written)
			if err != nil {
				t.Fatalf("re-parse: %v", err)
			}
			if diff := cmp.Diff(want, again); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseScalarsAsStrings reads string fields by their text, as DVC's
// YAML 1.2 reader does for y/no/on and as its md5 schema does for an
// all-digit md5 (vol.Coerce(str)); booleans and sizes keep YAML 1.2's
// narrow forms.
func TestParseScalarsAsStrings(t *testing.T) {
	const head = "outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  hash: md5\n"
	tests := []struct {
		name, in string
		want     Out
	}{
		{"tilde", head + "  path: ~\n", Out{MD5: "acbd18db4cc2f85cedef654fccc4a4d8", Hash: "md5", Path: "~"}},
		{"null", head + "  path: null\n", Out{MD5: "acbd18db4cc2f85cedef654fccc4a4d8", Hash: "md5", Path: "null"}},
		{"true", head + "  path: true\n", Out{MD5: "acbd18db4cc2f85cedef654fccc4a4d8", Hash: "md5", Path: "true"}},
		{"number", head + "  path: 0x10\n", Out{MD5: "acbd18db4cc2f85cedef654fccc4a4d8", Hash: "md5", Path: "0x10"}},
		{"unquoted digit md5", "outs:\n- md5: 12345678901234567890123456789012\n  hash: md5\n  path: a\n",
			Out{MD5: "12345678901234567890123456789012", Hash: "md5", Path: "a"}},
		{"newline name", head + "  path: \"a\\nb\"\n", Out{MD5: "acbd18db4cc2f85cedef654fccc4a4d8", Hash: "md5", Path: "a\nb"}},
		{"cache true is the default", head + "  path: a\n  cache: true\n  push: true\n", Out{MD5: "acbd18db4cc2f85cedef654fccc4a4d8", Hash: "md5", Path: "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]Out{tt.want}, f.Outs); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRejectsPathTricksAndYAML11(t *testing.T) {
	const head = "outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  hash: md5\n"
	tests := map[string]string{
		"absolute":        head + "  path: /etc/passwd\n",
		"dot dot":         head + "  path: a/../../b\n",
		"dot":             head + "  path: ./a\n",
		"nul":             head + "  path: \"a\\0b\"\n",
		"empty":           head + "  path: ''\n",
		"isexec yes":      head + "  path: a\n  isexec: yes\n",
		"size hex":        head + "  path: a\n  size: 0x10\n",
		"size quoted":     head + "  path: a\n  size: '3'\n",
		"path list":       head + "  path: [a]\n",
		"alias":           "outs:\n- &o {md5: acbd18db4cc2f85cedef654fccc4a4d8, hash: md5, path: a}\n- *o\n",
		"two documents":   head + "  path: a\n---\n" + head + "  path: b\n",
		"explicit int":    head + "  path: !!int 3\n",
		"duplicate field": head + "  path: a\n  path: b\n",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(in)); !errors.Is(err, ErrInvalidFile) {
				t.Errorf("Parse: %v, want ErrInvalidFile", err)
			}
		})
	}
}

// TestLinuxNamesAccepted: names DVC tracks on Linux are read from .dvc
// files and listings alike.
func TestLinuxNamesAccepted(t *testing.T) {
	names := []string{"a:b", `a\b`, "a\tb", "c:", "x\x01y"}
	if runtime.GOOS == "windows" {
		names = []string{"a\tb", "x\x01y"}
	}
	for _, n := range names {
		f := &File{Outs: []Out{{MD5: "acbd18db4cc2f85cedef654fccc4a4d8", Hash: "md5", Path: n}}}
		data, err := f.Marshal()
		if err != nil {
			t.Fatalf("%q: %v", n, err)
		}
		got, err := Parse(data)
		if err != nil || got.Outs[0].Path != n {
			t.Errorf("%q: read back %+v, %v", n, got, err)
		}
		if _, err := ParseListing(EncodeListing([]DirEntry{{MD5: "acbd18db4cc2f85cedef654fccc4a4d8", RelPath: n}})); err != nil {
			t.Errorf("listing with %q: %v", n, err)
		}
	}
}
