//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"net/http"
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

	"github.com/tanda-batch/tanda/awsclient"
	"github.com/tanda-batch/tanda/standalone"
)

// bannerPrefix starts the line `tanda up` prints once its API listens.
const bannerPrefix = "Tanda is up: AWS Batch API at "

// upProcess is a `tanda up` running as a child process of the test, in a
// process group of its own.
type upProcess struct {
	name     string
	cmd      *exec.Cmd
	stdout   string        // file with its standard output
	stderr   string        // file with its log
	exited   chan struct{} // closed once the process has been reaped
	waitErr  error         // cmd.Wait's result, set before exited closes
	endpoint string        // the API's URL, from the banner
}

// startUp runs `tanda up` on dataDir, running jobs as processes, with an API on a port of the
// system's choosing, waits until the API answers /ping, and makes sure the
// process is gone when the test ends.
func startUp(t *testing.T, name, dataDir string, args ...string) *upProcess {
	t.Helper()
	logDir := t.TempDir()
	p := &upProcess{
		name:   name,
		stdout: filepath.Join(logDir, name+".stdout"),
		stderr: filepath.Join(logDir, name+".stderr"),
		exited: make(chan struct{}),
	}
	stdout, err := os.Create(p.stdout)
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(p.stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	// Plain processes: these tests' jobs are shell commands, whatever
	// Docker daemon the machine may have.
	args = append([]string{"up", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--runtime", "process"}, args...)
	p.cmd = exec.Command(tandaBinary(t), args...)
	p.cmd.Dir = logDir
	p.cmd.Stdout, p.cmd.Stderr = stdout, stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if !p.hasExited() {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.exited
		}
		if t.Failed() {
			p.dumpLog(t)
		}
	})
	p.endpoint = p.waitBanner(t, 20*time.Second)
	p.waitPing(t, 10*time.Second)
	return p
}

func (p *upProcess) pid() int { return p.cmd.Process.Pid }

func (p *upProcess) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// waitBanner polls standard output for the banner and returns the
// endpoint it names.
func (p *upProcess) waitBanner(t *testing.T, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if ep, ok := readBanner(p.stdout); ok {
			return ep
		}
		if p.hasExited() {
			t.Fatalf("%s exited before it was up: %v", p.name, p.waitErr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s printed no banner within %v", p.name, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readBanner finds `Tanda is up: AWS Batch API at http://ADDR (...)` in
// the file at path.
func readBanner(path string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), bannerPrefix)
		if !ok {
			continue
		}
		ep, _, _ := strings.Cut(rest, " ")
		return ep, true
	}
	return "", false
}

// waitPing polls the API's health check until it answers 200.
func (p *upProcess) waitPing(t *testing.T, timeout time.Duration) {
	t.Helper()
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		res, err := hc.Get(p.endpoint + "/ping")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if p.hasExited() {
			t.Fatalf("%s exited before answering /ping: %v", p.name, p.waitErr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer /ping within %v (last error %v)", p.name, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill9 kills the process with SIGKILL and waits until it is reaped.
func (p *upProcess) kill9(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(p.pid(), syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %s: %v", p.name, err)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s still running 10s after kill -9", p.name)
	}
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("%s ended with %v, want killed by SIGKILL", p.name, p.cmd.ProcessState)
	}
}

// terminate sends SIGTERM and returns the exit code, failing the test if
// the process does not exit within timeout.
func (p *upProcess) terminate(t *testing.T, timeout time.Duration) int {
	t.Helper()
	if err := syscall.Kill(p.pid(), syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", p.name, err)
	}
	select {
	case <-p.exited:
	case <-time.After(timeout):
		t.Fatalf("%s still running %v after SIGTERM", p.name, timeout)
	}
	var ee *exec.ExitError
	if p.waitErr != nil && !errors.As(p.waitErr, &ee) {
		t.Fatalf("waiting for %s: %v", p.name, p.waitErr)
	}
	return p.cmd.ProcessState.ExitCode()
}

// client returns an SDK client of the API, signed with the credentials
// `tanda up` wrote in dataDir. maxAttempts bounds the SDK's retries (0
// keeps its default).
func (p *upProcess) client(t *testing.T, dataDir string, maxAttempts int) *awsbatch.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithSharedCredentialsFiles([]string{filepath.Join(dataDir, "credentials")}),
		config.WithSharedConfigFiles([]string{filepath.Join(dataDir, "config")}),
		config.WithSharedConfigProfile(standalone.Profile),
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
	data, err := os.ReadFile(p.stderr)
	if err != nil {
		t.Errorf("reading %s log: %v", p.name, err)
		return
	}
	if strings.Contains(string(data), "WARNING: DATA RACE") {
		t.Errorf("%s reported a data race; see its log", p.name)
	}
}

// dumpLog shows the tail of the process's log in the test output.
func (p *upProcess) dumpLog(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile(p.stderr)
	if err != nil {
		t.Logf("%s log: %v", p.name, err)
		return
	}
	const tail = 16 << 10
	if len(data) > tail {
		data = data[len(data)-tail:]
	}
	t.Logf("%s log (tail):\n%s", p.name, data)
}
