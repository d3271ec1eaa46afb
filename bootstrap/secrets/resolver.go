package secrets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
)

// RegistryAuth gives the registry credentials of an image
// (bootstrap/docker's Auth): with an execution role, ECR's token asked for
// as the role.
type RegistryAuth interface {
	RegistryAuth(ctx context.Context, image string) (string, error)
}

// Resolver gets attempts' secrets and registry credentials. Each agent's
// wiring makes one.
type Resolver struct {
	// Assumer assumes execution roles; nil when the agent has no AWS
	// credentials.
	Assumer rolecreds.Assumer
	// Store reads secrets as role, or as the agent itself when role is
	// nil. A nil Store reads none: a job with secrets fails.
	Store func(role *rolecreds.Session) Store
	// Registry, when set, pulls ECR images as an execution role.
	Registry func(role *rolecreds.Session) RegistryAuth
	// Region is the agent's: parameters named without an ARN are there.
	// Account, when known, is the agent's account.
	Region, Account string
	// Stack tags the execution roles' sessions (rolecreds.TagStack).
	Stack string
	// Lenient reads with the agent's own credentials when an execution
	// role cannot be assumed, with a note in the job's log, rather than
	// failing the attempt (`tanda up`, whose credentials are the user's).
	Lenient bool
	Clock   batch.Clock
}

// Attempt is what an attempt asks of its execution role.
type Attempt struct {
	JobID   string
	Attempt int
	// ExecutionRoleARN is the job's executionRoleArn, if any.
	ExecutionRoleARN string
	Secrets          []batch.Secret
}

// Prepared is what an attempt gets before its container starts.
type Prepared struct {
	// Vars are its secrets, as environment variables.
	Vars []Var
	// Registry pulls its image as its execution role; nil when it has
	// none (the runtime's own credentials serve).
	Registry RegistryAuth
	// Role is the execution role's session; nil without one.
	Role *rolecreds.Session
	// Notes are lines for the job's log.
	Notes []string
}

// ExecutionDuration is an execution role session's length: STS's
// shortest. The session assumes the role again when it is half over, for
// whoever still uses it.
const ExecutionDuration = 15 * time.Minute

// Prepare assumes a's execution role, if it has one, and reads its
// secrets. Its failures are *Error.
func (r *Resolver) Prepare(ctx context.Context, a Attempt) (Prepared, error) {
	var p Prepared
	if a.ExecutionRoleARN != "" {
		s, note, err := r.assume(ctx, a)
		if err != nil {
			return Prepared{}, err
		}
		if note != "" {
			p.Notes = append(p.Notes, note)
		}
		p.Role = s
		if s != nil && r.Registry != nil {
			p.Registry = r.Registry(s)
		}
	}
	if len(a.Secrets) == 0 {
		return p, nil
	}
	if r.Store == nil {
		return Prepared{}, errorf("%v", errNoStore)
	}
	vars, err := Resolve(ctx, r.Store(p.Role), r.Region, r.Account, a.Secrets)
	if err != nil {
		var se *Error
		if errors.As(err, &se) && errors.Is(err, rolecreds.ErrNoCredentials) {
			return Prepared{}, errorf("%v: %s", errNoStore, se.msg)
		}
		return Prepared{}, err
	}
	p.Vars = vars
	who := "the agent's own credentials"
	if p.Role != nil {
		who = "execution role " + a.ExecutionRoleARN
	}
	p.Notes = append(p.Notes, fmt.Sprintf("%d secrets read with %s", len(vars), who))
	return p, nil
}

// assume starts a's execution role session. Without a session (no
// credentials to assume with, or a refusal when Lenient) it says why in
// note, and the secrets are read with the agent's own credentials.
func (r *Resolver) assume(ctx context.Context, a Attempt) (*rolecreds.Session, string, error) {
	role := a.ExecutionRoleARN
	if r.Assumer == nil {
		return nil, "", errorf("unable to assume execution role %s: %v", role, errNoStore)
	}
	in := rolecreds.Attempt{JobID: a.JobID, Attempt: a.Attempt, RoleARN: role}.Input(r.Stack, ExecutionDuration)
	s := rolecreds.NewSession(role, func(ctx context.Context) (rolecreds.Credentials, error) { return r.Assumer.AssumeRole(ctx, in) }, r.Clock)
	_, err := s.Credentials(ctx)
	switch {
	case err == nil:
		return s, "", nil
	case errors.Is(err, rolecreds.ErrNoCredentials):
		return nil, "", errorf("unable to assume execution role %s: %v (%v)", role, errNoStore, err)
	case r.Lenient:
		return nil, fmt.Sprintf("execution role %s: unable to assume it (%v): secrets are read with your own credentials", role, err), nil
	}
	return nil, "", errorf("unable to assume execution role %s: %v", role, err)
}
