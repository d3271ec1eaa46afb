//go:build unix

// Package childproc runs the programs Tanda's tests start (`tanda up`,
// `tanda serve`, `tanda agent`): each in a process group of its own, so
// that killing it takes its jobs too, with its output in a file, and
// reaped by a goroutine that ends with it.
package childproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Process is a started child process.
type Process struct {
	cmd *exec.Cmd
	// Log is the file with the process's standard output and error.
	Log    string
	exited chan struct{}
	err    error // cmd.Wait's result, set before exited closes
}

// Start starts cmd in a process group of its own, its standard output and
// error going to the file log (created or truncated).
func Start(cmd *exec.Cmd, log string) (*Process, error) {
	f, err := os.Create(log)
	if err != nil {
		return nil, fmt.Errorf("creating the log of %s: %w", cmd.Path, err)
	}
	defer f.Close() // the child has its own descriptor
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	p := &Process{cmd: cmd, Log: log, exited: make(chan struct{})}
	go func() { // the reaper: ends when the process does
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// PID is the process's id, which is also its group's.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed once the process has ended and been reaped.
func (p *Process) Done() <-chan struct{} { return p.exited }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Err is how the process ended (exec.Cmd.Wait's error); valid once Done
// is closed.
func (p *Process) Err() error { return p.err }

// State is the ended process's state; valid once Done is closed.
func (p *Process) State() *os.ProcessState { return p.cmd.ProcessState }

// Signal sends sig to the process alone.
func (p *Process) Signal(sig syscall.Signal) error { return syscall.Kill(p.PID(), sig) }

// Kill sends SIGKILL to the process's group and waits until the process
// is reaped.
func (p *Process) Kill() {
	// ESRCH: the group is gone already.
	if err := syscall.Kill(-p.PID(), syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		panic(fmt.Sprintf("killing process group %d: %v", p.PID(), err))
	}
	<-p.exited
}

// AwaitLine polls the log until find accepts one of its lines and returns
// what find made of it, or fails when the process ends first or ctx is
// done.
func (p *Process) AwaitLine(ctx context.Context, find func(line string) (string, bool)) (string, error) {
	for {
		if v, ok := scanLog(p.Log, find); ok {
			return v, nil
		}
		select {
		case <-p.exited:
			return "", fmt.Errorf("%s ended before printing the line awaited: %v", p.cmd.Path, p.err)
		case <-ctx.Done():
			return "", fmt.Errorf("%s did not print the line awaited: %w", p.cmd.Path, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// scanLog is the first of the file's lines that find accepts.
func scanLog(path string, find func(string) (string, bool)) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := find(sc.Text()); ok {
			return v, true
		}
	}
	return "", false
}

// AwaitHTTP polls url until it answers 200, or fails when the process
// ends first or ctx is done.
func (p *Process) AwaitHTTP(ctx context.Context, url string) error {
	hc := &http.Client{Timeout: time.Second}
	for {
		res, err := hc.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", res.Status)
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s ended before %s answered: %v", p.cmd.Path, url, p.err)
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer (last: %v): %w", url, err, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Tail is at most the last n bytes of the log.
func (p *Process) Tail(n int) string {
	data, err := os.ReadFile(p.Log)
	if err != nil {
		return fmt.Sprintf("(reading %s: %v)", p.Log, err)
	}
	if len(data) > n {
		data = data[len(data)-n:]
	}
	return string(data)
}

// WithoutAWS is env without its AWS_* settings, for a child that must get
// its AWS configuration from the test alone.
func WithoutAWS(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return out
}
