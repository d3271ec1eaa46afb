//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sync"
	"testing"
)

// binDir holds the tanda binary the process-level tests build, for the
// length of the test run.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tanda-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "creating binary directory:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var build struct {
	once sync.Once
	path string
	err  error
}

// tandaBinary builds this command once per test run, with the toolchain
// that runs the tests, and returns the binary's path. Under -race the
// binary has the race detector too: it reuses the packages the test binary
// was built from, and catches races in the server itself.
func tandaBinary(t *testing.T) string {
	t.Helper()
	build.once.Do(func() {
		goCmd, err := goTool()
		if err != nil {
			build.err = err
			return
		}
		path := filepath.Join(binDir, "tanda")
		args := []string{"build", "-o", path}
		if raceEnabled() {
			args = append(args, "-race")
		}
		out, err := exec.Command(goCmd, append(args, ".")...).CombinedOutput()
		if err != nil {
			build.err = fmt.Errorf("building tanda: %w\n%s", err, out)
			return
		}
		build.path = path
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// goTool finds the go command: GOROOT's when set, else the one on PATH.
func goTool() (string, error) {
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("finding the go command: %w", err)
	}
	return p, nil
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}
