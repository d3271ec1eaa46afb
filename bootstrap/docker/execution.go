package docker

import (
	"context"
	"fmt"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tanda-batch/tanda/bootstrap"
)

// Execution is one running container. Its output goes to the attempt's
// LogFunc as it is written; when the container has ended and its output is
// delivered, its result is read and the container removed.
type Execution struct {
	rt   *Runtime
	id   string
	done chan struct{}
	res  bootstrap.RunResult // set before done closes

	mu    sync.Mutex
	ended bool           // no Stop goroutine starts once set
	stops sync.WaitGroup // Stop goroutines in flight
}

// follow starts watching a started container; output older than since is
// skipped.
func (r *Runtime) follow(id string, logs bootstrap.LogFunc, since time.Time) *Execution {
	e := &Execution{rt: r, id: id, done: make(chan struct{})}
	go e.run(logs, since)
	return e
}

// ContainerID is the container's id.
func (e *Execution) ContainerID() string { return e.id }

// Wait blocks until the container has ended, its output is delivered and
// it is removed.
func (e *Execution) Wait() bootstrap.RunResult {
	<-e.done
	return e.res
}

// stopSlack is how long a stop request may take beyond its grace.
const stopSlack = 30 * time.Second

// Stop asks Docker to stop the container: SIGTERM (or the image's stop
// signal), then SIGKILL after grace, counted in whole seconds. It returns
// at once; Wait tells when the container has ended. A later Stop with a
// shorter grace cuts the wait short.
func (e *Execution) Stop(grace time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ended {
		return
	}
	e.stops.Add(1)
	go func() {
		defer e.stops.Done()
		e.stop(grace)
	}()
}

func (e *Execution) stop(grace time.Duration) {
	secs := int(max(grace, 0) / time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), grace+stopSlack)
	defer cancel()
	_, err := e.rt.api.ContainerStop(ctx, e.id, client.ContainerStopOptions{Timeout: &secs})
	if err == nil || cerrdefs.IsNotFound(err) {
		return
	}
	e.rt.log.Warn("stopping container: killing it", "container", e.id, "err", err)
	if _, err := e.rt.api.ContainerKill(ctx, e.id, client.ContainerKillOptions{Signal: "KILL"}); err != nil && !cerrdefs.IsNotFound(err) {
		e.rt.log.Warn("killing container", "container", e.id, "err", err)
	}
}

// run follows the container to its end, then reads its result and
// removes it.
func (e *Execution) run(logs bootstrap.LogFunc, since time.Time) {
	defer close(e.done)
	out := newStreams(logs, e.rt.clock.Now)
	e.followLogs(out, since, logs)
	e.res = e.result()
	// Docker can end a follow before the last output is in its log (a
	// last line without a newline, often): what came after is read now
	// that the container has stopped.
	if err := e.streamLogs(out, false); err != nil {
		e.rt.note(logs, "reading the end of the output of container %.12s: %v", e.id, err)
	}
	out.flush()
	e.mu.Lock()
	e.ended = true
	e.mu.Unlock()
	e.rt.remove(e.id)
	e.stops.Wait()
}

// streams splits a container's log into its two streams' lines.
type streams struct {
	stdout, stderr *lineWriter
	since          time.Time // read the log from here
}

func newStreams(logs bootstrap.LogFunc, now func() time.Time) *streams {
	return &streams{stdout: newLineWriter("stdout", logs, now), stderr: newLineWriter("stderr", logs, now)}
}

// resume moves since past the last message read.
func (s *streams) resume() {
	last := s.stdout.last
	if s.stderr.last.After(last) {
		last = s.stderr.last
	}
	if !last.IsZero() {
		s.since = last.Add(time.Nanosecond)
	}
}

func (s *streams) flush() {
	s.stdout.Flush()
	s.stderr.Flush()
}

// Following the output resumes after a broken stream, from the last
// message read, while the container exists: at most followRetries times,
// followBackoff apart.
const (
	followRetries = 5
	followBackoff = 200 * time.Millisecond
)

// followLogs hands the container's output, from since, to its lines until
// the container has stopped.
func (e *Execution) followLogs(out *streams, since time.Time, logs bootstrap.LogFunc) {
	out.since = since
	for try := 0; ; try++ {
		err := e.streamLogs(out, true)
		if err == nil {
			return
		}
		if try == followRetries || e.gone() {
			e.rt.note(logs, "following output of container %.12s: %v", e.id, err)
			return
		}
		time.Sleep(followBackoff)
	}
}

// streamLogs reads the container's log from out.since, to its end or,
// with follow, until the container stops.
func (e *Execution) streamLogs(out *streams, follow bool) error {
	defer out.resume()
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow, Timestamps: true}
	if !out.since.IsZero() {
		opts.Since = out.since.UTC().Format(time.RFC3339Nano)
	}
	rc, err := e.rt.api.ContainerLogs(context.Background(), e.id, opts)
	if err != nil {
		return fmt.Errorf("opening log: %w", err)
	}
	defer rc.Close()
	if _, err := stdcopy.StdCopy(out.stdout, out.stderr, rc); err != nil {
		return fmt.Errorf("reading log: %w", err)
	}
	return nil
}

// gone tells whether the container no longer exists.
func (e *Execution) gone() bool {
	_, err := e.rt.api.ContainerInspect(context.Background(), e.id, client.ContainerInspectOptions{})
	return cerrdefs.IsNotFound(err)
}

// result waits for the container to stop and reads its exit.
func (e *Execution) result() bootstrap.RunResult {
	ctx := context.Background()
	w := e.rt.api.ContainerWait(ctx, e.id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	var waitErr error
	select {
	case <-w.Result:
	case waitErr = <-w.Error:
	}
	ins, err := e.rt.api.ContainerInspect(ctx, e.id, client.ContainerInspectOptions{})
	if err != nil {
		return bootstrap.RunResult{ExitCode: -1, Reason: prefixInspect + err.Error()}
	}
	st := ins.Container.State
	if st == nil || st.Running {
		// The container runs on (remove kills it).
		reason := "the container runs on after its wait ended"
		if waitErr != nil {
			reason = "waiting for the container: " + waitErr.Error()
		}
		return bootstrap.RunResult{ExitCode: -1, Reason: prefixInspect + reason}
	}
	res := bootstrap.RunResult{ExitCode: st.ExitCode}
	if st.OOMKilled || (st.ExitCode == 137 && e.oomKilledLate(ctx)) {
		res.Reason = reasonOOM
	}
	return res
}

// oomKilledLate looks again at a container killed by SIGKILL: the daemon
// (20.10 on cgroup v1, seen here) can record the kernel's OOM kill a moment
// after the exit it caused, later on a loaded machine (more than the 250 ms
// once allowed, seen in CI at a load average of 7): it looks for up to 2 s.
func (e *Execution) oomKilledLate(ctx context.Context) bool {
	for range 20 {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
		ins, err := e.rt.api.ContainerInspect(ctx, e.id, client.ContainerInspectOptions{})
		if err != nil || ins.Container.State == nil {
			return false
		}
		if ins.Container.State.OOMKilled {
			return true
		}
	}
	return false
}
