//go:build unix

package integration

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/infra/mototest"
)

// serveStartTimeout bounds how long `tanda serve --init` may take to
// create its resources in moto and print its endpoint.
const serveStartTimeout = 60 * time.Second

// serveArgs are the arguments of `tanda serve` for a stack of its own on
// moto, writing its credentials to dataDir. The agents run jobs as
// processes: the machines running the suite may have no Docker, and never
// a registry. Idle instances retire after 10 s rather than a minute, so
// that scale-in shows within the test.
func serveArgs(dataDir, stack string) []string {
	return []string{"serve", "--backend", "aws", "--init",
		"--data-dir", dataDir, "--listen", "127.0.0.1:0", "--stack", stack, "--runtime", "process",
		"--idle-grace", "10s"}
}

// parseEndpoint finds the API's URL in a line `tanda serve` prints:
// the first http:// or https:// word after "endpoint: ".
func parseEndpoint(line string) (string, bool) {
	_, rest, ok := strings.Cut(line, "endpoint: ")
	if !ok {
		return "", false
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return "", false
	}
	url := strings.TrimRight(fields[0], ".,;)")
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return "", false
	}
	return url, true
}

// serveProcess is `tanda serve --backend aws` running as a child of the
// test, in a process group of its own.
type serveProcess struct {
	Endpoint string // the API's URL
	DataDir  string // where it wrote credentials and config
	log      string // its standard output and error
	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error // set before exited closes
}

// startServe runs `tanda serve` against moto for stack, waits until its
// API answers and kills it (and its process group) when the test ends,
// showing its log if the test failed.
func startServe(t *testing.T, bin, motoEndpoint, stack string) *serveProcess {
	t.Helper()
	dir := t.TempDir()
	p := &serveProcess{DataDir: filepath.Join(dir, "data"), log: filepath.Join(dir, "serve.log"), exited: make(chan struct{})}
	log, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	p.cmd = exec.Command(bin, serveArgs(p.DataDir, stack)...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = log, log
	p.cmd.Env = append(withoutAWSVariables(os.Environ()),
		"AWS_ENDPOINT_URL="+motoEndpoint,
		"AWS_REGION="+mototest.Region,
		"AWS_ACCESS_KEY_ID=AKIDTEST",
		"AWS_SECRET_ACCESS_KEY=secret",
	)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting tanda serve: %v", err)
	}
	go func() { // the reaper: ends when the process does
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
		if t.Failed() {
			p.showLog(t)
		}
	})
	p.Endpoint = p.awaitEndpoint(t)
	p.awaitPing(t)
	return p
}

func (p *serveProcess) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// awaitEndpoint polls the log for the line naming the API's endpoint.
func (p *serveProcess) awaitEndpoint(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(serveStartTimeout)
	for {
		if ep, ok := findEndpoint(p.log); ok {
			return ep
		}
		if p.hasExited() {
			t.Fatalf("tanda serve exited before printing its endpoint: %v", p.waitErr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("tanda serve printed no endpoint within %v", serveStartTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// findEndpoint is the first endpoint named in the file at path.
func findEndpoint(path string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if ep, ok := parseEndpoint(sc.Text()); ok {
			return ep, true
		}
	}
	return "", false
}

// awaitPing polls the API's health check until it answers 200.
func (p *serveProcess) awaitPing(t *testing.T) {
	t.Helper()
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := hc.Get(p.Endpoint + "/ping")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if p.hasExited() {
			t.Fatalf("tanda serve exited before answering /ping: %v", p.waitErr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("tanda serve did not answer /ping within 10s (last error %v)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// showLog logs the tail of the process's output.
func (p *serveProcess) showLog(t *testing.T) {
	data, err := os.ReadFile(p.log)
	if err != nil {
		t.Logf("tanda serve log: %v", err)
		return
	}
	const tail = 16 << 10
	if len(data) > tail {
		data = data[len(data)-tail:]
	}
	t.Logf("tanda serve log (tail):\n%s", data)
}

// withoutAWSVariables drops the test's AWS_* settings from env.
func withoutAWSVariables(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return out
}
