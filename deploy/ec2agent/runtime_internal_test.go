package ec2agent

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/runtimes"
)

// TestAutoRuntimeOnEC2RefusesImagesWithoutDocker checks that `tanda
// agent --runtime auto` with no Docker daemon fails an attempt that names
// an image with ECS's reason instead of running its command on the host,
// while --runtime process still runs it.
func TestAutoRuntimeOnEC2RefusesImagesWithoutDocker(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-docker.sock"))
	ctx := context.Background()
	spec := func(dir string) bootstrap.RunSpec {
		return bootstrap.RunSpec{JobID: "j", Attempt: 1, Image: "python:3.12", Command: []string{"true"},
			Env: []string{"PATH=/usr/bin:/bin"}, WorkDir: filepath.Join(dir, "j-1")}
	}

	cfg := Config{WorkRoot: t.TempDir()}
	cfg.defaults()
	auto, err := chooseRuntime(ctx, runtimes.ModeAuto, docker.DockerConfig{}, cfg)
	if err != nil {
		t.Fatalf("chooseRuntime(auto): %v", err)
	}
	defer auto.close()
	if !strings.Contains(auto.why, "jobs that name an image fail with CannotStartContainerError") {
		t.Errorf("why = %q, want it to say image jobs fail", auto.why)
	}
	_, err = auto.Start(ctx, spec(cfg.WorkRoot), func(bootstrap.LogLine) {})
	var se *bootstrap.StartError
	if !errors.As(err, &se) || !strings.HasPrefix(se.Reason, runtimes.ReasonNoContainerRuntime) {
		t.Errorf("auto runtime Start = %v, want %q", err, runtimes.ReasonNoContainerRuntime)
	}

	proc, err := chooseRuntime(ctx, runtimes.ModeProcess, docker.DockerConfig{}, cfg)
	if err != nil {
		t.Fatalf("chooseRuntime(process): %v", err)
	}
	exec, err := proc.Start(ctx, spec(cfg.WorkRoot), func(bootstrap.LogLine) {})
	if err != nil {
		t.Fatalf("process runtime Start: %v", err)
	}
	if res := exec.Wait(); res.ExitCode != 0 {
		t.Errorf("process runtime result %+v, want exit code 0", res)
	}
}
