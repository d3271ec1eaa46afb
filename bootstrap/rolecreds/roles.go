package rolecreds

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// Roles gives attempts their job role's credentials on an Endpoint. Each
// agent's wiring makes one.
type Roles struct {
	// Assumer assumes the roles; nil when the agent has no AWS credentials.
	Assumer Assumer
	// Endpoint serves the credentials; nil when jobs cannot reach one, and
	// then Unreachable says why.
	Endpoint    *Endpoint
	Unreachable string
	// Stack tags the sessions (TagStack).
	Stack string
	// Duration is each session's length (DefaultDuration when zero).
	Duration time.Duration
	// Lenient makes a role that cannot be assumed a note in the job's log,
	// the job running without credentials (`tanda up`, with the user's own
	// credentials), rather than the end of the attempt (an instance).
	Lenient bool
	Clock   batch.Clock
}

// DefaultDuration is a session's length: an hour, the longest STS allows
// when the caller is itself a role session (role chaining), as an
// instance's role is.
const DefaultDuration = time.Hour

// Grant is what an attempt gets: the environment that points its SDKs at
// its credentials, and a line for its log. Revoke stops serving them.
type Grant struct {
	Env    []string
	Note   string
	revoke func()
}

// Revoke stops serving the attempt's credentials. It may be called more
// than once.
func (g Grant) Revoke() {
	if g.revoke != nil {
		g.revoke()
	}
}

// AssumeError is a job role that cannot be assumed: the attempt cannot
// start.
type AssumeError struct {
	Role string
	Err  error
}

func (e *AssumeError) Error() string {
	return fmt.Sprintf("unable to assume job role %s: %v", e.Role, e.Err)
}

func (e *AssumeError) Unwrap() error { return e.Err }

// Grant assumes a's role and serves its credentials to a's container. A
// role that cannot be assumed is an *AssumeError, unless Roles is Lenient.
// Where nothing can be served (no Endpoint, no credentials), the Grant
// has only a note saying why.
func (r *Roles) Grant(ctx context.Context, a Attempt) (Grant, error) {
	without := func(why string) Grant {
		return Grant{Note: fmt.Sprintf("job role %s: %s; the job runs without AWS credentials", a.RoleARN, why)}
	}
	switch {
	case r.Endpoint == nil:
		return without(r.Unreachable), nil
	case r.Assumer == nil:
		return without("this agent has no AWS credentials to assume it with"), nil
	}
	d := r.Duration
	if d <= 0 {
		d = DefaultDuration
	}
	in := a.Input(r.Stack, d)
	s := NewSession(a.RoleARN, func(ctx context.Context) (Credentials, error) { return r.Assumer.AssumeRole(ctx, in) }, r.Clock)
	if _, err := s.Credentials(ctx); err != nil {
		switch {
		case errors.Is(err, ErrNoCredentials):
			return without(fmt.Sprintf("this agent has no AWS credentials to assume it with (%v)", err)), nil
		case r.Lenient:
			return without(fmt.Sprintf("unable to assume it: %v", err)), nil
		}
		return Grant{}, &AssumeError{Role: a.RoleARN, Err: err}
	}
	env, revoke, err := r.Endpoint.Register(a, s)
	if err != nil {
		return Grant{}, err
	}
	note := fmt.Sprintf("job role %s: credentials (session %s) at %s", a.RoleARN, in.SessionName, EnvFullURI)
	return Grant{Env: env, Note: note, revoke: revoke}, nil
}

// Networks a job's container may be on (the Docker network modes; a
// process is on the host's).
const (
	NetworkHost   = "host"
	NetworkBridge = "bridge"
	NetworkNone   = "none"
)

// ECSAddress is where ECS serves task role credentials, an address the
// SDKs accept over plain http besides loopback ones.
const ECSAddress = "169.254.170.2"

// Listen opens the Endpoint's listener for jobs on network, on a free
// port:
//   - host: 127.0.0.1, which the job shares with the agent;
//   - bridge: ECSAddress, which must be an address of this host; with
//     addAddress, Listen adds it to the loopback interface when it is
//     missing (`ip addr add`, as root: the agent on EC2 does);
//   - none: no listener, the job has no network.
//
// Without a listener, unreachable says why.
func Listen(ctx context.Context, network string, addAddress bool) (ln net.Listener, unreachable string, err error) {
	switch network {
	case NetworkHost:
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, "", fmt.Errorf("listening for job role credentials: %w", err)
		}
		return ln, "", nil
	case NetworkBridge:
		ln, err := net.Listen("tcp", ECSAddress+":0")
		if err != nil && addAddress {
			if addErr := addLoopbackAddress(ctx); addErr != nil {
				return nil, fmt.Sprintf("job containers on Docker's bridge reach credentials at %s, which is not an address of this host and could not be added (%v)", ECSAddress, addErr), nil
			}
			ln, err = net.Listen("tcp", ECSAddress+":0")
		}
		if err != nil {
			return nil, fmt.Sprintf("job containers on Docker's bridge reach credentials at %s, which is not an address of this host (as root: ip addr add %s/32 dev lo)", ECSAddress, ECSAddress), nil
		}
		return ln, "", nil
	default:
		return nil, fmt.Sprintf("job containers have no network (Docker network %q)", network), nil
	}
}

// addLoopbackAddress puts ECSAddress on the loopback interface.
func addLoopbackAddress(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "ip", "addr", "add", ECSAddress+"/32", "dev", "lo").CombinedOutput()
	if err != nil && !strings.Contains(string(out), "File exists") {
		return fmt.Errorf("ip addr add %s/32 dev lo: %v: %s", ECSAddress, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Open completes r for an agent whose jobs are on network: it opens the
// Endpoint (see Listen) or says in r.Unreachable why there is none. The
// caller serves r.Endpoint, when there is one, for as long as the agent
// runs.
func Open(ctx context.Context, r Roles, network string, addAddress bool) (*Roles, error) {
	ln, why, err := Listen(ctx, network, addAddress)
	if err != nil {
		return nil, err
	}
	if ln != nil {
		r.Endpoint = NewEndpoint(ln, nil)
	}
	r.Unreachable = why
	return &r, nil
}

// Serve serves r's Endpoint, if it has one, until ctx is done.
func (r *Roles) Serve(ctx context.Context) error {
	if r.Endpoint == nil {
		return nil
	}
	return r.Endpoint.Serve(ctx)
}
