// Command funclen fails when a non-test Go function is longer than a limit.
//
// Long functions are where review stops following the code, so the limit is a
// build rule rather than a style note. Functions named in the allow-list file
// (one "pkg.Name" or "pkg.Recv.Name" a line, # comments allowed) are reported
// but tolerated, so work that splits them can land in any order; an entry that
// no longer matches a long function is pointed out so it gets deleted.
//
// Usage: funclen [-max 80] [-allow file] [dir ...]
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	maxLines := flag.Int("max", 80, "longest allowed function, in lines (signature to closing brace)")
	allowFile := flag.String("allow", "", "file listing functions tolerated over the limit")
	flag.Parse()
	roots := flag.Args()
	if len(roots) == 0 {
		roots = []string{"."}
	}
	code, err := run(os.Stdout, roots, *maxLines, *allowFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "funclen:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

// longFunc is one function over the limit.
type longFunc struct {
	Pos   token.Position
	Name  string // pkg.Func or pkg.Recv.Method
	Lines int
}

// run reports long functions under roots and returns the exit code: 0 when
// every long function is allowed, 1 otherwise.
func run(w io.Writer, roots []string, maxLines int, allowFile string) (int, error) {
	allowed, err := readAllow(allowFile)
	if err != nil {
		return 0, err
	}
	var found []longFunc
	for _, root := range roots {
		fs, err := scan(root, maxLines)
		if err != nil {
			return 0, err
		}
		found = append(found, fs...)
	}
	code := 0
	seen := map[string]bool{}
	for _, f := range found {
		seen[f.Name] = true
		if allowed[f.Name] {
			fmt.Fprintf(w, "%s: %s is %d lines (allowed for now, limit %d)\n", f.Pos, f.Name, f.Lines, maxLines)
			continue
		}
		fmt.Fprintf(w, "%s: %s is %d lines, limit %d\n", f.Pos, f.Name, f.Lines, maxLines)
		code = 1
	}
	var stale []string
	for name := range allowed {
		if !seen[name] {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	for _, name := range stale {
		fmt.Fprintf(w, "note: %s is listed in %s but is not over %d lines: delete the entry\n", name, allowFile, maxLines)
	}
	return code, nil
}

// readAllow reads the allow-list; a missing name means an empty list.
func readAllow(name string) (map[string]bool, error) {
	allowed := map[string]bool{}
	if name == "" {
		return allowed, nil
	}
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return allowed, nil
	}
	if err != nil {
		return nil, fmt.Errorf("allow-list: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line != "" {
			allowed[line] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("allow-list %s: %w", name, err)
	}
	return allowed, nil
}

// scan parses every non-test .go file under root, skipping testdata, vendor
// and hidden directories, and returns the functions over maxLines in file order.
func scan(root string, maxLines int) ([]longFunc, error) {
	var found []longFunc
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			base := d.Name()
			if path != root && (base == "testdata" || base == "vendor" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("parse: %w", err)
		}
		found = append(found, longFuncs(fset, file, maxLines)...)
		return nil
	})
	return found, err
}

// longFuncs returns the top-level functions and methods of file over maxLines.
// Function literals count toward the function that contains them.
func longFuncs(fset *token.FileSet, file *ast.File, maxLines int) []longFunc {
	var found []longFunc
	for _, decl := range file.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		start := fset.Position(fd.Pos())
		n := fset.Position(fd.End()).Line - start.Line + 1
		if n > maxLines {
			found = append(found, longFunc{Pos: start, Name: funcName(file.Name.Name, fd), Lines: n})
		}
	}
	return found
}

// funcName is pkg.Func for functions and pkg.Recv.Method for methods
// (pointer and type parameters dropped).
func funcName(pkg string, fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return pkg + "." + fd.Name.Name
	}
	return pkg + "." + recvName(fd.Recv.List[0].Type) + "." + fd.Name.Name
}

// recvName is the type name of a receiver expression such as *T, T[K] or (T).
func recvName(t ast.Expr) string {
	switch x := t.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.StarExpr:
		return recvName(x.X)
	case *ast.IndexExpr:
		return recvName(x.X)
	case *ast.IndexListExpr:
		return recvName(x.X)
	case *ast.ParenExpr:
		return recvName(x.X)
	}
	return "?"
}
