//go:build linux

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runTriggersCLI runs `tanda triggers SUB ARGS...` against up, with the
// connection flags after the subcommand, whose flag set reads them, and
// returns its output and exit code.
func runTriggersCLI(t *testing.T, up *upProcess, dataDir, sub string, args ...string) (string, int) {
	t.Helper()
	all := append([]string{"triggers", sub, "--data-dir", dataDir, "--endpoint", up.endpoint}, args...)
	out, err := exec.Command(tandaBinary(t), all...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	}
	t.Fatalf("tanda %s: %v", strings.Join(all, " "), err)
	return "", -1
}

func TestTriggersCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the tanda binary")
	}
	dataDir := t.TempDir()
	up := startUp(t, "tanda", dataDir)

	out, code := runTriggersCLI(t, up, dataDir, "create", "--name", "greet", "--bucket", "uploads", "--prefix", "in/",
		"--", "sh", "-c", "echo got Ref::bucket/Ref::key")
	if code != 0 || !strings.Contains(out, "created trigger rule greet: s3://uploads/in/* -> job queue default") {
		t.Fatalf("triggers create: exit %d, output %q", code, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"create", "--name", "greet", "--bucket", "uploads"}, "trigger rule greet already exists"},
		{[]string{"create", "--name", "other", "--bucket", "uploads", "--queue", "nope"}, "JobQueue nope not found."},
		{[]string{"create", "--name", "other", "--bucket", "Up_Loads"}, "is not a valid S3 bucket name"},
		{[]string{"create", "--bucket", "uploads"}, "--name and --bucket are required"},
	} {
		if out, code := runTriggersCLI(t, up, dataDir, c.args[0], c.args[1:]...); code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("triggers %s: exit %d, output %q; want a failure saying %q", strings.Join(c.args, " "), code, out, c.want)
		}
	}
	if out, code := runTriggersCLI(t, up, dataDir, "list"); code != 0 || !strings.Contains(out, "greet") || !strings.Contains(out, "sh -c echo got Ref::bucket/Ref::key") {
		t.Errorf("triggers list: exit %d, output %q", code, out)
	}

	// An upload to the bucket's directory under the data directory.
	dir := filepath.Join(dataDir, "buckets", "uploads", "in")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".part"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, ".part"), filepath.Join(dir, "a b.txt")); err != nil {
		t.Fatal(err)
	}
	var id string
	for deadline := time.Now().Add(30 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		out, _ := runCLI(t, up, dataDir, "jobs", "--status", "SUCCEEDED")
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[1] == "greet" {
				id = f[0]
			}
		}
	}
	if id == "" {
		t.Fatal("the uploaded file's job did not succeed within 30s")
	}
	if out, code := runCLI(t, up, dataDir, "logs", id); code != 0 || !strings.Contains(out, "got uploads/in/a b.txt") {
		t.Errorf("logs of the triggered job: exit %d, output %q", code, out)
	}

	if out, code := runTriggersCLI(t, up, dataDir, "delete", "greet"); code != 0 || !strings.Contains(out, "deleted trigger rule greet") {
		t.Errorf("triggers delete: exit %d, output %q", code, out)
	}
	if out, code := runTriggersCLI(t, up, dataDir, "list"); code != 0 || strings.Contains(out, "greet") {
		t.Errorf("triggers list after delete: exit %d, output %q", code, out)
	}
	if out, code := runTriggersCLI(t, up, dataDir, "delete", "greet"); code == 0 || !strings.Contains(out, `trigger rule "greet" not found`) {
		t.Errorf("triggers delete again: exit %d, output %q", code, out)
	}
}
