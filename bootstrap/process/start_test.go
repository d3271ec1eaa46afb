package process

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	notExecutable := filepath.Join(dir, "script")
	if err := os.WriteFile(notExecutable, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		edit       func(*Spec)
		wantReason string // the whole reason, or a prefix when it ends in "…"
		wantErr    error
	}{
		{
			name:       "no command",
			edit:       func(s *Spec) { s.Command = nil },
			wantReason: "CannotStartContainerError: no command to run",
		},
		{
			name:       "not found",
			edit:       func(s *Spec) { s.Command = []string{"tanda-no-such-command"} },
			wantReason: `CannotStartContainerError: exec: "tanda-no-such-command": executable file not found in $PATH`,
			wantErr:    exec.ErrNotFound,
		},
		{
			name: "looked up in the job's PATH, not the agent's",
			edit: func(s *Spec) {
				s.Command = []string{"sh", "-c", "true"}
				s.Env = []string{"PATH=" + dir}
			},
			wantReason: `CannotStartContainerError: exec: "sh": executable file not found in $PATH`,
			wantErr:    exec.ErrNotFound,
		},
		{
			name:       "not executable",
			edit:       func(s *Spec) { s.Command = []string{notExecutable} },
			wantReason: "CannotStartContainerError: fork/exec " + notExecutable + ": permission denied",
			wantErr:    os.ErrPermission,
		},
		{
			name:       "bad workdir",
			edit:       func(s *Spec) { s.WorkDir = filepath.Join(dir, "missing") },
			wantReason: "CannotStartContainerError: chdir " + filepath.Join(dir, "missing") + ": no such file or directory",
			wantErr:    os.ErrNotExist,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := helperSpec(t, "exit", "0")
			tt.edit(&spec)
			run, err := New(Options{}).Start(t.Context(), spec, newRecorder())
			if err == nil {
				run.Wait()
				t.Fatal("Start succeeded, want a start error")
			}
			var se *StartError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *StartError", err)
			}
			if se.Reason != tt.wantReason {
				t.Errorf("reason = %q, want %q", se.Reason, tt.wantReason)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v does not wrap %v", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "starting job job-1 attempt 1: ") {
				t.Errorf("error %q lacks its context", err)
			}
		})
	}
}

func TestStartFindsCommandInJobPath(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(self, filepath.Join(bin, "tanda-helper")); err != nil {
		t.Fatal(err)
	}
	spec := helperSpec(t, "exit", "3")
	spec.Command = []string{"tanda-helper", "3"}
	spec.Env = append(spec.Env, "PATH=/nowhere"+string(filepath.ListSeparator)+bin)
	if res := waitResult(t, start(t, New(Options{}), spec, newRecorder())); res.ExitCode != 3 {
		t.Errorf("exit code = %d, want 3", res.ExitCode)
	}
}

func TestStartCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := New(Options{}).Start(ctx, helperSpec(t, "exit", "0"), newRecorder())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}
