package templatecheck_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// composeFile is LocalStack's compose file.
const composeFile = "localstack/docker-compose.yml"

// TestLocalStackCompose checks the compose file (docker compose itself is
// not on the build machines): LocalStack with an auth token from the
// environment, on port 4566, with every service `tanda serve` calls, and
// the init hooks mounted.
func TestLocalStackCompose(t *testing.T) {
	doc := readYAML(t, filepath.Join(root, composeFile))
	var compose struct {
		Services map[string]struct {
			Image       string
			Ports       []string
			Environment map[string]string
			Volumes     []string
		}
	}
	if err := json.Unmarshal(doc, &compose); err != nil {
		t.Fatalf("%s: %v", composeFile, err)
	}
	ls, ok := compose.Services["localstack"]
	if !ok {
		t.Fatalf("%s has no localstack service", composeFile)
	}
	if !strings.HasPrefix(ls.Image, "localstack/localstack") {
		t.Errorf("image = %q, want localstack/localstack", ls.Image)
	}
	if !strings.HasPrefix(ls.Environment["LOCALSTACK_AUTH_TOKEN"], "${LOCALSTACK_AUTH_TOKEN") {
		t.Errorf("LOCALSTACK_AUTH_TOKEN = %q, want it from the environment", ls.Environment["LOCALSTACK_AUTH_TOKEN"])
	}
	if !slices.ContainsFunc(ls.Ports, func(p string) bool { return strings.HasSuffix(p, ":4566") }) {
		t.Errorf("ports = %q, want 4566 published", ls.Ports)
	}
	services := strings.Split(ls.Environment["SERVICES"], ",")
	src := source(t, "./deploy/awsserver")
	for _, pkg := range src.pkgs {
		for _, s := range src.scans[pkg.ImportPath].Services {
			if !slices.Contains(services, s) {
				t.Errorf("SERVICES lacks %s, which %s calls", s, pkg.ImportPath)
			}
		}
	}
	if !slices.Contains(services, "s3") {
		t.Error("SERVICES lacks s3, where the upload trigger is")
	}
	hooks := "./init/ready.d:/etc/localstack/init/ready.d"
	if !slices.ContainsFunc(ls.Volumes, func(v string) bool { return strings.HasPrefix(v, hooks) }) {
		t.Errorf("volumes = %q, want %s mounted", ls.Volumes, hooks)
	}
	matches, _ := filepath.Glob(filepath.Join(root, "localstack/init/ready.d/*.sh"))
	for _, m := range matches {
		if fi, err := os.Stat(m); err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("init hook %s is not executable (LocalStack skips it)", m)
		}
	}
	if len(matches) == 0 {
		t.Error("no init hook in localstack/init/ready.d")
	}
}

// readYAML converts a YAML file to JSON with python3's yaml module
// (installed with cfn-lint).
func readYAML(t *testing.T, path string) []byte {
	t.Helper()
	transform(t) // skips, or fails, as the template checks do without python3
	out, err := exec.Command("python3", "-c",
		"import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)", path).Output()
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return out
}
