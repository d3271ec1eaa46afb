package bootstrap_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap/secrets"
)

// fakeSecrets resolves every secret to a value made from its name, or
// fails, and records the attempts asked about.
type fakeSecrets struct {
	err      error
	registry secrets.RegistryAuth

	mu    sync.Mutex
	asked []secrets.Attempt
}

func (f *fakeSecrets) Prepare(_ context.Context, a secrets.Attempt) (secrets.Prepared, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, a)
	if f.err != nil {
		return secrets.Prepared{}, f.err
	}
	p := secrets.Prepared{Registry: f.registry, Notes: []string{fmt.Sprintf("%d secrets read", len(a.Secrets))}}
	for _, s := range a.Secrets {
		p.Vars = append(p.Vars, secrets.Var{Name: s.Name, Value: "value-of-" + s.ValueFrom})
	}
	return p, nil
}

type fixedAuth string

func (a fixedAuth) RegistryAuth(context.Context, string) (string, error) { return string(a), nil }

func TestSecretsReachTheRuntime(t *testing.T) {
	fs := &fakeSecrets{registry: fixedAuth("role-token")}
	cfg := testConfig(t)
	cfg.Secrets = fs
	h := newHarness(t, cfg, "q")
	h.start()
	j := newJob("with-secrets", "q", small)
	j.Container.ExecutionRoleArn = "arn:aws:iam::123456789012:role/exec"
	j.Container.Environment = []batch.KeyValuePair{{Name: "DB", Value: "from-environment"}, {Name: "OTHER", Value: "o"}}
	j.Container.Secrets = []batch.Secret{{Name: "DB", ValueFrom: "/db"}, {Name: "TOKEN", ValueFrom: "token"}}
	h.submit(j)
	h.submit(newJob("plain", "q", small))

	e := h.started("with-secrets")
	// A secret wins over an environment variable of its name.
	if !slices.Contains(e.spec.Env, "DB=value-of-/db") || !slices.Contains(e.spec.Env, "TOKEN=value-of-token") ||
		slices.Contains(e.spec.Env, "DB=from-environment") || !slices.Contains(e.spec.Env, "OTHER=o") {
		t.Errorf("the runtime got env %q, want the secrets in place of the environment's DB", e.spec.Env)
	}
	if e.spec.RegistryAuth == nil {
		t.Error("the runtime got no registry credentials of the execution role")
	} else if got, _ := e.spec.RegistryAuth.RegistryAuth(t.Context(), "img"); got != "role-token" {
		t.Errorf("registry credentials %q", got)
	}
	p := h.started("plain")
	if p.spec.RegistryAuth != nil {
		t.Error("a job without an execution role got registry credentials")
	}
	fs.mu.Lock()
	want := secrets.Attempt{JobID: "with-secrets", Attempt: 1, ExecutionRoleARN: j.Container.ExecutionRoleArn, Secrets: j.Container.Secrets}
	if len(fs.asked) != 1 || fs.asked[0].JobID != want.JobID || fs.asked[0].ExecutionRoleARN != want.ExecutionRoleARN || !slices.Equal(fs.asked[0].Secrets, want.Secrets) {
		t.Errorf("asked %+v, want only %+v", fs.asked, want)
	}
	fs.mu.Unlock()
	e.exit(0)
	p.exit(0)
	h.finished("with-secrets")
	for _, line := range h.logs.all() {
		if strings.Contains(line, "value-of-") {
			t.Errorf("a secret's value is in the job's log: %q", line)
		}
	}
	if !slices.Contains(h.logs.all(), "tanda: 2 secrets read") {
		t.Errorf("the jobs' logs lack the note: %q", h.logs.all())
	}
}

// all lists the text of every stream's lines.
func (s *fakeLogStore) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, lines := range s.streams {
		for _, l := range lines {
			out = append(out, l.Message)
		}
	}
	return out
}

func TestASecretThatCannotBeReadFailsTheAttempt(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  func(*testing.T) *fakeSecrets
		msg  string
	}{
		{"refused", func(*testing.T) *fakeSecrets {
			return &fakeSecrets{err: fmt.Errorf("wrapped: %w", secretsError(t))}
		}, "unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: invalid ssm parameters: /nope"},
		{"no resolver", nil, "unable to pull secrets or registry auth: this agent reads no secrets and assumes no execution role"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			if tt.set != nil {
				cfg.Secrets = tt.set(t)
			}
			h := newHarness(t, cfg, "q")
			h.start()
			j := newJob("denied", "q", small)
			j.Container.Secrets = []batch.Secret{{Name: "DB", ValueFrom: "/nope"}}
			h.submit(j)
			got := h.finished("denied")
			if got.Outcome.StatusReason != "Task failed to start: "+tt.msg || got.Outcome.Reason != "ResourceInitializationError: "+tt.msg || got.Outcome.ExitCode != nil {
				t.Errorf("outcome = %+v, want %q, no exit code", got.Outcome, tt.msg)
			}
			if e := h.rt.exec("denied"); e != nil {
				t.Error("the job's container was started")
			}
		})
	}
}

// secretsError is the *secrets.Error of a missing parameter, as
// secrets.Resolve makes it.
func secretsError(t *testing.T) error {
	_, err := secrets.Resolve(t.Context(), missing{}, "us-east-1", "", []batch.Secret{{Name: "DB", ValueFrom: "/nope"}})
	var se *secrets.Error
	if !errors.As(err, &se) {
		t.Fatalf("Resolve = %v", err)
	}
	return err
}

// missing is a Store that knows nothing.
type missing struct{}

func (missing) Parameters(_ context.Context, _ string, names []string) (map[string]string, []string, error) {
	return nil, names, nil
}

func (missing) SecretValue(context.Context, string, batch.SecretRef) (string, error) {
	return "", errors.New("ResourceNotFoundException")
}
