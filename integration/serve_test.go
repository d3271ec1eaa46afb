//go:build unix

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/internal/childproc"
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
		"--idle-grace", "10s", "--instance-role", instanceRole(stack)}
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
	proc     *childproc.Process
}

// startServe runs `tanda serve` against moto for stack, waits until its
// API answers and kills it (and its process group) when the test ends,
// showing its log if the test failed.
func startServe(t *testing.T, bin, motoEndpoint, stack string) *serveProcess {
	t.Helper()
	dir := t.TempDir()
	p := &serveProcess{DataDir: filepath.Join(dir, "data")}
	cmd := exec.Command(bin, serveArgs(p.DataDir, stack)...)
	cmd.Dir = dir
	cmd.Env = append(childproc.WithoutAWS(os.Environ()),
		"AWS_ENDPOINT_URL="+motoEndpoint,
		"AWS_REGION="+mototest.Region,
		"AWS_ACCESS_KEY_ID=AKIDTEST",
		"AWS_SECRET_ACCESS_KEY=secret",
	)
	var err error
	if p.proc, err = childproc.Start(cmd, filepath.Join(dir, "serve.log")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.proc.Kill()
		if t.Failed() {
			t.Logf("tanda serve log (tail):\n%s", p.proc.Tail(16<<10))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), serveStartTimeout)
	defer cancel()
	if p.Endpoint, err = p.proc.AwaitLine(ctx, parseEndpoint); err != nil {
		t.Fatalf("waiting for tanda serve's endpoint: %v", err)
	}
	if err := p.proc.AwaitHTTP(ctx, p.Endpoint+"/ping"); err != nil {
		t.Fatalf("waiting for tanda serve's API: %v", err)
	}
	return p
}
