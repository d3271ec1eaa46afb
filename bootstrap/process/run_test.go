package process

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestArgvPassedVerbatim(t *testing.T) {
	args := []string{"has space", "$HOME", "*", "'quoted'", "", `a"b`, "semi;colon", "`id`"}
	sink := newRecorder()
	run := start(t, New(Options{}), helperSpec(t, "args", args...), sink)
	if res := waitResult(t, run); res.ExitCode != 0 {
		t.Fatalf("exit code = %d, want 0; output %v", res.ExitCode, sink.all())
	}
	var got []string
	if err := json.Unmarshal([]byte(strings.Join(sink.stream(Stdout), "")), &got); err != nil {
		t.Fatalf("decoding helper output: %v", err)
	}
	if !slices.Equal(got, args) {
		t.Errorf("args = %q, want %q", got, args)
	}
}

func TestEnvironment(t *testing.T) {
	agentPath := os.Getenv("PATH")
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{
			name: "exactly as given",
			env:  []string{helperEnv + "=env", "PATH=/nowhere", "A=b c", "EMPTY=", "AWS_BATCH_JOB_ID=job-1"},
			want: []string{helperEnv + "=env", "PATH=/nowhere", "A=b c", "EMPTY=", "AWS_BATCH_JOB_ID=job-1"},
		},
		{
			name: "agent's PATH added when missing",
			env:  []string{helperEnv + "=env", "A=1"},
			want: []string{helperEnv + "=env", "A=1", "PATH=" + agentPath},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TANDA_AGENT_ONLY", "must not leak")
			spec := helperSpec(t, "env")
			spec.Env = tt.env
			sink := newRecorder()
			waitResult(t, start(t, New(Options{}), spec, sink))
			var got []string
			if err := json.Unmarshal([]byte(strings.Join(sink.stream(Stdout), "")), &got); err != nil {
				t.Fatalf("decoding helper output %v: %v", sink.all(), err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("env = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWorkDir(t *testing.T) {
	spec := helperSpec(t, "pwd")
	sink := newRecorder()
	waitResult(t, start(t, New(Options{}), spec, sink))
	want, err := filepath.EvalSymlinks(spec.WorkDir)
	if err != nil {
		t.Fatal(err)
	}
	if got := sink.stream(Stdout); !slices.Equal(got, []string{want}) {
		t.Errorf("working directory = %q, want %q", got, want)
	}
}

func TestExitCode(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, code := range []int{0, 3} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			rt := New(Options{Clock: fixedClock{t0}})
			got := waitResult(t, start(t, rt, helperSpec(t, "exit", fmt.Sprint(code)), newRecorder()))
			want := Result{ExitCode: code, StartedAt: t0, StoppedAt: t0}
			if got != want {
				t.Errorf("result = %+v, want %+v", got, want)
			}
		})
	}
}

func TestOutputStreamedBeforeExit(t *testing.T) {
	release := filepath.Join(t.TempDir(), "release")
	sink := newRecorder()
	run := start(t, New(Options{}), helperSpec(t, "stream", release), sink)

	sink.waitLine(t, Stdout, "to stdout")
	sink.waitLine(t, Stderr, "to stderr")
	select {
	case <-run.done:
		t.Fatal("run finished before it was released")
	default:
	}
	if err := syscall.Kill(run.PID(), 0); err != nil {
		t.Fatalf("process not alive while its output was seen: %v", err)
	}

	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if res := waitResult(t, run); res.ExitCode != 0 {
		t.Errorf("exit code = %d, want 0", res.ExitCode)
	}
}

func TestOutputOrderWithinStream(t *testing.T) {
	const n = 500
	sink := newRecorder()
	waitResult(t, start(t, New(Options{}), helperSpec(t, "count", fmt.Sprint(n)), sink))
	for _, stream := range []string{Stdout, Stderr} {
		got := sink.stream(stream)
		if len(got) != n {
			t.Fatalf("%s has %d lines, want %d", stream, len(got), n)
		}
		prefix := map[string]string{Stdout: "out", Stderr: "err"}[stream]
		for i, line := range got {
			if want := fmt.Sprint(prefix, " ", i); line != want {
				t.Fatalf("%s line %d = %q, want %q", stream, i, line, want)
			}
		}
	}
}

func TestLongLinesSplitAndLastLineFlushed(t *testing.T) {
	sink := newRecorder()
	rt := New(Options{MaxLine: 16})
	waitResult(t, start(t, rt, helperSpec(t, "write", "0123456789abcdefXYZ\nshort\ntail"), sink))
	want := []string{"0123456789abcdef", "XYZ", "short", "tail"}
	if got := sink.stream(Stdout); !slices.Equal(got, want) {
		t.Errorf("lines = %q, want %q", got, want)
	}
}

func TestNotesComeFirst(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	spec := helperSpec(t, "write", "hello\n")
	spec.Image = "busybox:latest"
	spec.User = "nobody"
	sink := newRecorder()
	waitResult(t, start(t, New(Options{Clock: fixedClock{t0}}), spec, sink))
	want := []logLine{
		{Stderr, t0, "tanda: process runtime: image busybox:latest not used; running the command directly"},
		{Stderr, t0, "tanda: process runtime: user nobody ignored; running as the agent's user"},
		{Stdout, t0, "hello"},
	}
	if got := sink.all(); !slices.Equal(got, want) {
		t.Errorf("lines = %v, want %v", got, want)
	}
}
