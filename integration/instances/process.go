//go:build unix

package instances

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// instance is one instance the harness has seen: its IMDS, and its agent
// process unless that could not start. Fields other than meta, imds, dir
// and logFile are guarded by the harness's mutex, except cmd, exited and
// waitErr (see start).
type instance struct {
	meta    Metadata
	imds    *IMDS
	dir     string
	logFile string

	// cmd and exited are set by start before the instance is shared;
	// waitErr is written before exited is closed.
	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error
	startErr error

	gone          bool      // left the running state: agent killed, IMDS closed
	killed        bool      // the harness killed a live agent
	interruptAt   time.Time // Spot interruption deadline; zero if none
	terminateSent bool      // the harness terminated it in EC2
}

// start runs the agent in a process group of its own, with its output in
// logFile. Canceling ctx kills the group.
func (in *instance) start(ctx context.Context, command, env []string) error {
	if err := os.MkdirAll(in.dir, 0o755); err != nil {
		return fmt.Errorf("making the directory of %s: %w", in.meta.InstanceID, err)
	}
	log, err := os.Create(in.logFile)
	if err != nil {
		return fmt.Errorf("creating the agent log of %s: %w", in.meta.InstanceID, err)
	}
	defer log.Close() // the child has its own descriptor
	cmd := exec.CommandContext(ctx, command[0], command[1:]...)
	cmd.Dir, cmd.Env = in.dir, env
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the agent of %s: %w", in.meta.InstanceID, err)
	}
	in.cmd, in.exited = cmd, make(chan struct{})
	go func() { // the reaper: ends when the process does
		in.waitErr = cmd.Wait()
		close(in.exited)
	}()
	return nil
}

// kill sends SIGKILL to the agent's process group (its jobs too) and
// waits until the agent is reaped.
func (in *instance) kill() {
	if in.cmd == nil {
		return
	}
	_ = killGroup(in.cmd.Process.Pid) // ESRCH: the group is already gone
	<-in.exited
}

// exitedYet tells whether the agent has ended.
func (in *instance) exitedYet() bool {
	if in.exited == nil {
		return false
	}
	select {
	case <-in.exited:
		return true
	default:
		return false
	}
}

// killGroup sends SIGKILL to the process group led by pid.
func killGroup(pid int) error {
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing process group %d: %w", pid, err)
	}
	return nil
}

// baseEnv is the environment every agent gets: the test's own, without
// its AWS settings, plus the region and credentials an instance would
// have.
func baseEnv(region string, creds aws.Credentials) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AWS_REGION="+region,
		"AWS_DEFAULT_REGION="+region,
		"AWS_ACCESS_KEY_ID="+creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey,
	)
	if creds.SessionToken != "" {
		env = append(env, "AWS_SESSION_TOKEN="+creds.SessionToken)
	}
	return env
}

// agentEnv is the environment of in's agent: the common one, its IMDS
// endpoint and its TMPDIR, then Options.Env.
func (h *Harness) agentEnv(in *instance) []string {
	env := append(slices.Clone(h.env),
		"AWS_EC2_METADATA_SERVICE_ENDPOINT="+in.imds.URL(),
		"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv4",
		"TMPDIR="+in.dir,
	)
	return append(env, h.opts.Env...)
}
