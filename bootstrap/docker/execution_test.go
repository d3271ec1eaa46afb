package docker

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
)

// fakeEngine plays a daemon with one container that has already ended;
// methods it does not implement panic (through the nil engine).
type fakeEngine struct {
	engine
	state container.State

	mu      sync.Mutex
	streams []io.Reader // what successive ContainerLogs calls read; then nothing
	since   []string    // the Since of each ContainerLogs call
	stops   []int       // the Timeout of each ContainerStop call
	removed int
}

func (f *fakeEngine) ContainerLogs(_ context.Context, _ string, o client.ContainerLogsOptions) (client.ContainerLogsResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.since = append(f.since, o.Since)
	if len(f.streams) == 0 {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	r := f.streams[0]
	f.streams = f.streams[1:]
	return io.NopCloser(r), nil
}

func (f *fakeEngine) ContainerWait(context.Context, string, client.ContainerWaitOptions) client.ContainerWaitResult {
	res := make(chan container.WaitResponse, 1)
	res <- container.WaitResponse{StatusCode: int64(f.state.ExitCode)}
	return client.ContainerWaitResult{Result: res, Error: make(chan error)}
}

func (f *fakeEngine) ContainerInspect(context.Context, string, client.ContainerInspectOptions) (client.ContainerInspectResult, error) {
	st := f.state
	return client.ContainerInspectResult{Container: container.InspectResponse{Name: "/c", State: &st}}, nil
}

func (f *fakeEngine) ContainerStop(_ context.Context, _ string, o client.ContainerStopOptions) (client.ContainerStopResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stops = append(f.stops, *o.Timeout)
	return client.ContainerStopResult{}, nil
}

func (f *fakeEngine) ContainerRemove(context.Context, string, client.ContainerRemoveOptions) (client.ContainerRemoveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed++
	return client.ContainerRemoveResult{}, nil
}

func fakeRuntime(f *fakeEngine) *Runtime {
	return &Runtime{api: f, clock: batch.SystemClock{}, log: slog.New(slog.DiscardHandler)}
}

// frame is one message of Docker's multiplexed stream (1 stdout, 2 stderr).
func frame(stream byte, text string) []byte {
	hdr := []byte{stream, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(text)))
	return append(hdr, text...)
}

// brokenReader reads data, then fails.
type brokenReader struct{ data []byte }

func (b *brokenReader) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, errors.New("connection reset")
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

func TestFollowResumesAfterBrokenStream(t *testing.T) {
	t1 := time.Date(2026, 11, 29, 13, 0, 0, 5, time.UTC)
	t2 := t1.Add(time.Second)
	f := &fakeEngine{
		state: container.State{Status: container.StateExited, ExitCode: 4},
		streams: []io.Reader{
			&brokenReader{frame(1, t1.Format(time.RFC3339Nano)+" line 1\n")},
			bytes.NewReader(frame(2, t2.Format(time.RFC3339Nano)+" line 2\n")),
		},
	}
	out := newOutput()
	ex := fakeRuntime(f).follow("c1", out.log, time.Time{})
	if res := ex.Wait(); res != (bootstrap.RunResult{ExitCode: 4}) {
		t.Errorf("result %+v, want exit code 4", res)
	}
	want := []bootstrap.LogLine{{Stream: "stdout", At: t1, Text: "line 1"}, {Stream: "stderr", At: t2, Text: "line 2"}}
	if got := out.all(); !slices.Equal(got, want) {
		t.Errorf("lines %+v, want %+v", got, want)
	}
	// Followed from the start, resumed after line 1, read to the end after
	// line 2 once the container stopped.
	if want := []string{"", "2026-11-29T13:00:00.000000006Z", "2026-11-29T13:00:01.000000006Z"}; !slices.Equal(f.since, want) {
		t.Errorf("read the log since %q, want %q", f.since, want)
	}
	if f.removed != 1 {
		t.Errorf("removed %d times, want once", f.removed)
	}
}

func TestResultReasons(t *testing.T) {
	tests := []struct {
		name  string
		state container.State
		want  bootstrap.RunResult
	}{
		{"exit", container.State{Status: container.StateExited, ExitCode: 3}, bootstrap.RunResult{ExitCode: 3}},
		{"oom", container.State{Status: container.StateExited, ExitCode: 137, OOMKilled: true},
			bootstrap.RunResult{ExitCode: 137, Reason: "OutOfMemoryError: Container killed due to memory usage"}},
		{"still running", container.State{Status: container.StateRunning, Running: true},
			bootstrap.RunResult{ExitCode: -1, Reason: "CannotInspectContainerError: the container runs on after its wait ended"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeEngine{state: tt.state, streams: []io.Reader{bytes.NewReader(nil)}}
			if got := fakeRuntime(f).follow("c1", func(bootstrap.LogLine) {}, time.Time{}).Wait(); got != tt.want {
				t.Errorf("result %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestStopGraceInWholeSeconds(t *testing.T) {
	tests := []struct {
		grace time.Duration
		want  int
	}{
		{30 * time.Second, 30},
		{1500 * time.Millisecond, 1},
		{time.Millisecond, 0},
		{-time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.grace.String(), func(t *testing.T) {
			f := &fakeEngine{}
			e := &Execution{rt: fakeRuntime(f), id: "c1", done: make(chan struct{})}
			e.Stop(tt.grace)
			e.stops.Wait()
			if want := []int{tt.want}; !slices.Equal(f.stops, want) {
				t.Errorf("stop timeouts %v, want %v", f.stops, want)
			}
		})
	}
}

func TestStopAfterEndDoesNothing(t *testing.T) {
	f := &fakeEngine{state: container.State{Status: container.StateExited}, streams: []io.Reader{bytes.NewReader(nil)}}
	ex := fakeRuntime(f).follow("c1", func(bootstrap.LogLine) {}, time.Time{})
	ex.Wait()
	ex.Stop(time.Second)
	ex.stops.Wait()
	if len(f.stops) != 0 {
		t.Errorf("ContainerStop called %d times after the end, want none", len(f.stops))
	}
}
