package process

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// Defaults of Options.
const (
	// DefaultKillGrace is AWS's wait between SIGTERM and SIGKILL.
	DefaultKillGrace = 30 * time.Second
	// DefaultMaxLine is the longest line a sink gets, CloudWatch Logs'
	// event size limit.
	DefaultMaxLine = 256 << 10
)

// drainTimeout bounds how long output is still read after the process
// group is gone: only a process that left the group can hold the pipes open
// longer, and its output is then cut off.
const drainTimeout = 2 * time.Second

// Options configure a Runtime. The zero value is usable.
type Options struct {
	// KillGrace is the wait between SIGTERM and SIGKILL when Stop is given
	// none; DefaultKillGrace when zero.
	KillGrace time.Duration
	// Clock stamps log lines and results; the system clock when nil. Timers
	// (the kill grace) run on real time.
	Clock batch.Clock
	// MaxLine is the longest line handed to the sink, longer ones being
	// split; DefaultMaxLine when zero, and at least 16.
	MaxLine int
}

// Runtime starts job processes on this machine.
type Runtime struct {
	killGrace time.Duration
	clock     batch.Clock
	maxLine   int
}

// New returns a Runtime with opts, defaults filled in.
func New(opts Options) *Runtime {
	r := &Runtime{killGrace: opts.KillGrace, clock: opts.Clock, maxLine: opts.MaxLine}
	if r.killGrace <= 0 {
		r.killGrace = DefaultKillGrace
	}
	if r.clock == nil {
		r.clock = batch.SystemClock{}
	}
	if r.maxLine <= 0 {
		r.maxLine = DefaultMaxLine
	}
	return r
}

// Start starts spec's process and streams its output to out. ctx bounds
// the start only: the process outlives it and is ended with Run.Stop. An
// error that is (or wraps) a *StartError means the process could not be
// started at all.
func (r *Runtime) Start(ctx context.Context, spec Spec, out LogSink) (*Run, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("starting job %s attempt %d: %w", spec.JobID, spec.Attempt, err)
	}
	run, err := r.start(spec, out)
	if err != nil {
		return nil, fmt.Errorf("starting job %s attempt %d: %w", spec.JobID, spec.Attempt, err)
	}
	return run, nil
}

// start builds the command, starts it with its output going to two pipes,
// and hands the reading and the reaping to the Run.
func (r *Runtime) start(spec Spec, out LogSink) (*Run, error) {
	if len(spec.Command) == 0 {
		return nil, cannotStart(errNoCommand)
	}
	env := processEnv(spec.Env, os.Getenv("PATH"))
	jobPath, _ := lookupEnv(env, "PATH")
	path, err := resolveCommand(spec.Command[0], jobPath)
	if err != nil {
		return nil, cannotStart(err)
	}
	if err := checkWorkDir(spec.WorkDir); err != nil {
		return nil, cannotStart(err)
	}
	stdout, err := newPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := newPipe()
	if err != nil {
		stdout.close()
		return nil, err
	}
	cmd := &exec.Cmd{
		Path:        path,
		Args:        spec.Command,
		Env:         env,
		Dir:         spec.WorkDir,
		Stdout:      stdout.w,
		Stderr:      stderr.w,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	err = cmd.Start()
	// The child holds its own copies of the write ends now; ours must be
	// closed for the readers to see the end of the output.
	stdout.w.Close()
	stderr.w.Close()
	if err != nil {
		stdout.r.Close()
		stderr.r.Close()
		return nil, cannotStart(err)
	}
	run := newRun(r, cmd, out)
	// Best effort: a process that has already exited needs no reaping.
	_ = writeMarker(spec.WorkDir, cmd.Process.Pid)
	for _, note := range notes(spec) {
		run.emit(Stderr, note)
	}
	run.follow(stdout.r, stderr.r)
	return run, nil
}

// notes are the runtime's own log lines about what of spec it does not use.
func notes(spec Spec) []string {
	var out []string
	if spec.Image != "" {
		out = append(out, fmt.Sprintf("tanda: process runtime: image %s not used; running the command directly", spec.Image))
	}
	if spec.User != "" {
		out = append(out, fmt.Sprintf("tanda: process runtime: user %s ignored; running as the agent's user", spec.User))
	}
	return out
}

// pipe is the two ends of an os.Pipe.
type pipe struct{ r, w *os.File }

func newPipe() (pipe, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return pipe{}, fmt.Errorf("creating output pipe: %w", err)
	}
	return pipe{r: r, w: w}, nil
}

func (p pipe) close() {
	p.r.Close()
	p.w.Close()
}
