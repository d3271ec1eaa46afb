package local

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/process"
)

// Runtime modes of `tanda up --runtime`.
const (
	RuntimeAuto    = "auto"    // Docker when a daemon answers, else processes
	RuntimeDocker  = "docker"  // containers on Docker Engine
	RuntimeProcess = "process" // plain processes
)

// ChooseRuntime picks the job runtime for a mode. With "auto" it uses
// Docker when a daemon answers within a few seconds and plain processes
// otherwise; "docker" fails when no daemon answers. A nil runtime means
// plain processes. The second result says why, for the start-up banner.
func ChooseRuntime(ctx context.Context, mode string, logger *slog.Logger) (bootstrap.Runtime, string, error) {
	return ChooseRuntimeWith(ctx, mode, docker.Options{Logger: logger})
}

// ChooseRuntimeWith is ChooseRuntime with the Docker runtime's options,
// such as its registry credentials (on EC2, ECR's).
func ChooseRuntimeWith(ctx context.Context, mode string, opts docker.Options) (bootstrap.Runtime, string, error) {
	switch mode {
	case RuntimeProcess:
		return nil, "chosen with --runtime process", nil
	case RuntimeAuto, RuntimeDocker:
	default:
		return nil, "", fmt.Errorf("--runtime must be auto, docker or process (got %q)", mode)
	}
	rt, err := docker.New(opts)
	if err == nil {
		probe, cancel := context.WithTimeout(ctx, 3*time.Second)
		var v docker.Version
		v, err = rt.Version(probe)
		cancel()
		if err == nil {
			return rt, fmt.Sprintf("Docker Engine %s, API %s", v.Engine, v.API), nil
		}
		_ = rt.Close()
	}
	if mode == RuntimeDocker {
		return nil, "", fmt.Errorf("--runtime docker: no Docker daemon answers (set DOCKER_HOST, or start dockerd): %w", err)
	}
	return nil, "no Docker daemon answers, so jobs run as plain processes", nil
}

// NewProcessRuntime returns the runtime that runs attempts as plain
// processes, each in its own working directory: what a nil runtime from
// ChooseRuntime stands for.
func NewProcessRuntime(opts process.Options) bootstrap.Runtime {
	return processRuntime{process.New(opts)}
}
