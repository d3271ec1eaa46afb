package rolecreds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
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
	in := a.Input(r.Stack, r.duration())
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

// Regrant serves a's credentials again, after an agent restart, to the
// container an earlier agent granted them to: env is that container's
// environment (its EnvFullURI and EnvToken entries; the others are not
// read). The role is assumed anew (a new session of the same name) and
// served under the same URI and token, so the job's SDK refreshes its
// credentials as if nothing had happened. The Grant's Note says what was
// done, or why the job cannot refresh its credentials any more; an error
// is an environment that names no credentials this agent could have made.
func (r *Roles) Regrant(ctx context.Context, a Attempt, env []string) (Grant, error) {
	cannot := func(why string) Grant {
		return Grant{Note: fmt.Sprintf("job role %s: after the agent's restart %s, so the job cannot refresh its credentials (those it holds work until they expire)", a.RoleARN, why)}
	}
	uri, token := lookup(env, EnvFullURI), lookup(env, EnvToken)
	switch {
	case uri == "" && token == "":
		return Grant{Note: fmt.Sprintf("job role %s: the job started without AWS credentials and goes on without them after the agent's restart", a.RoleARN)}, nil
	case r.Endpoint == nil:
		return cannot("this agent serves no credentials (" + r.Unreachable + ")"), nil
	case r.Assumer == nil:
		return cannot("this agent has no AWS credentials to assume its role with"), nil
	}
	in := a.Input(r.Stack, r.duration())
	s := NewSession(a.RoleARN, func(ctx context.Context) (Credentials, error) { return r.Assumer.AssumeRole(ctx, in) }, r.Clock)
	var assumeErr error
	if _, err := s.Credentials(ctx); err != nil {
		if errors.Is(err, ErrNoCredentials) {
			return cannot(fmt.Sprintf("this agent has no AWS credentials to assume its role with (%v)", err)), nil
		}
		// The container runs already: the session tries again each time
		// the job asks.
		assumeErr = err
	}
	revoke, unreachable, err := r.Endpoint.Reregister(a, s, uri, token)
	if err != nil {
		return Grant{}, err
	}
	g := Grant{revoke: revoke}
	switch {
	case unreachable != "":
		g.Note = cannot(unreachable).Note
	case assumeErr != nil:
		g.Note = fmt.Sprintf("job role %s: after the agent's restart its credentials are served again at the job's %s, but the role cannot be assumed now (%v): the agent tries again each time the job asks", a.RoleARN, EnvFullURI, assumeErr)
	default:
		g.Note = fmt.Sprintf("job role %s: after the agent's restart its credentials (session %s) are served again at the job's %s", a.RoleARN, in.SessionName, EnvFullURI)
	}
	return g, nil
}

// duration is a session's length.
func (r *Roles) duration() time.Duration {
	if r.Duration <= 0 {
		return DefaultDuration
	}
	return r.Duration
}

// lookup is the value of the last entry of name in env ("name=value").
func lookup(env []string, name string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			return v
		}
	}
	return ""
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

// DefaultPort is the Endpoint's port, on either network, unless told
// otherwise: a fixed one, so that an agent that restarts listens where its
// predecessor did and the containers it takes over reach it at the URI
// they were given. It is not ECS's port 80 on ECSAddress: an ECS agent
// that ran on the instance leaves a NAT rule that sends that port to
// itself. Nor is it one of the ECS agent's own (51678 to 51680).
const DefaultPort = 51670

// AnyPort, as ListenOptions.Port, listens on any free port.
const AnyPort = -1

// ListenOptions tune Listen.
type ListenOptions struct {
	// AddAddress, on Docker's bridge, adds ECSAddress to the loopback
	// interface when it is missing (`ip addr add`, as root: the agent on
	// EC2 does).
	AddAddress bool
	// Port is the port to listen on: DefaultPort when zero, any free one
	// with AnyPort. When the port is taken, Listen takes any free one and
	// warns: jobs then run as before, but those an agent restart finds
	// running cannot reach the restarted agent unless it can take that
	// random port back.
	Port int
	// Logger takes that warning; nil logs nothing.
	Logger *slog.Logger
}

// Listen opens the Endpoint's listener for jobs on network, at
// opts.Port:
//   - host: on 127.0.0.1, which the job shares with the agent;
//   - bridge: on ECSAddress, which must be an address of this host (see
//     ListenOptions.AddAddress);
//   - none: no listener, the job has no network.
//
// Without a listener, unreachable says why.
func Listen(ctx context.Context, network string, opts ListenOptions) (ln net.Listener, unreachable string, err error) {
	switch network {
	case NetworkHost:
		ln, err := listenPort(opts, "127.0.0.1")
		if err != nil {
			return nil, "", fmt.Errorf("listening for job role credentials: %w", err)
		}
		return ln, "", nil
	case NetworkBridge:
		ln, err := listenPort(opts, ECSAddress)
		if err != nil && opts.AddAddress {
			if addErr := addLoopbackAddress(ctx); addErr != nil {
				return nil, fmt.Sprintf("job containers on Docker's bridge reach credentials at %s, which is not an address of this host and could not be added (%v)", ECSAddress, addErr), nil
			}
			ln, err = listenPort(opts, ECSAddress)
		}
		if err != nil {
			return nil, fmt.Sprintf("job containers on Docker's bridge reach credentials at %s, which is not an address of this host (as root: ip addr add %s/32 dev lo)", ECSAddress, ECSAddress), nil
		}
		return ln, "", nil
	default:
		return nil, fmt.Sprintf("job containers have no network (Docker network %q)", network), nil
	}
}

// listenPort listens on host at opts.Port, or on any free port of host
// when that one is taken (with a warning). An address host does not have
// is an error.
func listenPort(opts ListenOptions, host string) (net.Listener, error) {
	port := opts.Port
	switch {
	case port == AnyPort:
		port = 0
	case port == 0:
		port = DefaultPort
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err == nil || port == 0 || !errors.Is(err, syscall.EADDRINUSE) {
		return ln, err
	}
	ln, anyErr := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if anyErr != nil {
		return nil, errors.Join(err, anyErr)
	}
	if opts.Logger != nil {
		opts.Logger.Warn("job role credentials: the fixed port is taken, so they are served on a random one; "+
			"jobs running when this agent restarts may not reach the next one, and cannot refresh their credentials then",
			"wanted", addr, "serving", ln.Addr().String(), "err", err)
	}
	return ln, nil
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
func Open(ctx context.Context, r Roles, network string, opts ListenOptions) (*Roles, error) {
	ln, why, err := Listen(ctx, network, opts)
	if err != nil {
		return nil, err
	}
	if ln != nil {
		r.Endpoint = NewEndpoint(ln, opts.Logger)
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
