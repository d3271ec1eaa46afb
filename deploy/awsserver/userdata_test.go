package awsserver_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/internal/tooltest"
)

// userData is the stack's user data with the install script for bucket.
func userData(t *testing.T, bucket string) string {
	t.Helper()
	install, err := awsserver.InstallScript(bucket)
	if err != nil {
		t.Fatal(err)
	}
	script, err := awsstack.Settings{Stack: "s", Region: "us-east-1", Runtime: "auto"}.WithDefaults().AgentScript(install)
	if err != nil {
		t.Fatal(err)
	}
	return string(script)
}

// TestUserDataIsShellcheckClean runs shellcheck on the user data, with and
// without an artifacts bucket. Without shellcheck the test skips, except
// under make test (TANDA_REQUIRE_TOOLS=1), where .ci/run installs it.
func TestUserDataIsShellcheckClean(t *testing.T) {
	shellcheck := tooltest.Require(t, "shellcheck", "apt-get install shellcheck (.ci/run does)")
	for _, bucket := range []string{"my-artifacts", ""} {
		cmd := exec.Command(shellcheck, "--shell=sh", "--severity=style", "-")
		cmd.Stdin = strings.NewReader(userData(t, bucket))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("shellcheck of the user data (bucket %q): %v\n%s", bucket, err, out)
		}
	}
}

// stubs are the commands the user data calls, as shell scripts that log
// their arguments to $STUB_LOG (one line per call: "<command> <args>").
// uname answers $STUB_ARCH; docker info fails until it has been called
// $STUB_DOCKER_READY_AFTER times; aws s3 cp writes a file where it is told
// to; sleep returns at once.
var stubs = map[string]string{
	"uname":     `echo "uname $*" >>"$STUB_LOG"; echo "$STUB_ARCH"`,
	"systemctl": `echo "systemctl $*" >>"$STUB_LOG"`,
	"sleep":     `echo "sleep $*" >>"$STUB_LOG"`,
	"aws": `echo "aws $*" >>"$STUB_LOG"
[ "$1 $2" = "s3 cp" ] && echo "agent $3" >"$4"`,
	"docker": `n=0
[ -f "$STUB_LOG.docker" ] && read -r n <"$STUB_LOG.docker"
n=$((n + 1))
echo "$n" >"$STUB_LOG.docker"
if [ "$n" -gt "$STUB_DOCKER_READY_AFTER" ]; then echo "docker $* answers" >>"$STUB_LOG"; exit 0; fi
echo "docker $* fails" >>"$STUB_LOG"
exit 1`,
}

// sandbox holds a run of the user data: its directory, where the script
// installs the agent and its unit instead of /usr/local/bin and
// /etc/systemd/system.
type sandbox struct {
	dir, log string
}

func (s sandbox) path(name string) string { return filepath.Join(s.dir, name) }

// runUserData runs the user data for bucket under /bin/sh with only the
// stubs (less those in without) and cat, chmod and mv on PATH, and returns
// the calls the stubs logged, the script's stderr and its error.
func runUserData(t *testing.T, bucket, arch string, dockerReadyAfter string, without ...string) (sandbox, []string, string, error) {
	t.Helper()
	sb := sandbox{dir: t.TempDir()}
	sb.log = sb.path("calls.log")
	bin := sb.path("bin")
	for _, d := range []string{bin, sb.path("usr-local-bin"), sb.path("systemd")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range stubs {
		if slices.Contains(without, name) {
			continue
		}
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tool := range []string{"cat", "chmod", "mv"} {
		real, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("the test needs %s: %v", tool, err)
		}
		if err := os.Symlink(real, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	// The script as written, with its two system directories moved into
	// the sandbox.
	script := strings.NewReplacer(
		"/usr/local/bin/", sb.path("usr-local-bin")+"/",
		"/etc/systemd/system/", sb.path("systemd")+"/",
	).Replace(userData(t, bucket))
	if strings.Contains(script, "/usr/local/bin") || strings.Contains(script, "/etc/systemd") {
		t.Fatalf("the sandboxed script still writes to the system:\n%s", script)
	}
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Env = []string{"PATH=" + bin, "STUB_LOG=" + sb.log, "STUB_ARCH=" + arch, "STUB_DOCKER_READY_AFTER=" + dockerReadyAfter}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	raw, err := os.ReadFile(sb.log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return sb, strings.Split(strings.TrimSpace(string(raw)), "\n"), stderr.String(), runErr
}

// index is the position of the first call that starts with prefix, or -1.
func index(calls []string, prefix string) int {
	return slices.IndexFunc(calls, func(c string) bool { return strings.HasPrefix(c, prefix) })
}

func TestUserDataStartsDockerBeforeTheAgent(t *testing.T) {
	for _, tt := range []struct{ arch, binary string }{{"x86_64", "tanda-agent-amd64"}, {"aarch64", "tanda-agent-arm64"}} {
		t.Run(tt.arch, func(t *testing.T) {
			sb, calls, stderr, err := runUserData(t, "my-artifacts", tt.arch, "2")
			if err != nil {
				t.Fatalf("user data failed: %v\n%s\ncalls:\n%s", err, stderr, strings.Join(calls, "\n"))
			}
			download := index(calls, "aws s3 cp s3://my-artifacts/"+tt.binary+" ")
			if ecs := index(calls, "systemctl disable --now ecs.service"); ecs < 0 || ecs > index(calls, "systemctl enable --now tanda-agent.service") {
				t.Errorf("the ECS agent is not disabled before the agent starts:\n%s", strings.Join(calls, "\n"))
			}
			startDocker := index(calls, "systemctl enable --now docker.service")
			answered := index(calls, "docker info answers")
			startAgent := index(calls, "systemctl enable --now tanda-agent.service")
			if download < 0 || startDocker < 0 || answered < 0 || startAgent < 0 ||
				!(download < startDocker && startDocker < answered && answered < startAgent) {
				t.Fatalf("calls out of order: want the %s download, docker started, docker answering, then the agent started:\n%s",
					tt.binary, strings.Join(calls, "\n"))
			}
			if n := strings.Count(strings.Join(calls[startDocker:answered], "\n"), "docker info fails"); n != 2 {
				t.Errorf("docker info failed %d times before it answered, want the stub's 2:\n%s", n, strings.Join(calls, "\n"))
			}
			if got, err := os.ReadFile(sb.path("usr-local-bin/tanda")); err != nil || !strings.Contains(string(got), tt.binary) {
				t.Errorf("installed agent = %q, %v; want the download of %s", got, err, tt.binary)
			}
			unit, err := os.ReadFile(sb.path("systemd/tanda-agent.service"))
			if err != nil || !strings.Contains(string(unit), "After=network-online.target docker.service") ||
				!strings.Contains(string(unit), "Wants=network-online.target docker.service") {
				t.Errorf("unit = %q, %v; want it ordered after docker.service and wanting it", unit, err)
			}
			if !strings.Contains(string(unit), "iptables -I DOCKER-USER 1 -i docker+ -d 169.254.169.254/32 -j DROP") {
				t.Errorf("unit = %q; want job containers cut off from the instance metadata service", unit)
			}
			if stderr != "" {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
		})
	}
}

func TestUserDataWaitsForDockerABoundedTime(t *testing.T) {
	_, calls, stderr, err := runUserData(t, "my-artifacts", "x86_64", "1000")
	if err != nil {
		t.Fatalf("user data failed: %v\n%s", err, stderr)
	}
	joined := strings.Join(calls, "\n")
	if n, want := strings.Count(joined, "docker info fails"), awsserver.DockerWaitSeconds/2+1; n != want {
		t.Errorf("docker info asked %d times, want %d (every 2 s for %d s)", n, want, awsserver.DockerWaitSeconds)
	}
	if index(calls, "systemctl enable --now tanda-agent.service") < 0 {
		t.Errorf("the agent was not started after the wait:\n%s", joined)
	}
	if !strings.Contains(stderr, "Docker did not answer within 120 s") {
		t.Errorf("stderr = %q, want it to say Docker did not answer", stderr)
	}
}

func TestUserDataWithoutDocker(t *testing.T) {
	_, calls, stderr, err := runUserData(t, "my-artifacts", "x86_64", "0", "docker")
	if err != nil {
		t.Fatalf("user data failed: %v\n%s", err, stderr)
	}
	if index(calls, "systemctl enable --now docker.service") >= 0 {
		t.Errorf("docker.service started on an AMI without Docker:\n%s", strings.Join(calls, "\n"))
	}
	if index(calls, "systemctl enable --now tanda-agent.service") < 0 {
		t.Errorf("the agent was not started:\n%s", strings.Join(calls, "\n"))
	}
	if !strings.Contains(stderr, "this AMI has no Docker") {
		t.Errorf("stderr = %q, want it to say the AMI has no Docker", stderr)
	}
}

func TestUserDataFailures(t *testing.T) {
	tests := []struct {
		name, bucket, arch, want string
	}{
		{"unsupported architecture", "my-artifacts", "riscv64", "tanda: unsupported architecture riscv64"},
		{"no agent on the AMI", "", "x86_64", "is missing: bake it into the AMI or give tanda serve --artifacts-bucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, calls, stderr, err := runUserData(t, tt.bucket, tt.arch, "0")
			if err == nil || !strings.Contains(stderr, tt.want) {
				t.Errorf("user data = %v, stderr %q; want a failure saying %q", err, stderr, tt.want)
			}
			if index(calls, "systemctl") >= 0 {
				t.Errorf("systemd was touched after a failure:\n%s", strings.Join(calls, "\n"))
			}
		})
	}
}
