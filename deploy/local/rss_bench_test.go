//go:build linux

package local

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// idleFor is how long `tanda up` idles before its RSS is read.
	idleFor = 5 * time.Second
	// rssCeilingMiB fails the benchmark when idle RSS is grossly over the
	// 60 MiB target.
	rssCeilingMiB = 120
)

// BenchmarkIdleRSS builds cmd/tanda, runs `tanda up` on an empty data
// directory, lets it idle, and reports its resident set size (VmRSS) and
// its peak (VmHWM) from /proc.
func BenchmarkIdleRSS(b *testing.B) {
	bin := buildTanda(b)
	var rss, hwm float64
	for b.Loop() {
		rss, hwm = idleRSS(b, bin)
	}
	b.ReportMetric(rss, "rss-MiB")
	b.ReportMetric(hwm, "peak-MiB")
	if rss > rssCeilingMiB {
		b.Errorf("idle RSS %.1f MiB is over %d MiB", rss, rssCeilingMiB)
	}
}

// buildTanda builds the tanda binary into a temporary directory.
func buildTanda(b *testing.B) string {
	b.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		b.Skipf("no go command to build tanda with: %v", err)
	}
	bin := filepath.Join(b.TempDir(), "tanda")
	if out, err := exec.Command(goCmd, "build", "-o", bin, "github.com/tanda-batch/tanda/cmd/tanda").CombinedOutput(); err != nil {
		b.Fatalf("building tanda: %v\n%s", err, out)
	}
	return bin
}

// idleRSS runs `tanda up` until it has printed its banner and idled for
// idleFor, reads its memory in MiB, and interrupts it.
func idleRSS(b *testing.B, bin string) (rss, hwm float64) {
	b.Helper()
	cmd := exec.Command(bin, "up", "--data-dir", b.TempDir(), "--listen", "127.0.0.1:0")
	banner := &firstLine{seen: make(chan struct{})}
	cmd.Stdout = banner
	if err := cmd.Start(); err != nil {
		b.Fatalf("starting tanda up: %v", err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		if err := cmd.Wait(); err != nil {
			b.Errorf("tanda up did not stop cleanly: %v", err)
		}
	}()
	select { // the banner's first line comes once the API listens
	case <-banner.seen:
	case <-time.After(30 * time.Second):
		b.Fatal("tanda up printed no banner within 30s")
	}
	time.Sleep(idleFor)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		b.Fatalf("reading tanda up's memory: %v", err)
	}
	return statusMiB(b, status, "VmRSS"), statusMiB(b, status, "VmHWM")
}

// statusMiB reads a "Name:  123 kB" field of /proc/PID/status in MiB.
func statusMiB(b *testing.B, status []byte, name string) float64 {
	b.Helper()
	for line := range strings.Lines(string(status)) {
		value, ok := strings.CutPrefix(line, name+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 64)
		if err != nil {
			b.Fatalf("parsing %s %q: %v", name, value, err)
		}
		return kb / 1024
	}
	b.Fatalf("no %s in /proc status", name)
	return 0
}

// firstLine is a standard output that closes seen once a line has been
// written, and discards the output.
type firstLine struct {
	once sync.Once
	seen chan struct{}
}

func (w *firstLine) Write(p []byte) (int, error) {
	if bytes.IndexByte(p, '\n') >= 0 {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}
