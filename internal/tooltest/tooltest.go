// Package tooltest finds the programs tests run (the aws CLI, shellcheck,
// ...). Without one a test skips, saying how to get it; under `make test`
// (TANDA_REQUIRE_TOOLS=1), which must run every test, it fails instead.
package tooltest

import (
	"os"
	"os/exec"
	"testing"
)

// Require returns the path of the program name, or skips (or fails) the
// test; install says how to get it.
func Require(t testing.TB, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("TANDA_REQUIRE_TOOLS") != "" {
		t.Fatalf("%s is not on PATH, and make test requires it (%s)", name, install)
	}
	t.Skipf("%s is not on PATH: %s (make test requires it)", name, install)
	return ""
}
