package bootstrap

import (
	"context"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// AllowTag is the compute environment tag that lets its jobs have more
// than an ordinary container, e.g. "privileged,host-volumes,devices". It is
// off by default; an operator sets it with TagResource on the compute
// environment.
const AllowTag = "tanda:allow"

// RunSpec is what a runtime needs to run one attempt.
type RunSpec struct {
	JobID   string
	Attempt int
	// Allowed lists what the compute environment lets its jobs have
	// beyond an ordinary container ("privileged", "host-volumes",
	// "devices"), from its tag AllowTag.
	Allowed []string
	// InstanceID is the instance the attempt runs on; a container runtime
	// labels its containers with it, to find them after an agent restart.
	InstanceID string
	Image      string
	Command    []string
	// Env is the attempt's whole environment, "NAME=value".
	Env []string
	// WorkDir is the attempt's own directory on the instance. A runtime
	// that needs it creates it; the agent removes it when the attempt ends.
	WorkDir   string
	User      string
	VCPUs     float64
	MemoryMiB int64
	GPUs      int64
	// Container is the job's merged container (image, command, user and
	// resources are also in the fields above); a container runtime reads
	// the rest of it (ulimits, volumes, linuxParameters...) from here.
	Container *batch.ContainerProperties
	// RegistryAuth, when set, gives the credentials that pull the image
	// (its execution role's, for ECR) in place of the runtime's own. A
	// failure to get them is the attempt's ResourceInitializationError.
	RegistryAuth RegistryAuth
}

// RegistryAuth gives the registry credentials of an image: the
// X-Registry-Auth value, or "" to pull anonymously.
type RegistryAuth interface {
	RegistryAuth(ctx context.Context, image string) (string, error)
}

// RunResult is how an attempt's process or container ended.
type RunResult struct {
	ExitCode int
	// Reason is the container reason, e.g. an OOM kill's.
	Reason string
}

// LogLine is one line of a job's output.
type LogLine struct {
	Stream string // stdout or stderr
	At     time.Time
	Text   string
}

// LogFunc receives a job's output line by line, as it is written.
type LogFunc func(LogLine)

// Execution is one running attempt.
type Execution interface {
	// Wait blocks until the attempt has ended and its output is delivered.
	Wait() RunResult
	// Stop sends SIGTERM, then SIGKILL after grace. It returns at once;
	// Wait tells when the attempt has ended.
	Stop(grace time.Duration)
}

// StartError is a failure to start an attempt; Reason is the container
// reason AWS Batch would give, e.g. `CannotStartContainerError: ...`.
type StartError struct {
	Reason string
}

func (e *StartError) Error() string { return e.Reason }

// Runtime runs attempts: plain processes, or containers.
type Runtime interface {
	Name() string
	Start(ctx context.Context, spec RunSpec, logs LogFunc) (Execution, error)
}
