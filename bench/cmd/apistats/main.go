// Command apistats counts, for every Go package of the module at a root, the
// lines of non-test code, the exported API and the runnable examples, so a
// change to the API's size or to its documentation can be stated as a
// before/after table.
//
//	cd bench && go run ./cmd/apistats -root ..
//
// Per package it prints:
//
//	lines     lines in non-test .go files
//	decls     exported top-level funcs, types, vars and consts, plus exported
//	          methods whose receiver type is exported
//	fields    exported fields of exported struct types and exported methods
//	          of exported interface types
//	examples  Example functions in the package's _test.go files (those of an
//	          external _test package count for the package they sit beside)
//	output    examples among them with an // Output: comment, which go test runs
//	per-ex    decls divided by examples (lower means better covered)
//
// Packages named main, packages under internal/ and under examples/ are
// listed but left out of the public total. Directories named testdata or
// starting with "." or "_" are not walked, nor is a directory holding a
// go.mod of its own (another module: bench, engines/temporal; count one
// with -root pointing at it). The count is purely syntactic
// (go/parser, no type checking), so a build tag excludes nothing.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

type stats struct {
	dir      string
	name     string
	lines    int
	decls    int
	fields   int
	examples int
	output   int
}

func (s stats) public() bool {
	if s.name == "main" {
		return false
	}
	for _, part := range strings.Split(filepath.ToSlash(s.dir), "/") {
		if part == "internal" || part == "examples" {
			return false
		}
	}
	return true
}

func main() {
	root := flag.String("root", ".", "module root to walk")
	flag.Parse()
	all, err := walk(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apistats:", err)
		os.Exit(1)
	}
	print(os.Stdout, all)
}

func walk(root string) ([]stats, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		base := d.Name()
		if rel != "." && (base == "testdata" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
			return filepath.SkipDir
		}
		if rel != "." {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		dirs = append(dirs, path)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []stats
	for _, dir := range dirs {
		s, ok, err := count(dir)
		if err != nil {
			return nil, err
		}
		if ok {
			rel, _ := filepath.Rel(root, dir)
			s.dir = filepath.ToSlash(rel)
			out = append(out, s)
		}
	}
	return out, nil
}

func count(dir string) (stats, bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return stats{}, false, err
	}
	var s stats
	found := false
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") {
			continue
		}
		path := filepath.Join(dir, name)
		src, err := os.ReadFile(path)
		if err != nil {
			return stats{}, false, err
		}
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			return stats{}, false, err
		}
		found = true
		if strings.HasSuffix(name, "_test.go") {
			countExamples(f, &s)
			continue
		}
		if s.name == "" {
			s.name = f.Name.Name
		}
		s.lines += strings.Count(string(src), "\n")
		countAPI(f, &s)
	}
	return s, found && s.name != "", nil
}

func countExamples(f *ast.File, s *stats) {
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Example") {
			continue
		}
		s.examples++
		for _, cg := range f.Comments {
			if cg.Pos() < fn.Body.Lbrace || cg.End() > fn.Body.Rbrace {
				continue
			}
			text := strings.TrimSpace(cg.Text())
			if strings.HasPrefix(text, "Output:") || strings.HasPrefix(text, "Unordered output:") {
				s.output++
				break
			}
		}
	}
}

func countAPI(f *ast.File, s *stats) {
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			if d.Recv == nil || receiverExported(d.Recv) {
				s.decls++
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch spec := spec.(type) {
				case *ast.ValueSpec:
					for _, n := range spec.Names {
						if n.IsExported() {
							s.decls++
						}
					}
				case *ast.TypeSpec:
					if !spec.Name.IsExported() {
						continue
					}
					s.decls++
					switch t := spec.Type.(type) {
					case *ast.StructType:
						s.fields += exportedFields(t.Fields)
					case *ast.InterfaceType:
						s.fields += exportedFields(t.Methods)
					}
				}
			}
		}
	}
}

func exportedFields(fl *ast.FieldList) int {
	n := 0
	for _, fld := range fl.List {
		if len(fld.Names) == 0 {
			// Embedded: exported when the embedded type's name is.
			t := fld.Type
			if st, ok := t.(*ast.StarExpr); ok {
				t = st.X
			}
			switch t := t.(type) {
			case *ast.Ident:
				if t.IsExported() {
					n++
				}
			case *ast.SelectorExpr:
				n++
			}
			continue
		}
		for _, name := range fld.Names {
			if name.IsExported() {
				n++
			}
		}
	}
	return n
}

func receiverExported(recv *ast.FieldList) bool {
	if len(recv.List) == 0 {
		return false
	}
	t := recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.ParenExpr:
			t = x.X
		case *ast.Ident:
			return x.IsExported()
		default:
			return false
		}
	}
}

func print(w *os.File, all []stats) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "package\tlines\tdecls\tfields\texamples\toutput\tper-ex\t")
	var tot stats
	for _, s := range all {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t\n", s.dir, s.lines, s.decls, s.fields, s.examples, s.output, ratio(s.decls, s.examples))
		if s.public() {
			tot.lines += s.lines
			tot.decls += s.decls
			tot.fields += s.fields
			tot.examples += s.examples
			tot.output += s.output
		}
	}
	fmt.Fprintf(tw, "public total\t%d\t%d\t%d\t%d\t%d\t%s\t\n", tot.lines, tot.decls, tot.fields, tot.examples, tot.output, ratio(tot.decls, tot.examples))
	tw.Flush()
}

func ratio(a, b int) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(a)/float64(b))
}
