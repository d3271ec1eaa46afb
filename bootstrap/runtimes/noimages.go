package runtimes

import (
	"context"

	"github.com/tanda-batch/tanda/bootstrap"
)

// ReasonNoContainerRuntime is the container reason of an attempt whose job
// names an image on an instance where no container runtime answers: ECS's
// CannotStartContainerError (Amazon ECS Developer Guide, "Troubleshooting
// Amazon ECS CannotStartContainerError errors"), with what went wrong.
const ReasonNoContainerRuntime = "CannotStartContainerError: no Docker daemon answers on this instance, so the container cannot start"

// RefuseImages wraps rt, a plain-process runtime, so that an attempt whose
// job names an image fails to start with ReasonNoContainerRuntime instead
// of running its command on the host: what `tanda agent --runtime auto`
// does on EC2 when no Docker daemon answers. Jobs without an image still
// run on rt.
func RefuseImages(rt bootstrap.Runtime) bootstrap.Runtime {
	return imageRefuser{rt}
}

// imageRefuser is RefuseImages's runtime.
type imageRefuser struct{ rt bootstrap.Runtime }

func (r imageRefuser) Name() string { return r.rt.Name() }

func (r imageRefuser) Start(ctx context.Context, spec bootstrap.RunSpec, logs bootstrap.LogFunc) (bootstrap.Execution, error) {
	if spec.Image != "" {
		return nil, &bootstrap.StartError{Reason: ReasonNoContainerRuntime + " (image " + spec.Image + ")"}
	}
	return r.rt.Start(ctx, spec, logs)
}
