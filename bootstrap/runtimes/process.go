package runtimes

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/process"
)

// NewProcess returns the runtime that runs attempts as plain processes,
// each in its own working directory: what a nil runtime from Choose stands
// for.
func NewProcess(opts process.Options) bootstrap.Runtime {
	return processRuntime{process.New(opts)}
}

// processRuntime adapts package process to bootstrap.Runtime.
type processRuntime struct{ rt *process.Runtime }

func (processRuntime) Name() string { return "process" }

func (p processRuntime) Start(ctx context.Context, spec bootstrap.RunSpec, logs bootstrap.LogFunc) (bootstrap.Execution, error) {
	// A process runs in its attempt's working directory.
	if err := os.MkdirAll(spec.WorkDir, 0o755); err != nil {
		return nil, &bootstrap.StartError{Reason: "ResourceInitializationError: creating working directory: " + err.Error()}
	}
	run, err := p.rt.Start(ctx, process.Spec{
		JobID: spec.JobID, Attempt: spec.Attempt, Image: spec.Image, Command: spec.Command,
		Env: spec.Env, WorkDir: spec.WorkDir, User: spec.User,
	}, logSink(logs))
	if err != nil {
		var se *process.StartError
		if errors.As(err, &se) {
			return nil, &bootstrap.StartError{Reason: se.Reason}
		}
		return nil, err
	}
	return processRun{run}, nil
}

type processRun struct{ run *process.Run }

func (r processRun) Wait() bootstrap.RunResult {
	res := r.run.Wait()
	return bootstrap.RunResult{ExitCode: res.ExitCode, Reason: res.Reason}
}

func (r processRun) Stop(grace time.Duration) { r.run.Stop(grace) }

type logSink bootstrap.LogFunc

func (f logSink) Log(stream string, at time.Time, line string) {
	f(bootstrap.LogLine{Stream: stream, At: at, Text: line})
}
