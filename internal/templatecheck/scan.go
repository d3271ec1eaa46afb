package templatecheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/tanda-batch/tanda/internal/iamactions"
)

// sdkServicePath begins the import path of every AWS SDK for Go v2
// service client package.
const sdkServicePath = "github.com/aws/aws-sdk-go-v2/service/"

// iamPrefixes are the IAM prefixes of the SDK service packages whose
// names differ from them.
var iamPrefixes = map[string]string{"cloudwatchlogs": "logs", "eventbridge": "events"}

// envFuncs are the functions whose first argument names an environment
// variable: os.Getenv and os.LookupEnv, and by Tanda's convention any
// function value called getenv or lookupEnv (awsstack.FromEnv's getenv).
var envFuncs = map[string]bool{"Getenv": true, "LookupEnv": true, "getenv": true, "lookupEnv": true}

// Scan is what a package's non-test source says about its use of AWS and
// of the environment.
type Scan struct {
	// Services are the IAM prefixes of the SDK service packages it imports.
	Services []string
	// Calls are the IAM actions of the SDK operations whose inputs it
	// builds (a <service>.<Operation>Input literal): every call it makes
	// on an SDK client or through a paginator or waiter builds one.
	Calls []string
	// EnvReads are the environment variables it reads.
	EnvReads []string
	// Unresolved are the places it reads a variable whose name is not a
	// string constant.
	Unresolved []string
	// DeclaresActions is whether it declares func Actions() []string.
	DeclaresActions bool
}

// ScanPackages scans the packages' non-test files. Names of environment
// variables resolve through the string constants of all of them.
func ScanPackages(pkgs []Package) (map[string]Scan, error) {
	fset := token.NewFileSet()
	files := map[string][]*ast.File{}
	consts := map[string]map[string]string{}
	for _, p := range pkgs {
		consts[p.ImportPath] = map[string]string{}
		for _, name := range p.Files() {
			f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
			if err != nil {
				return nil, fmt.Errorf("parsing %s: %w", name, err)
			}
			files[p.ImportPath] = append(files[p.ImportPath], f)
			collectConsts(f, consts[p.ImportPath])
		}
	}
	scans := make(map[string]Scan, len(pkgs))
	for _, p := range pkgs {
		var s Scan
		for _, f := range files[p.ImportPath] {
			sc := fileScanner{fset: fset, pkg: p.ImportPath, consts: consts, imports: importNames(f), scan: &s}
			ast.Inspect(f, sc.visit)
		}
		for _, s2 := range []*[]string{&s.Services, &s.Calls, &s.EnvReads} {
			slices.Sort(*s2)
			*s2 = slices.Compact(*s2)
		}
		scans[p.ImportPath] = s
	}
	return scans, nil
}

// collectConsts records the file's string constants.
func collectConsts(f *ast.File, into map[string]string) {
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if v, err := strconv.Unquote(lit.Value); err == nil {
						into[name.Name] = v
					}
				}
			}
		}
	}
}

// importNames maps the names a file gives its imports to their paths.
func importNames(f *ast.File) map[string]string {
	names := map[string]string{}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		name := path.Base(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		names[name] = p
	}
	return names
}

type fileScanner struct {
	fset    *token.FileSet
	pkg     string
	consts  map[string]map[string]string
	imports map[string]string
	scan    *Scan
}

func (fs fileScanner) visit(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.ImportSpec:
		p, _ := strconv.Unquote(x.Path.Value)
		if svc, ok := strings.CutPrefix(p, sdkServicePath); ok && !strings.Contains(svc, "/") {
			fs.scan.Services = append(fs.scan.Services, iamPrefix(svc))
		}
	case *ast.CompositeLit:
		if svc, op, ok := fs.sdkInput(x.Type); ok {
			fs.scan.Calls = append(fs.scan.Calls, iamactions.Action(iamPrefix(svc), op))
		}
	case *ast.CallExpr:
		if fs.isEnvRead(x.Fun) && len(x.Args) > 0 {
			if name, ok := fs.constString(x.Args[0]); ok {
				fs.scan.EnvReads = append(fs.scan.EnvReads, name)
			} else {
				fs.scan.Unresolved = append(fs.scan.Unresolved, fs.fset.Position(x.Pos()).String())
			}
		}
	case *ast.FuncDecl:
		if x.Recv == nil && x.Name.Name == "Actions" && x.Type.Params.NumFields() == 0 && returnsStrings(x.Type) {
			fs.scan.DeclaresActions = true
		}
	}
	return true
}

// sdkInput reports whether a literal's type is an SDK operation's input,
// <service>.<Operation>Input.
func (fs fileScanner) sdkInput(typ ast.Expr) (svc, op string, ok bool) {
	sel, isSel := typ.(*ast.SelectorExpr)
	if !isSel {
		return "", "", false
	}
	id, isID := sel.X.(*ast.Ident)
	if !isID {
		return "", "", false
	}
	svc, isSvc := strings.CutPrefix(fs.imports[id.Name], sdkServicePath)
	op, isInput := strings.CutSuffix(sel.Sel.Name, "Input")
	if !isSvc || strings.Contains(svc, "/") || !isInput || op == "" {
		return "", "", false
	}
	return svc, op, true
}

// isEnvRead reports whether a call's function reads the environment.
func (fs fileScanner) isEnvRead(fun ast.Expr) bool {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name == "getenv" || f.Name == "lookupEnv"
	case *ast.SelectorExpr:
		id, ok := f.X.(*ast.Ident)
		return ok && fs.imports[id.Name] == "os" && envFuncs[f.Sel.Name]
	}
	return false
}

// constString resolves a string literal or a string constant of the
// package or of another scanned package.
func (fs fileScanner) constString(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind == token.STRING {
			v, err := strconv.Unquote(x.Value)
			return v, err == nil
		}
	case *ast.Ident:
		v, ok := fs.consts[fs.pkg][x.Name]
		return v, ok
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok {
			v, ok := fs.consts[fs.imports[id.Name]][x.Sel.Name]
			return v, ok
		}
	}
	return "", false
}

func returnsStrings(ft *ast.FuncType) bool {
	if ft.Results.NumFields() != 1 {
		return false
	}
	at, ok := ft.Results.List[0].Type.(*ast.ArrayType)
	if !ok || at.Len != nil {
		return false
	}
	id, ok := at.Elt.(*ast.Ident)
	return ok && id.Name == "string"
}

// iamPrefix is the IAM prefix of an SDK service package.
func iamPrefix(svc string) string {
	if p, ok := iamPrefixes[svc]; ok {
		return p
	}
	return svc
}
