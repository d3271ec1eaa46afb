//go:build linux

package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// runCLI runs a tanda client command against up and returns its output
// and exit code.
func runCLI(t *testing.T, up *upProcess, dataDir string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(tandaBinary(t), append(args[:1:1], append([]string{"--data-dir", dataDir, "--endpoint", up.endpoint}, args[1:]...)...)...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	default:
		t.Fatalf("tanda %s: %v", strings.Join(args, " "), err)
		return "", -1
	}
}

func TestClientCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the tanda binary")
	}
	dataDir := t.TempDir()
	up := startUp(t, "tanda", dataDir)

	out, code := runCLI(t, up, dataDir, "submit", "--name", "greeting", "--wait", "--", "sh", "-c", "echo hello from the cli")
	if code != 0 || !strings.Contains(out, "SUCCEEDED, exit code 0") {
		t.Fatalf("submit --wait: exit %d, output %q", code, out)
	}
	id := strings.Fields(out)[0]
	// --wait streams the job's output before its outcome.
	if i, j := strings.Index(out, "hello from the cli\n"), strings.Index(out, "SUCCEEDED, exit code 0"); i < 0 || i > j {
		t.Errorf("submit --wait: the job's output is not streamed before the outcome: %q", out)
	}
	if out, code := runCLI(t, up, dataDir, "logs", id); code != 0 || !strings.Contains(out, "hello from the cli") {
		t.Errorf("logs: exit %d, output %q", code, out)
	}
	// logs -f follows a running job to its end.
	out, _ = runCLI(t, up, dataDir, "submit", "--", "sh", "-c", "echo one; sleep 1; echo two")
	slow := strings.TrimSpace(out)
	if out, code := runCLI(t, up, dataDir, "logs", "-f", slow); code != 0 || !strings.Contains(out, "one\n") || !strings.Contains(out, "two\n") {
		t.Errorf("logs -f: exit %d, output %q; want both lines", code, out)
	}
	if out, code := runCLI(t, up, dataDir, "submit", "--wait", "--", "sh", "-c", "exit 3"); code != 3 || !strings.Contains(out, "FAILED, exit code 3") {
		t.Errorf("a failing job: exit %d, output %q; want exit 3", code, out)
	}
	out, code = runCLI(t, up, dataDir, "submit", "--array-size", "3", "--wait", "--", "true")
	if code != 0 || !strings.Contains(out, "3 done, 0 running, 0 failed of 3") {
		t.Errorf("an array: exit %d, output %q", code, out)
	}
	out, code = runCLI(t, up, dataDir, "submit", "--array-size", "3", "--wait", "--", "sh", "-c", "exit $((AWS_BATCH_JOB_ARRAY_INDEX % 2))")
	parent := strings.Fields(out)[0]
	if code == 0 || !strings.Contains(out, "2 done, 0 running, 1 failed of 3") || !strings.Contains(out, "failed children: "+parent+":1\n") {
		t.Errorf("an array with a failed child: exit %d, output %q; want a failure naming %s:1", code, out, parent)
	}
	if out, code := runCLI(t, up, dataDir, "submit", "--depends-on", id, "--wait", "--", "true"); code != 0 || !strings.Contains(out, "SUCCEEDED") {
		t.Errorf("a dependent job: exit %d, output %q", code, out)
	}
	// tanda why says what a job waits for.
	out, _ = runCLI(t, up, dataDir, "submit", "--", "sleep", "5")
	sleeper := strings.TrimSpace(out)
	out, _ = runCLI(t, up, dataDir, "submit", "--depends-on", sleeper, "--", "true")
	dependent := strings.TrimSpace(out)
	if out, code := runCLI(t, up, dataDir, "why", dependent); code != 0 || !strings.Contains(out, "waits for job "+sleeper) {
		t.Errorf("why: exit %d, output %q; want it to name %s", code, out, sleeper)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"jobs", "--status", "SUCCEEDED"}, "greeting"},
		{[]string{"describe", id}, `"JobName": "greeting"`},
		{[]string{"environments"}, "default"},
		{[]string{"queues"}, "default"},
		{[]string{"definitions"}, "example"},
		{[]string{"cancel", id}, id},
	} {
		if out, code := runCLI(t, up, dataDir, c.args...); code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("tanda %s: exit %d, output %q; want %q in it", strings.Join(c.args, " "), code, out, c.want)
		}
	}
	if out, code := runCLI(t, up, dataDir, "submit", "--queue", "nope", "--", "true"); code == 0 || !strings.Contains(out, "nope") {
		t.Errorf("submit to a missing queue: exit %d, output %q; want a failure naming it", code, out)
	}
}
