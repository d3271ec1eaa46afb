//go:build unix

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// tandaBuild is the tanda binary, built at most once per run of the test
// binary and removed by TestMain.
var tandaBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// tandaBinary builds ./cmd/tanda (once) and returns the binary's path.
func tandaBinary(t testing.TB) string {
	t.Helper()
	tandaBuild.once.Do(func() {
		tandaBuild.dir, tandaBuild.err = os.MkdirTemp("", "tanda-integration-")
		if tandaBuild.err == nil {
			tandaBuild.path = filepath.Join(tandaBuild.dir, "tanda")
			tandaBuild.err = buildTanda(tandaBuild.path)
		}
	})
	if tandaBuild.err != nil {
		t.Fatal(tandaBuild.err)
	}
	return tandaBuild.path
}

// buildTanda runs go build for ./cmd/tanda at the module's root.
func buildTanda(out string) error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("finding the module root: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd := exec.Command("go", "build", "-o", out, "./cmd/tanda")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building tanda: %w\n%s", err, msg)
	}
	return nil
}

// removeTandaBuild deletes the built binary, if any.
func removeTandaBuild() {
	if tandaBuild.dir != "" {
		_ = os.RemoveAll(tandaBuild.dir)
	}
}
