package process

import "time"

// Spec is what to run for one job attempt.
type Spec struct {
	JobID   string
	Attempt int
	// Image is not used by this runtime; the first log line says so.
	Image string
	// Command is the argv, run directly rather than through a shell. An
	// empty Command is a start error.
	Command []string
	// Env is the process's whole environment, as "K=V" entries. The agent's
	// PATH is added only when Env has no PATH.
	Env []string
	// WorkDir is the directory the process runs in; the agent creates it.
	WorkDir string
	// User is ignored: the process runs as the agent's user, and a log line
	// says so when User is set.
	User string
}

// Result is how a process ended.
type Result struct {
	// ExitCode is the process's exit code, or 128+signo when a signal
	// killed it, as Docker reports.
	ExitCode int
	// Reason explains an abnormal end in the style of AWS's container
	// reason; it is empty when the process exited by itself.
	Reason string
	// StartedAt is when the process started, StoppedAt when it exited.
	StartedAt, StoppedAt time.Time
	// Signal names the signal that killed the process ("SIGKILL"), if any.
	Signal string
}

// LogSink receives a run's output, one line at a time, in order within each
// stream. Calls for one run never overlap.
type LogSink interface {
	// Log records a line of stream "stdout" or "stderr" read at time at,
	// without its trailing newline.
	Log(stream string, at time.Time, line string)
}

// Output stream names given to LogSink.Log.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// StartError is a process that could not be started: its command is
// missing or not executable, or its working directory is unusable. The
// agent fails the attempt with Reason as the container's reason.
type StartError struct {
	// Reason reads like AWS's, e.g.
	// `CannotStartContainerError: exec: "foo": executable file not found in $PATH`.
	Reason string
	// Err is the underlying error, if any.
	Err error
}

func (e *StartError) Error() string { return e.Reason }

// Unwrap returns the underlying error.
func (e *StartError) Unwrap() error { return e.Err }

// cannotStart makes a StartError from its cause.
func cannotStart(err error) *StartError {
	return &StartError{Reason: "CannotStartContainerError: " + err.Error(), Err: err}
}
