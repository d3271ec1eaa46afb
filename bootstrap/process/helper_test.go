package process

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the jobs it runs: with TANDA_TEST_HELPER set it
// plays the named helper instead of running the tests.
const helperEnv = "TANDA_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		// syscall.Exit skips the race detector's one-second pause at a
		// clean exit, which would slow every test down.
		syscall.Exit(helper(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// helper is the body of a helper process; it returns the exit code.
func helper(mode string, args []string) int {
	switch mode {
	case "args": // print the arguments as JSON
		return printJSON(args)
	case "env": // print the environment as JSON
		return printJSON(os.Environ())
	case "pwd": // print the working directory
		wd, err := os.Getwd()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(wd)
		return 0
	case "exit": // exit with the code args[0]
		code, _ := strconv.Atoi(args[0])
		return code
	case "write": // write args[0] to stdout as it is
		fmt.Print(args[0])
		return 0
	case "count": // number lines 0..args[0]-1 on both streams, alternately
		n, _ := strconv.Atoi(args[0])
		for i := range n {
			fmt.Fprintln(os.Stdout, "out", i)
			fmt.Fprintln(os.Stderr, "err", i)
		}
		return 0
	case "stream": // a line on each stream, then wait for the file args[0]
		fmt.Println("to stdout")
		fmt.Fprintln(os.Stderr, "to stderr")
		for range 1000 {
			if _, err := os.Stat(args[0]); err == nil {
				return 0
			}
			time.Sleep(10 * time.Millisecond)
		}
		return 2
	case "ignoreterm": // ignore SIGTERM, then block
		signal.Ignore(syscall.SIGTERM)
		return block()
	case "block": // block until killed
		return block()
	case "spawn": // start a blocking child in the group; exit at once if args[0] is "exit"
		return spawn(len(args) > 0 && args[0] == "exit")
	}
	fmt.Fprintln(os.Stderr, "unknown helper", mode)
	return 99
}

func printJSON(v any) int {
	if err := json.NewEncoder(os.Stdout).Encode(v); err != nil {
		return 1
	}
	return 0
}

func block() int {
	fmt.Println("ready")
	time.Sleep(time.Minute)
	return 4
}

func spawn(exit bool) int {
	self, err := os.Executable()
	if err != nil {
		return 1
	}
	child := exec.Command(self)
	child.Env = append(os.Environ(), helperEnv+"=block")
	child.Stdout = os.Stdout // the child holds the job's pipe too
	if err := child.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("child", child.Process.Pid)
	if exit {
		return 0
	}
	return block()
}

// helperSpec is a Spec that runs helper mode with args.
func helperSpec(t *testing.T, mode string, args ...string) Spec {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("finding test binary: %v", err)
	}
	return Spec{
		JobID:   "job-1",
		Attempt: 1,
		Command: append([]string{self}, args...),
		Env:     []string{helperEnv + "=" + mode},
		WorkDir: t.TempDir(),
	}
}

// logLine is one line a recorder got.
type logLine struct {
	stream string
	at     time.Time
	line   string
}

// recorder is a LogSink that keeps every line.
type recorder struct {
	mu      sync.Mutex
	lines   []logLine
	changed chan struct{} // poked after each line
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1)} }

func (r *recorder) Log(stream string, at time.Time, line string) {
	r.mu.Lock()
	r.lines = append(r.lines, logLine{stream: stream, at: at, line: line})
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// all returns a copy of the lines so far.
func (r *recorder) all() []logLine {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]logLine(nil), r.lines...)
}

// stream returns the text of the lines of one stream.
func (r *recorder) stream(name string) []string {
	var out []string
	for _, l := range r.all() {
		if l.stream == name {
			out = append(out, l.line)
		}
	}
	return out
}

// waitFor waits until a line matching match has arrived and returns it.
func (r *recorder) waitFor(t *testing.T, match func(logLine) bool) logLine {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		for _, l := range r.all() {
			if match(l) {
				return l
			}
		}
		select {
		case <-r.changed:
		case <-timeout:
			t.Fatalf("no matching log line; got %v", r.all())
		}
	}
}

// waitLine waits for the exact line on stream.
func (r *recorder) waitLine(t *testing.T, stream, line string) {
	t.Helper()
	r.waitFor(t, func(l logLine) bool { return l.stream == stream && l.line == line })
}

// start starts spec on rt and fails the test on error; the run is stopped
// and waited for when the test ends.
func start(t *testing.T, rt *Runtime, spec Spec, sink LogSink) *Run {
	t.Helper()
	run, err := rt.Start(t.Context(), spec, sink)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		run.Stop(time.Millisecond)
		run.Wait()
	})
	return run
}

// waitResult waits for run with a timeout.
func waitResult(t *testing.T, run *Run) Result {
	t.Helper()
	select {
	case <-run.done:
		return run.Wait()
	case <-time.After(5 * time.Second):
		t.Fatalf("process %d still running", run.PID())
		return Result{}
	}
}

// gone reports whether process pid no longer runs (zombies count as gone).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// waitGone waits for process pid to end.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still alive", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fixedClock is a Clock stopped at one instant.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }
