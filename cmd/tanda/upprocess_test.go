//go:build linux

package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"

	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/internal/awsclient"
	"github.com/tanda-batch/tanda/internal/childproc"
)

// bannerPrefix starts the line `tanda up` prints once its API listens.
const bannerPrefix = "Tanda is up: AWS Batch API at "

// upProcess is a `tanda up` running as a child process of the test, in a
// process group of its own.
type upProcess struct {
	name     string
	proc     *childproc.Process
	endpoint string // the API's URL, from the banner
}

// startUp runs `tanda up` on dataDir, running jobs as processes, with an
// API on a port of the system's choosing, waits until the API answers
// /ping, and makes sure the process is gone when the test ends.
func startUp(t *testing.T, name, dataDir string, args ...string) *upProcess {
	t.Helper()
	logDir := t.TempDir()
	// Plain processes: these tests' jobs are shell commands, whatever
	// Docker daemon the machine may have.
	args = append([]string{"up", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--runtime", "process"}, args...)
	cmd := exec.Command(tandaBinary(t), args...)
	cmd.Dir = logDir
	proc, err := childproc.Start(cmd, filepath.Join(logDir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	p := &upProcess{name: name, proc: proc}
	t.Cleanup(func() {
		proc.Kill()
		if t.Failed() {
			t.Logf("%s log (tail):\n%s", name, proc.Tail(16<<10))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if p.endpoint, err = proc.AwaitLine(ctx, readBanner); err != nil {
		t.Fatalf("waiting for %s's banner: %v", name, err)
	}
	if err := proc.AwaitHTTP(ctx, p.endpoint+"/ping"); err != nil {
		t.Fatalf("waiting for %s's API: %v", name, err)
	}
	return p
}

func (p *upProcess) pid() int { return p.proc.PID() }

func (p *upProcess) hasExited() bool { return p.proc.Exited() }

// readBanner finds the endpoint in the line
// `Tanda is up: AWS Batch API at http://ADDR (...)`.
func readBanner(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, bannerPrefix)
	if !ok {
		return "", false
	}
	ep, _, _ := strings.Cut(rest, " ")
	return ep, true
}

// kill9 kills the process with SIGKILL and waits until it is reaped.
func (p *upProcess) kill9(t *testing.T) {
	t.Helper()
	if err := p.proc.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %s: %v", p.name, err)
	}
	select {
	case <-p.proc.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("%s still running 10s after kill -9", p.name)
	}
	ws, ok := p.proc.State().Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("%s ended with %v, want killed by SIGKILL", p.name, p.proc.State())
	}
}

// terminate sends SIGTERM and returns the exit code, failing the test if
// the process does not exit within timeout.
func (p *upProcess) terminate(t *testing.T, timeout time.Duration) int {
	t.Helper()
	if err := p.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", p.name, err)
	}
	select {
	case <-p.proc.Done():
	case <-time.After(timeout):
		t.Fatalf("%s still running %v after SIGTERM", p.name, timeout)
	}
	var ee *exec.ExitError
	if err := p.proc.Err(); err != nil && !errors.As(err, &ee) {
		t.Fatalf("waiting for %s: %v", p.name, err)
	}
	return p.proc.State().ExitCode()
}

// client returns an SDK client of the API, signed with the credentials
// `tanda up` wrote in dataDir. maxAttempts bounds the SDK's retries (0
// keeps its default).
func (p *upProcess) client(t *testing.T, dataDir string, maxAttempts int) *awsbatch.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithSharedCredentialsFiles([]string{filepath.Join(dataDir, "credentials")}),
		config.WithSharedConfigFiles([]string{filepath.Join(dataDir, "config")}),
		config.WithSharedConfigProfile(kit.Profile),
	)
	if err != nil {
		t.Fatalf("loading the credentials %s wrote: %v", p.name, err)
	}
	return awsbatch.NewFromConfig(cfg, func(o *awsbatch.Options) {
		o.BaseEndpoint = aws.String(p.endpoint)
		o.HTTPClient = awsclient.HTTPClient()
		if maxAttempts > 0 {
			o.RetryMaxAttempts = maxAttempts
		}
	})
}

// checkNoDataRace fails the test if the process, built with -race,
// reported a data race in its log.
func (p *upProcess) checkNoDataRace(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile(p.proc.Log)
	if err != nil {
		t.Errorf("reading %s log: %v", p.name, err)
		return
	}
	if strings.Contains(string(data), "WARNING: DATA RACE") {
		t.Errorf("%s reported a data race; see its log", p.name)
	}
}
