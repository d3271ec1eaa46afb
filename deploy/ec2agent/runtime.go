package ec2agent

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/process"
	"github.com/tanda-batch/tanda/bootstrap/runtimes"
)

// chosenRuntime is the job runtime and why it was chosen.
type chosenRuntime struct {
	bootstrap.Runtime
	why string
}

// close releases the runtime's connection, if it has one.
func (r chosenRuntime) close() {
	if c, ok := r.Runtime.(io.Closer); ok {
		_ = c.Close()
	}
}

// chooseRuntime picks the job runtime by mode (auto, docker or process),
// pulling images with registry's credentials. Unlike `tanda up`, auto does
// not fall back to running jobs as plain processes: without a Docker
// daemon, an attempt whose job names an image (every AWS Batch job does)
// fails with runtimes.ReasonNoContainerRuntime rather than run its command
// on the host; only --runtime process runs them as processes. The process
// runtime gets a clean work root: the processes an earlier agent of the
// instance left running there are killed first (their attempts cannot be
// taken over, so their leases lapse and they are retried).
func chooseRuntime(ctx context.Context, mode string, registry docker.Auth, cfg Config) (chosenRuntime, error) {
	if err := os.MkdirAll(cfg.WorkRoot, 0o755); err != nil {
		return chosenRuntime{}, fmt.Errorf("creating work root: %w", err)
	}
	if cfg.Runtime != nil {
		return chosenRuntime{cfg.Runtime, "given"}, nil
	}
	rt, why, err := runtimes.Choose(ctx, mode, docker.Options{Auth: registry, Clock: cfg.Clock, Logger: cfg.Logger.With("component", "docker")})
	if err != nil {
		return chosenRuntime{}, fmt.Errorf("choosing the job runtime: %w", err)
	}
	if rt != nil {
		return chosenRuntime{rt, why}, nil
	}
	if err := clearWorkRoot(cfg); err != nil {
		return chosenRuntime{}, err
	}
	proc := runtimes.NewProcess(process.Options{KillGrace: cfg.KillGrace, Clock: cfg.Clock})
	if mode == runtimes.ModeAuto {
		return chosenRuntime{runtimes.RefuseImages(proc), noDockerOnEC2}, nil
	}
	return chosenRuntime{proc, why}, nil
}

// noDockerOnEC2 is why `--runtime auto` on EC2 runs no job that names an
// image.
const noDockerOnEC2 = "no Docker daemon answers, so jobs that name an image fail with CannotStartContainerError " +
	"(the instance's AMI needs Docker: the ECS-optimized AMIs have it; --runtime process runs jobs' commands on the host instead)"

// clearWorkRoot kills the job processes an earlier agent of the instance
// left under its work root and empties it.
func clearWorkRoot(cfg Config) error {
	n, err := process.ReapOrphans(cfg.WorkRoot)
	if err != nil {
		return fmt.Errorf("killing the jobs an earlier agent left: %w", err)
	}
	if n > 0 {
		cfg.Logger.Warn("killed jobs an earlier agent left running", "processGroups", n)
	}
	if err := os.RemoveAll(cfg.WorkRoot); err != nil {
		return fmt.Errorf("clearing work root: %w", err)
	}
	if err := os.MkdirAll(cfg.WorkRoot, 0o755); err != nil {
		return fmt.Errorf("creating work root: %w", err)
	}
	return nil
}
