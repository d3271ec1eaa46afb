//go:build unix

package instances

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tanda-batch/tanda/internal/childproc"
)

// instance is one instance the harness has seen: its IMDS, and its agent
// process unless that could not start. Fields other than meta, imds, dir
// and command are guarded by the harness's mutex (logFile and proc change
// when the agent is restarted).
type instance struct {
	meta    Metadata
	imds    *IMDS
	dir     string
	command []string
	own     []string // the agent's own credentials (Options.Session), for restarts too

	logFile  string
	proc     *childproc.Process
	startErr error
	restarts int // agents started after the first

	gone          bool      // left the running state: agent killed, IMDS closed
	killed        bool      // the harness killed a live agent
	interruptAt   time.Time // Spot interruption deadline; zero if none
	terminateSent bool      // the harness terminated it in EC2
}

// start runs the agent in a process group of its own, with its output in
// logFile.
func (in *instance) start(command, env []string) error {
	if err := os.MkdirAll(in.dir, 0o755); err != nil {
		return fmt.Errorf("making the directory of %s: %w", in.meta.InstanceID, err)
	}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Dir, cmd.Env = in.dir, env
	proc, err := childproc.Start(cmd, in.logFile)
	if err != nil {
		return fmt.Errorf("starting the agent of %s: %w", in.meta.InstanceID, err)
	}
	in.proc = proc
	return nil
}

// kill kills the agent's process group and every process left under the
// instance's directory (its jobs, in process groups of their own), as the
// end of an instance does, and waits until the agent is reaped. proc is
// the agent, read under the harness's mutex.
func (in *instance) kill(proc *childproc.Process) error {
	if proc != nil {
		proc.Kill()
	}
	return killStrays(in.dir)
}

// running tells whether the agent was started and has not ended.
func (in *instance) running() bool { return in.proc != nil && !in.proc.Exited() }

// baseEnv is the environment every agent gets: the test's own, without
// its AWS settings, plus the region and credentials an instance would
// have.
func baseEnv(region string, creds aws.Credentials) []string {
	env := append(childproc.WithoutAWS(os.Environ()),
		"AWS_REGION="+region,
		"AWS_DEFAULT_REGION="+region,
	)
	return append(env, credentialsEnv(creds)...)
}

// credentialsEnv is creds as the SDK's environment variables.
func credentialsEnv(creds aws.Credentials) []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + creds.SessionToken,
	}
}

// agentEnv is the environment of in's agent: the common one, its own
// credentials (own, when it has them), its IMDS endpoint and its TMPDIR,
// then Options.Env.
func (h *Harness) agentEnv(in *instance, own []string) []string {
	env := append(slices.Clone(h.env), own...)
	env = append(env,
		"AWS_EC2_METADATA_SERVICE_ENDPOINT="+in.imds.URL(),
		"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv4",
		"TMPDIR="+in.dir,
	)
	return append(env, h.opts.Env...)
}
