package process

import (
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// Run is a started process. Its reader goroutines and its reaper end when
// the process has exited and its output is delivered; Wait waits for that.
type Run struct {
	cmd       *exec.Cmd
	sink      LogSink
	clock     batch.Clock
	maxLine   int
	killGrace time.Duration
	startedAt time.Time

	sinkMu sync.Mutex // serializes calls to sink

	mu        sync.Mutex
	exited    bool
	killAt    time.Time   // when killTimer fires; set by the first Stop
	killTimer *time.Timer // sends SIGKILL; nil until Stop
	killed    chan struct{}

	done   chan struct{} // closed once result is set
	result Result
}

func newRun(r *Runtime, cmd *exec.Cmd, sink LogSink) *Run {
	return &Run{
		cmd:       cmd,
		sink:      sink,
		clock:     r.clock,
		maxLine:   r.maxLine,
		killGrace: r.killGrace,
		startedAt: r.clock.Now(),
		killed:    make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
}

// PID is the process id, which is also its process group id.
func (r *Run) PID() int { return r.cmd.Process.Pid }

// Wait blocks until the process has exited and all its output has been
// handed to the sink, and returns how it ended. It may be called many times.
func (r *Run) Wait() Result {
	<-r.done
	return r.result
}

// Stop asks the process group to end: SIGTERM now, SIGKILL after grace
// (the runtime's kill grace when grace <= 0) unless the process has exited
// by then. Calling it again can only bring the SIGKILL forward. Once the
// process has exited, Stop does nothing.
func (r *Run) Stop(grace time.Duration) {
	if grace <= 0 {
		grace = r.killGrace
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.exited {
		return
	}
	killAt := time.Now().Add(grace)
	if r.killTimer == nil {
		r.signal(syscall.SIGTERM)
		r.killAt = killAt
		r.killTimer = time.AfterFunc(grace, r.kill)
		return
	}
	if killAt.Before(r.killAt) && r.killTimer.Stop() {
		r.killAt = killAt
		r.killTimer.Reset(grace)
	}
}

// kill is the kill timer's function: SIGKILL the group unless it is gone.
func (r *Run) kill() {
	defer func() { r.killed <- struct{}{} }()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.exited {
		r.signal(syscall.SIGKILL)
	}
}

// signal sends sig to the process group. An error can only mean the group
// is gone already, which is what a signal is for.
func (r *Run) signal(sig syscall.Signal) {
	_ = syscall.Kill(-r.PID(), sig)
}

// emit hands one line to the sink, stamped now.
func (r *Run) emit(stream, line string) {
	r.sinkMu.Lock()
	defer r.sinkMu.Unlock()
	r.sink.Log(stream, r.clock.Now(), line)
}

// follow starts a reader per output pipe and the reaper that waits for
// the process, the readers and the kill timer before closing done.
func (r *Run) follow(stdout, stderr *os.File) {
	var readers sync.WaitGroup
	readers.Go(func() { readLines(stdout, r.maxLine, func(l string) { r.emit(Stdout, l) }) })
	readers.Go(func() { readLines(stderr, r.maxLine, func(l string) { r.emit(Stderr, l) }) })
	go r.reap(&readers, stdout, stderr)
}

// reap waits for the process to exit, ends the rest of its group as a
// container's end with its init, lets the readers drain what is left, and
// records the result.
func (r *Run) reap(readers *sync.WaitGroup, pipes ...*os.File) {
	waitErr := r.cmd.Wait()
	stoppedAt := r.clock.Now()

	r.mu.Lock()
	r.exited = true
	timer := r.killTimer
	r.mu.Unlock()
	if timer != nil && !timer.Stop() {
		<-r.killed // the timer fired: wait for kill to return
	}
	r.signal(syscall.SIGKILL)

	// Once the group is gone the pipes reach their end at once; only a
	// process that left the group keeps them open, and the deadline stops
	// the readers then.
	deadline := time.Now().Add(drainTimeout)
	for _, p := range pipes {
		if err := p.SetReadDeadline(deadline); err != nil {
			p.Close() // not pollable: closing is the only way to stop a reader
		}
	}
	readers.Wait()
	for _, p := range pipes {
		p.Close()
	}

	code, sig, reason := exitOf(waitErr)
	r.result = Result{
		ExitCode:  code,
		Reason:    reason,
		StartedAt: r.startedAt,
		StoppedAt: stoppedAt,
		Signal:    sig,
	}
	close(r.done)
}
