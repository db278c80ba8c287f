package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxFuncLines is the longest a function in the binary may be: the lines
// of its body, from the one after the opening brace through the closing
// brace. The binary only wires: a subcommand that needs more gets its own
// constructor, or its logic a package.
const maxFuncLines = 80

// TestNoLongFunctions keeps every function of the binary, and every
// function literal inside one, within maxFuncLines.
func TestNoLongFunctions(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, long := range longFunctions(fset, f, maxFuncLines) {
			t.Errorf("%s: %s is %d lines long (at most %d): give its parts constructors or functions of their own", fset.Position(long.pos), long.name, long.lines, maxFuncLines)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no Go file checked: the test must run in cmd/quarry")
	}
}

// TestLongFunctionsFound checks the counting itself on a function one
// line too long and one just short enough.
func TestLongFunctionsFound(t *testing.T) {
	t.Parallel()
	body := func(n int) string { return strings.Repeat("\t_ = 0\n", n) }
	// A body of n statements on lines of their own is n+1 lines long.
	src := "package p\n\nfunc fits() {\n" + body(4) + "}\n\n" +
		"func tooLong() {\n\tf := func() {\n" + body(4) + "\t}\n\tf()\n}\n"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range longFunctions(fset, f, 5) {
		got = append(got, l.name)
	}
	if want := "tooLong"; strings.Join(got, ",") != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	got = got[:0]
	for _, l := range longFunctions(fset, f, 4) {
		got = append(got, l.name)
	}
	if want := "fits,tooLong,func literal in tooLong"; strings.Join(got, ",") != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

type longFunc struct {
	name  string
	pos   token.Pos
	lines int
}

// longFunctions lists the functions and function literals of f whose
// bodies span more than limit lines.
func longFunctions(fset *token.FileSet, f *ast.File, limit int) []longFunc {
	var out []longFunc
	span := func(b *ast.BlockStmt) int {
		return fset.Position(b.Rbrace).Line - fset.Position(b.Lbrace).Line
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		if n := span(fd.Body); n > limit {
			out = append(out, longFunc{fd.Name.Name, fd.Pos(), n})
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if lit, ok := n.(*ast.FuncLit); ok {
				if l := span(lit.Body); l > limit {
					out = append(out, longFunc{"func literal in " + fd.Name.Name, lit.Pos(), l})
				}
			}
			return true
		})
	}
	return out
}
