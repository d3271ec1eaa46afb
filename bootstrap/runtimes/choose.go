// Package runtimes holds what every agent shares about job runtimes: the
// process runtime's adapter to bootstrap.Runtime (Docker's is in package
// docker) and the choice between them, by mode, that `tanda up` and `tanda
// agent` make the same way.
package runtimes

import (
	"context"
	"fmt"
	"time"

	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
)

// Runtime modes (`--runtime`).
const (
	ModeAuto    = "auto"    // Docker when a daemon answers, else processes
	ModeDocker  = "docker"  // containers on Docker Engine
	ModeProcess = "process" // plain processes
)

// probeTimeout bounds the wait for a Docker daemon's answer.
const probeTimeout = 3 * time.Second

// Choose picks the job runtime for a mode. With ModeAuto it uses Docker when a
// daemon answers within a few seconds and plain processes otherwise;
// ModeDocker fails when no daemon answers. A nil runtime means plain processes (the
// caller makes it with NewProcess, once it has prepared their work
// root). The string says why, for the start-up banner.
func Choose(ctx context.Context, mode string, opts docker.Options) (bootstrap.Runtime, string, error) {
	switch mode {
	case ModeProcess:
		return nil, "chosen with --runtime process", nil
	case ModeAuto, ModeDocker:
	default:
		return nil, "", fmt.Errorf("--runtime must be auto, docker or process (got %q)", mode)
	}
	rt, err := docker.New(opts)
	if err == nil {
		probe, cancel := context.WithTimeout(ctx, probeTimeout)
		var v docker.Version
		v, err = rt.Version(probe)
		cancel()
		if err == nil {
			return rt, fmt.Sprintf("Docker Engine %s, API %s", v.Engine, v.API), nil
		}
		_ = rt.Close()
	}
	if mode == ModeDocker {
		return nil, "", fmt.Errorf("--runtime docker: no Docker daemon answers (set DOCKER_HOST, or start dockerd): %w", err)
	}
	return nil, "no Docker daemon answers, so jobs run as plain processes", nil
}

// networker is a runtime whose jobs may not share the agent's network.
type networker interface {
	NetworkMode(ctx context.Context) (string, error)
}

// Network is the network rt's jobs are on, as package rolecreds names
// them: a container runtime's network mode, or the host's for processes.
func Network(ctx context.Context, rt bootstrap.Runtime) (string, error) {
	n, ok := rt.(networker)
	if !ok {
		return rolecreds.NetworkHost, nil
	}
	mode, err := n.NetworkMode(ctx)
	if err != nil {
		return "", fmt.Errorf("reading the job containers' network: %w", err)
	}
	return mode, nil
}

// JobRoles completes base (rolecreds.Open) for the network rt's jobs are
// on. A network that cannot be read leaves base without an Endpoint,
// saying why.
func JobRoles(ctx context.Context, rt bootstrap.Runtime, base rolecreds.Roles, opts rolecreds.ListenOptions) (*rolecreds.Roles, error) {
	network, err := Network(ctx, rt)
	if err != nil {
		base.Unreachable = err.Error()
		return &base, nil
	}
	roles, err := rolecreds.Open(ctx, base, network, opts)
	if err != nil {
		return nil, fmt.Errorf("serving job role credentials: %w", err)
	}
	return roles, nil
}
