//go:build unix

package childproc_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/internal/childproc"
)

func TestAwaitLineAndKill(t *testing.T) {
	// A parent shell and its own child, in one group: killing the group
	// ends both.
	cmd := exec.Command("sh", "-c", "sleep 60 & echo ready at 42; wait")
	p, err := childproc.Start(cmd, filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := p.AwaitLine(ctx, func(line string) (string, bool) { return strings.CutPrefix(line, "ready at ") })
	if err != nil || got != "42" {
		t.Fatalf("AwaitLine = %q, %v; want 42", got, err)
	}
	if p.Exited() {
		t.Fatal("Exited before Kill")
	}
	p.Kill()
	if !p.Exited() || p.Err() == nil {
		t.Errorf("after Kill: exited %v, err %v; want ended with an error", p.Exited(), p.Err())
	}
}

func TestAwaitLineFailsWhenTheProcessEnds(t *testing.T) {
	p, err := childproc.Start(exec.Command("sh", "-c", "echo other; exit 3"), filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	_, err = p.AwaitLine(context.Background(), func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "ended") {
		t.Errorf("AwaitLine of a process that ended = %v, want an error saying so", err)
	}
	if tail := p.Tail(100); tail != "other\n" {
		t.Errorf("Tail = %q, want the output", tail)
	}
}

func TestWithoutAWS(t *testing.T) {
	got := childproc.WithoutAWS([]string{"HOME=/h", "AWS_REGION=x", "PATH=/b", "AWS_PROFILE=y"})
	if want := []string{"HOME=/h", "PATH=/b"}; !slices.Equal(got, want) {
		t.Errorf("WithoutAWS = %v, want %v", got, want)
	}
}
