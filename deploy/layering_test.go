// Package deploy holds the wiring of Tanda's deployments, one folder each:
// local (`tanda up`), awsserver (`tanda serve` and the Lambda functions'
// backend, with provisionfn), awsstack (a stack's names and settings),
// ec2agent (`tanda agent`), and kit (what the servers share). This file
// checks that each deployment carries only what it runs.
package deploy_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/tanda-batch/tanda/"

// deps lists the packages pattern is built from (go list -deps), itself
// included, with the direct imports of each.
func deps(t *testing.T, pattern string) map[string][]string {
	t.Helper()
	statSources(t)
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports", pattern)
	cmd.Dir = ".."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v: %s", pattern, err, stderr.String())
	}
	pkgs := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("reading go list's answer: %v", err)
		}
		pkgs[p.ImportPath] = p.Imports
	}
	return pkgs
}

// statSources stats every Go file of the module, so that go test's cache,
// which sees the files a test opens but not what go list reads, runs these
// tests again when any of them changes.
func statSources(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != ".." {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".go") || d.Name() == "go.mod") {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatalf("listing the module's sources: %v", err)
	}
}

// forbidden are packages (or prefixes of them, ending in "/") that a
// deployment must not carry, and why.
type forbidden map[string]string

var (
	noEmbeddedStore = forbidden{
		"modernc.org/sqlite":        "the embedded SQLite store is tanda up's",
		module + "infra/sqlite":     "the embedded SQLite store is tanda up's",
		module + "infra/localfleet": "in-process instances are tanda up's",
		module + "infra/logfiles":   "log files are tanda up's; AWS has CloudWatch Logs",
		module + "deploy/local":     "tanda up's wiring",
	}
	noTestCode = forbidden{
		module + "internal/templatecheck":       "a test tool",
		module + "internal/tooltest":            "a test tool",
		module + "integration/":                 "tests",
		module + "batch/batchtest":              "test helpers",
		module + "bootstrap/docker/dockertest":  "test helpers",
		module + "internal/controltest":         "test helpers",
		module + "internal/metrics/metricstest": "test helpers",
	}
	noServer = forbidden{
		module + "api/httpapi":       "the API server is the control plane's, not the agent's",
		module + "scheduler":         "the scheduler runs in the control plane",
		module + "deploy/awsserver/": "tanda serve's and the functions' wiring",
		module + "deploy/awsserver":  "tanda serve's and the functions' wiring",
		module + "deploy/kit":        "what the servers share",
		module + "functions/":        "the Lambda functions' code",
	}
	// The agent makes its writes through the agent API (api/agentapi):
	// it has no table client and publishes no events.
	noTables = forbidden{
		module + "infra/dynamo":                            "the agent writes through the agent API, not the tables",
		"github.com/aws/aws-sdk-go-v2/service/dynamodb":    "the agent writes through the agent API, not the tables",
		module + "infra/jobevents":                         "job state changes are published by the control plane",
		"github.com/aws/aws-sdk-go-v2/service/eventbridge": "job state changes are published by the control plane",
	}
	noJobRuntime = forbidden{
		module + "bootstrap/docker":   "the Docker runtime runs on instances",
		"github.com/moby/moby/client": "the Docker client runs on instances",
		module + "bootstrap/process":  "the process runtime runs on instances",
		module + "bootstrap/runtimes": "job runtimes run on instances",
	}
)

func merge(fs ...forbidden) forbidden {
	out := forbidden{}
	for _, f := range fs {
		for k, v := range f {
			out[k] = v
		}
	}
	return out
}

func TestEachDeploymentCarriesOnlyWhatItRuns(t *testing.T) {
	for _, tt := range []struct {
		name, pattern string
		must          forbidden
	}{
		{"tanda agent", "./deploy/ec2agent", merge(noEmbeddedStore, noTestCode, noServer, noTables)},
		{"the api function", "./functions/api", merge(noEmbeddedStore, noTestCode, noJobRuntime)},
		{"the scheduler function", "./functions/scheduler", merge(noEmbeddedStore, noTestCode, noJobRuntime)},
		{"the provisioner function", "./functions/provisioner", merge(noEmbeddedStore, noTestCode, noJobRuntime)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pkgs := deps(t, tt.pattern)
			if len(pkgs) < 10 {
				t.Fatalf("go list -deps %s listed %d packages; expected the program's whole tree", tt.pattern, len(pkgs))
			}
			for pkg := range pkgs {
				for bad, why := range tt.must {
					if pkg == bad || (strings.HasSuffix(bad, "/") && strings.HasPrefix(pkg, bad)) {
						t.Errorf("%s carries %s (%s); imported by %s", tt.name, pkg, why, importers(pkgs, pkg))
					}
				}
			}
		})
	}
}

// The core (the domain, the control plane, the provisioner's decisions and
// the agent) knows no deployment and no adapter: each declares the
// interfaces it needs and the wiring hands it adapters.
func TestTheCoreImportsNoWiringAndNoAdapter(t *testing.T) {
	for _, pattern := range []string{"./batch/...", "./control/...", "./provisioner/...", "./bootstrap/...", "./scheduler/..."} {
		pkgs := deps(t, pattern)
		for pkg, imports := range pkgs {
			if !inPattern(pkg, pattern) {
				continue
			}
			for _, imp := range imports {
				if strings.HasPrefix(imp, module+"deploy/") || strings.HasPrefix(imp, module+"infra/") {
					t.Errorf("%s imports %s: the core must not know the wiring or an adapter", pkg, imp)
				}
			}
		}
	}
}

// inPattern reports whether pkg is one of the packages a "./dir/..."
// pattern names.
func inPattern(pkg, pattern string) bool {
	dir := strings.TrimSuffix(strings.TrimPrefix(pattern, "./"), "/...")
	return pkg == module+dir || strings.HasPrefix(pkg, module+dir+"/")
}

// importers lists the packages of pkgs that import pkg.
func importers(pkgs map[string][]string, pkg string) string {
	var by []string
	for p, imports := range pkgs {
		for _, imp := range imports {
			if imp == pkg {
				by = append(by, strings.TrimPrefix(p, module))
			}
		}
	}
	return strings.Join(by, ", ")
}
