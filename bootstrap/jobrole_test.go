package bootstrap_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
)

// fakeRoles grants attempts fixed credentials, or fails, and records the
// grants.
type fakeRoles struct {
	err error

	mu        sync.Mutex
	granted   []rolecreds.Attempt
	regranted []rolecreds.Attempt
}

func (f *fakeRoles) Regrant(_ context.Context, a rolecreds.Attempt, _ []string) (rolecreds.Grant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.regranted = append(f.regranted, a)
	return rolecreds.Grant{Note: "job role regranted"}, f.err
}

func (f *fakeRoles) Grant(_ context.Context, a rolecreds.Attempt) (rolecreds.Grant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.granted = append(f.granted, a)
	if f.err != nil {
		return rolecreds.Grant{}, f.err
	}
	return rolecreds.Grant{Env: []string{rolecreds.EnvFullURI + "=http://127.0.0.1:1/v1/credentials/x", rolecreds.EnvToken + "=t"}, Note: "job role granted"}, nil
}

func TestJobRoleCredentialsReachTheRuntime(t *testing.T) {
	roles := &fakeRoles{}
	cfg := testConfig(t)
	cfg.JobRoles = roles
	h := newHarness(t, cfg, "q")
	h.start()
	j := newJob("with-role", "q", small)
	j.Container.JobRoleArn = "arn:aws:iam::123456789012:role/r"
	h.submit(j)
	plain := newJob("without-role", "q", small)
	h.submit(plain)

	e := h.started("with-role")
	if !slices.Contains(e.spec.Env, rolecreds.EnvToken+"=t") || !slices.ContainsFunc(e.spec.Env, func(kv string) bool { return strings.HasPrefix(kv, rolecreds.EnvFullURI+"=") }) {
		t.Errorf("the runtime got env %q, want the grant's", e.spec.Env)
	}
	roles.mu.Lock()
	if len(roles.granted) != 1 || roles.granted[0] != (rolecreds.Attempt{JobID: "with-role", Attempt: 1, RoleARN: j.Container.JobRoleArn}) {
		t.Errorf("grants = %+v, want one for attempt 1 of with-role", roles.granted)
	}
	roles.mu.Unlock()
	p := h.started("without-role")
	if slices.ContainsFunc(p.spec.Env, func(kv string) bool { return strings.HasPrefix(kv, "AWS_CONTAINER_") }) {
		t.Errorf("a job without a role got %q", p.spec.Env)
	}
	e.exit(0)
	p.exit(0)
	h.finished("with-role")
}

func TestARoleThatCannotBeAssumedFailsTheAttempt(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/untrusting"
	roles := &fakeRoles{err: &rolecreds.AssumeError{Role: role, Err: errors.New("STS AssumeRole: AccessDenied: not authorized")}}
	cfg := testConfig(t)
	cfg.JobRoles = roles
	h := newHarness(t, cfg, "q")
	h.start()
	j := newJob("denied", "q", small)
	j.Container.JobRoleArn = role
	h.submit(j)
	got := h.finished("denied")
	const msg = "unable to assume job role " + role + ": STS AssumeRole: AccessDenied: not authorized"
	if got.Outcome.StatusReason != "Task failed to start: "+msg || got.Outcome.Reason != "ResourceInitializationError: "+msg || got.Outcome.ExitCode != nil {
		t.Errorf("outcome = %+v, want the role and STS's error, no exit code", got.Outcome)
	}
	if e := h.rt.exec("denied"); e != nil {
		t.Error("the job's container was started")
	}
}
