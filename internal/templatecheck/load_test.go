package templatecheck_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/internal/templatecheck"
)

// root is the repository, where template.yaml is.
const root = "../.."

// sample is the stack the checks evaluate the template for.
var sample = templatecheck.Stack{
	Name: "tanda-test", Region: "us-east-1", Account: "123456789012", Partition: "aws",
	Parameters: map[string]string{
		"VpcId":             "vpc-0a1b2c3d",
		"SubnetIds":         "subnet-0a1b2c3d,subnet-4e5f6a7b",
		"TriggerBucketName": "tanda-test-uploads",
	},
}

var transformed = sync.OnceValues(func() (templatecheck.Transformed, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return templatecheck.Transform(ctx, root, "template.yaml")
})

// transform is template.yaml after the SAM transform. Without python3 and
// aws-sam-translator the test skips, or fails under make test
// (TANDA_REQUIRE_TOOLS=1).
func transform(t *testing.T) templatecheck.Transformed {
	t.Helper()
	tr, err := transformed()
	if errors.Is(err, templatecheck.ErrNoTranslator) && os.Getenv("TANDA_REQUIRE_TOOLS") == "" {
		t.Skipf("%v (make test requires it)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// evaluate evaluates template.yaml for the sample stack, with some
// parameters changed.
func evaluate(t *testing.T, params map[string]string) *templatecheck.Evaluator {
	t.Helper()
	s := sample
	s.Parameters = maps.Clone(sample.Parameters)
	maps.Copy(s.Parameters, params)
	e, err := templatecheck.NewEvaluator(transform(t).Template, s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// packageSource is what a principal's code is: its packages and what
// their sources say.
type packageSource struct {
	pkgs  []templatecheck.Package
	scans map[string]templatecheck.Scan
}

var (
	sourcesMu sync.Mutex
	sources   = map[string]packageSource{}
)

// source lists and scans the module's packages that pattern depends on,
// once per pattern.
func source(t *testing.T, pattern string) packageSource {
	t.Helper()
	sourcesMu.Lock()
	defer sourcesMu.Unlock()
	if s, ok := sources[pattern]; ok {
		return s
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pkgs, err := templatecheck.Deps(ctx, root, pattern)
	if err != nil {
		t.Fatal(err)
	}
	scans, err := templatecheck.ScanPackages(pkgs)
	if err != nil {
		t.Fatal(err)
	}
	s := packageSource{pkgs: pkgs, scans: scans}
	sources[pattern] = s
	return s
}

// hasMain reports whether a function's main package has been written.
func hasMain(dir string) bool {
	_, err := os.Stat(filepath.Join(root, dir, "main.go"))
	return err == nil
}
