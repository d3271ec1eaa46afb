package bootstrap_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds/rolecredstest"
	"github.com/tanda-batch/tanda/control"
)

// reattachingRuntime is the fake runtime plus executions an earlier agent
// left: job id → attempt.
type reattachingRuntime struct {
	*fakeRuntime
	left map[string]int
	// roleEnv is the job role entries of a left execution's environment,
	// by job id.
	roleEnv map[string][]string

	mu      sync.Mutex
	removed []string
}

func (r *reattachingRuntime) Reattach(_ context.Context, instance string, keep func(string, int) (bootstrap.LogFunc, time.Time, bool)) ([]bootstrap.Reattached, error) {
	var out []bootstrap.Reattached
	for id, attempt := range r.left {
		logs, _, ok := keep(id, attempt)
		if !ok {
			r.mu.Lock()
			r.removed = append(r.removed, id)
			r.mu.Unlock()
			continue
		}
		e := &fakeExec{rt: r.fakeRuntime, logs: logs, done: make(chan struct{})}
		r.fakeRuntime.mu.Lock()
		r.fakeRuntime.execs[id] = e
		r.fakeRuntime.running++
		r.fakeRuntime.mu.Unlock()
		out = append(out, bootstrap.Reattached{JobID: id, Attempt: attempt, Execution: e, RoleEnv: r.roleEnv[id]})
	}
	return out, nil
}

func TestRestartedAgentReattachesToHeldAttemptsOnly(t *testing.T) {
	cfg := testConfig(t)
	h := newHarness(t, cfg, "q")
	held := newJob("held", "q", small)
	held.Status, held.Internal.Attempt, held.Internal.Instance = batch.Running, 1, instanceID
	held.Attempts = []batch.AttemptDetail{{}}
	h.ctl.put(held)
	rt := &reattachingRuntime{fakeRuntime: h.rt, left: map[string]int{"held": 1, "stale": 2}}
	h.agent = bootstrap.New(h.ctl, h.queue, rt, h.logs, cfg)
	h.start()

	e := h.started("held")
	if got := h.rt.started(); len(got) != 0 {
		t.Fatalf("the runtime started %v; a held attempt must be followed, not run again", got)
	}
	waitFor(t, "the stale execution to be removed", func() bool {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		return len(rt.removed) == 1 && rt.removed[0] == "stale"
	})
	if h.agent.Running() != 1 {
		t.Errorf("running = %d, want the re-attached attempt counted", h.agent.Running())
	}
	e.emit("after the restart")
	e.exit(0)
	got := h.finished("held")
	if got.Attempt != 1 || got.Outcome.ExitCode == nil || *got.Outcome.ExitCode != 0 {
		t.Errorf("reported %+v, want attempt 1 with exit code 0", got)
	}
	if len(h.callsFor("Heartbeat", "held"))+len(h.callsFor("MarkRunning", "held")) == 0 {
		t.Error("the re-attached attempt was neither marked running nor heartbeaten")
	}
}

// stubSTS issues numbered credentials good for an hour.
type stubSTS struct {
	mu    sync.Mutex
	calls []rolecreds.AssumeInput
}

func (s *stubSTS) AssumeRole(_ context.Context, in rolecreds.AssumeInput) (rolecreds.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, in)
	n := len(s.calls)
	return rolecreds.Credentials{
		AccessKeyID: fmt.Sprintf("ASIA%d", n), SecretAccessKey: "secret", SessionToken: "token", Expires: time.Now().Add(time.Hour),
	}, nil
}

// serveRoles serves job role credentials on 127.0.0.1:port until stop is
// called (or the test ends).
func serveRoles(t *testing.T, sts rolecreds.Assumer, port int) (roles *rolecreds.Roles, stop func()) {
	t.Helper()
	roles, err := rolecreds.Open(t.Context(), rolecreds.Roles{Assumer: sts, Stack: "st"}, rolecreds.NetworkHost, rolecreds.ListenOptions{Port: port})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if got := roles.Endpoint.Addr().String(); got != fmt.Sprintf("127.0.0.1:%d", port) {
		t.Fatalf("the endpoint listens on %s, want port %d", got, port)
	}
	return roles, rolecredstest.Serve(t, roles)
}

// freePort is a port of 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// fetch GETs a credentials URI with token and returns the status and the
// access key id served; nothing listening is status 0.
func fetch(t *testing.T, uri, token string) (int, string) {
	t.Helper()
	a, err := rolecredstest.Get(t.Context(), uri, token)
	if err != nil {
		return a.Status, ""
	}
	return a.Status, a.Body["AccessKeyId"]
}

// holdJob stores a job of queue q, with role, RUNNING on the instance in
// its attempt n, as an earlier agent of the instance left it.
func (h *harness) holdJob(id string, n int, role string) batch.Job {
	j := newJob(id, "q", small)
	j.Container.JobRoleArn = role
	j.Status, j.Internal.Attempt, j.Internal.Instance = batch.Running, n, instanceID
	j.Attempts = make([]batch.AttemptDetail, n)
	h.ctl.put(j)
	return j
}

func TestRestartedAgentServesAReattachedAttemptsRoleAgain(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/long-job"
	sts := &stubSTS{}
	port := freePort(t)
	// The earlier agent granted attempt 1 of the job its credentials, then
	// went away, and its endpoint with it.
	earlier, stopEarlier := serveRoles(t, sts, port)
	g, err := earlier.Grant(t.Context(), rolecreds.Attempt{JobID: "with-role", Attempt: 1, RoleARN: role})
	if err != nil {
		t.Fatalf("Grant: %v", err)
	}
	uri, token := rolecredstest.Env(g.Env)
	if status, key := fetch(t, uri, token); status != http.StatusOK || key != "ASIA1" {
		t.Fatalf("from the earlier agent: %d %q, want 200 ASIA1", status, key)
	}
	stopEarlier()
	if status, _ := fetch(t, uri, token); status != 0 {
		t.Fatalf("with the earlier agent gone, %s answered %d", uri, status)
	}

	// The restarted agent, at the same port, takes the job's container
	// over.
	roles, _ := serveRoles(t, sts, port)
	cfg := testConfig(t)
	cfg.JobRoles = roles
	h := newHarness(t, cfg, "q")
	held := h.holdJob("with-role", 1, role)
	env := append([]string{"OTHER=x"}, g.Env...)
	rt := &reattachingRuntime{fakeRuntime: h.rt, left: map[string]int{"with-role": 1}, roleEnv: map[string][]string{"with-role": env}}
	h.agent = bootstrap.New(h.ctl, h.queue, rt, h.logs, cfg)
	h.start()
	e := h.started("with-role")

	var status int
	var key string
	waitFor(t, "the job's credentials to be served again", func() bool {
		status, key = fetch(t, uri, token)
		return status == http.StatusOK
	})
	if key != "ASIA2" {
		t.Errorf("served %q, want the credentials of a new session (ASIA2)", key)
	}
	sts.mu.Lock()
	if len(sts.calls) != 2 || sts.calls[1].SessionName != "tanda-with-role-1" || sts.calls[1].RoleARN != role {
		t.Errorf("AssumeRole calls %+v, want a second one for session tanda-with-role-1 of %s", sts.calls, role)
	}
	sts.mu.Unlock()
	other := strings.Repeat("0", len(token))
	for _, tt := range []struct {
		name, token string
		want        int
	}{{"another token", other, http.StatusForbidden}, {"no token", "", http.StatusUnauthorized}} {
		if status, key := fetch(t, uri, tt.token); status != tt.want || key != "" {
			t.Errorf("with %s: %d %q, want %d without credentials", tt.name, status, key, tt.want)
		}
	}

	e.exit(0)
	h.finished("with-role")
	waitFor(t, "the credentials to be revoked with the attempt's end", func() bool {
		status, _ := fetch(t, uri, token)
		return status == http.StatusForbidden
	})
	stream := control.LogStreamName(held.Internal.DefinitionName, "with-role", 1)
	want := "tanda: job role " + role + ": after the agent's restart its credentials (session tanda-with-role-1) are served again at the job's " + rolecreds.EnvFullURI
	if logs := h.logs.texts(stream); !contains(logs, want) {
		t.Errorf("the job's log %q lacks %q", logs, want)
	}
	for _, l := range h.logs.texts(stream) {
		if strings.Contains(l, token) {
			t.Errorf("the job's log has the token: %q", l)
		}
	}
}

func TestReattachedAttemptWhoseRoleCannotBeServedSaysSo(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/r"
	roles := &fakeRoles{err: errors.New("its AWS_CONTAINER_CREDENTIALS_FULL_URI is not one this agent makes")}
	cfg := testConfig(t)
	cfg.JobRoles = roles
	h := newHarness(t, cfg, "q")
	held := h.holdJob("odd", 2, role)
	rt := &reattachingRuntime{fakeRuntime: h.rt, left: map[string]int{"odd": 2}}
	h.agent = bootstrap.New(h.ctl, h.queue, rt, h.logs, cfg)
	h.start()
	e := h.started("odd")
	e.exit(0)
	if got := h.finished("odd"); got.Outcome.ExitCode == nil || *got.Outcome.ExitCode != 0 {
		t.Errorf("reported %+v, want the job's exit: the attempt goes on without its credentials", got.Outcome)
	}
	roles.mu.Lock()
	if len(roles.regranted) != 1 || roles.regranted[0] != (rolecreds.Attempt{JobID: "odd", Attempt: 2, RoleARN: role}) {
		t.Errorf("regrants %+v, want one for attempt 2 of odd", roles.regranted)
	}
	roles.mu.Unlock()
	stream := control.LogStreamName(held.Internal.DefinitionName, "odd", 2)
	want := "tanda: job role " + role + ": after the agent's restart its credentials cannot be served again, so the job cannot refresh them: " + roles.err.Error()
	if logs := h.logs.texts(stream); !contains(logs, want) {
		t.Errorf("the job's log %q lacks %q", logs, want)
	}
}
