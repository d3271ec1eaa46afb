package runtimes_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/process"
	"github.com/tanda-batch/tanda/bootstrap/runtimes"
)

func TestChoose(t *testing.T) {
	ctx := context.Background()
	// A daemon address where nothing answers.
	absent := docker.Options{Host: "unix://" + filepath.Join(t.TempDir(), "no.sock")}

	rt, why, err := runtimes.Choose(ctx, runtimes.ModeProcess, absent)
	if err != nil || rt != nil || !strings.Contains(why, "--runtime process") {
		t.Errorf("process: %v, %q, %v; want processes, chosen with the flag", rt, why, err)
	}
	rt, why, err = runtimes.Choose(ctx, runtimes.ModeAuto, absent)
	if err != nil || rt != nil || !strings.Contains(why, "no Docker daemon answers") {
		t.Errorf("auto without a daemon: %v, %q, %v; want processes, saying why", rt, why, err)
	}
	if _, _, err := runtimes.Choose(ctx, runtimes.ModeDocker, absent); err == nil || !strings.Contains(err.Error(), "no Docker daemon answers") {
		t.Errorf("docker without a daemon: error %v, want one that says no daemon answers", err)
	}
	if _, _, err := runtimes.Choose(ctx, "podman", absent); err == nil || !strings.Contains(err.Error(), "must be auto, docker or process") {
		t.Errorf("unknown mode: error %v", err)
	}
}

func TestProcessRuntimeRunsACommandWithItsOutput(t *testing.T) {
	rt := runtimes.NewProcess(process.Options{KillGrace: time.Second})
	if rt.Name() != "process" {
		t.Errorf("Name = %q", rt.Name())
	}
	var mu sync.Mutex
	var lines []bootstrap.LogLine
	spec := bootstrap.RunSpec{
		JobID: "j1", Attempt: 1, Command: []string{"sh", "-c", "echo out; echo err >&2; exit 3"},
		Env: []string{"PATH=/usr/bin:/bin"}, WorkDir: filepath.Join(t.TempDir(), "work", "j1-1"),
	}
	exec, err := rt.Start(context.Background(), spec, func(l bootstrap.LogLine) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, l)
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if res := exec.Wait(); res.ExitCode != 3 {
		t.Errorf("result %+v, want exit code 3", res)
	}
	mu.Lock()
	defer mu.Unlock()
	got := map[string]string{}
	for _, l := range lines {
		got[l.Stream] += l.Text
	}
	if got["stdout"] != "out" || got["stderr"] != "err" {
		t.Errorf("output %+v, want out on stdout and err on stderr", got)
	}
}

func TestProcessRuntimeRefusesAMissingCommand(t *testing.T) {
	rt := runtimes.NewProcess(process.Options{KillGrace: time.Second})
	spec := bootstrap.RunSpec{JobID: "j2", Attempt: 1, Command: []string{"/no/such/binary"}, WorkDir: filepath.Join(t.TempDir(), "w")}
	_, err := rt.Start(context.Background(), spec, func(bootstrap.LogLine) {})
	var se *bootstrap.StartError
	if !errors.As(err, &se) || se.Reason == "" {
		t.Errorf("Start error %v, want a *bootstrap.StartError with a reason", err)
	}
}

func TestRefuseImagesFailsAttemptsThatNameAnImage(t *testing.T) {
	rt := runtimes.RefuseImages(runtimes.NewProcess(process.Options{KillGrace: time.Second}))
	marker := filepath.Join(t.TempDir(), "ran")
	spec := bootstrap.RunSpec{
		JobID: "j3", Attempt: 1, Image: "python:3.12", Command: []string{"/bin/sh", "-c", "touch " + marker},
		WorkDir: filepath.Join(t.TempDir(), "w"),
	}
	_, err := rt.Start(context.Background(), spec, func(bootstrap.LogLine) {})
	var se *bootstrap.StartError
	if !errors.As(err, &se) || !strings.HasPrefix(se.Reason, "CannotStartContainerError: ") || !strings.Contains(se.Reason, "python:3.12") {
		t.Fatalf("Start error %v, want a CannotStartContainerError naming the image", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the job's command ran on the host")
	}

	// Without an image, the command runs as a process.
	spec.Image = ""
	exec, err := rt.Start(context.Background(), spec, func(bootstrap.LogLine) {})
	if err != nil {
		t.Fatalf("Start without an image: %v", err)
	}
	if res := exec.Wait(); res.ExitCode != 0 {
		t.Errorf("result %+v, want exit code 0", res)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the command without an image did not run: %v", err)
	}
	if rt.Name() != "process" {
		t.Errorf("Name = %q, want process", rt.Name())
	}
}
