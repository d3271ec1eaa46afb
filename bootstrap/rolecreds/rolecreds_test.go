package rolecreds_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"

	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds/rolecredstest"
)

// fakeSTS issues numbered credentials that last life, or fails with err.
type fakeSTS struct {
	clock *batchtest.Clock
	life  time.Duration

	mu    sync.Mutex
	calls []rolecreds.AssumeInput
	err   error
}

func (f *fakeSTS) AssumeRole(_ context.Context, in rolecreds.AssumeInput) (rolecreds.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	if f.err != nil {
		return rolecreds.Credentials{}, f.err
	}
	n := len(f.calls)
	return rolecreds.Credentials{
		AccessKeyID:     fmt.Sprintf("ASIA%d", n),
		SecretAccessKey: fmt.Sprintf("secret%d", n),
		SessionToken:    fmt.Sprintf("token%d", n),
		Expires:         f.clock.Now().Add(f.life),
	}, nil
}

func (f *fakeSTS) fail(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func (f *fakeSTS) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

const roleA = "arn:aws:iam::123456789012:role/job-a"

// rig is an Endpoint on 127.0.0.1 served until the test ends, with Roles
// over a fake STS and a manual clock.
type rig struct {
	clock *batchtest.Clock
	sts   *fakeSTS
	roles *rolecreds.Roles
}

func newRig(t *testing.T, life time.Duration) *rig {
	t.Helper()
	clock := batchtest.NewClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	sts := &fakeSTS{clock: clock, life: life}
	roles, err := rolecreds.Open(t.Context(), rolecreds.Roles{Assumer: sts, Stack: "st", Clock: clock}, rolecreds.NetworkHost, rolecreds.ListenOptions{Port: rolecreds.AnyPort})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if roles.Endpoint == nil {
		t.Fatalf("no endpoint on the host network: %s", roles.Unreachable)
	}
	rolecredstest.Serve(t, roles)
	return &rig{clock: clock, sts: sts, roles: roles}
}

// grant grants an attempt of job and returns its URI and token.
func (r *rig) grant(t *testing.T, job string, attempt int) (uri, token string, g rolecreds.Grant) {
	t.Helper()
	g, err := r.roles.Grant(t.Context(), rolecreds.Attempt{JobID: job, Attempt: attempt, RoleARN: roleA})
	if err != nil {
		t.Fatalf("Grant: %v", err)
	}
	uri, token = rolecredstest.Env(g.Env)
	if len(g.Env) != 2 || uri == "" || token == "" {
		t.Fatalf("grant's environment = %q, want %s and %s", g.Env, rolecreds.EnvFullURI, rolecreds.EnvToken)
	}
	return uri, token, g
}

type answer struct {
	status int
	body   map[string]string
}

func get(t *testing.T, uri, token string) answer {
	t.Helper()
	got, err := rolecredstest.Get(t.Context(), uri, token)
	if err != nil {
		t.Fatalf("GET %s: %v", uri, err)
	}
	if got.ContentType != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got.ContentType)
	}
	return answer{status: got.Status, body: got.Body}
}

func TestEndpointServesAnAttemptToItsTokenAlone(t *testing.T) {
	r := newRig(t, time.Hour)
	uriA, tokenA, grantA := r.grant(t, "job-a", 1)
	uriB, tokenB, grantB := r.grant(t, "job-b", 1)
	defer grantB.Revoke()
	if uriA == uriB || tokenA == tokenB {
		t.Fatalf("two attempts share a URI or token: %s %s", uriA, uriB)
	}
	if !strings.HasPrefix(uriA, "http://127.0.0.1:") {
		t.Errorf("URI %s: want http://127.0.0.1:<port>/... on the host network", uriA)
	}

	got := get(t, uriA, tokenA)
	if got.status != http.StatusOK {
		t.Fatalf("with its token: %d %v, want 200", got.status, got.body)
	}
	exp, err := time.Parse(time.RFC3339, got.body["Expiration"])
	if err != nil || !exp.Equal(r.clock.Now().Add(time.Hour)) {
		t.Errorf("Expiration = %q (%v), want %s", got.body["Expiration"], err, r.clock.Now().Add(time.Hour).Format(time.RFC3339))
	}
	if got.body["AccessKeyId"] != "ASIA1" || got.body["SecretAccessKey"] != "secret1" || got.body["Token"] != "token1" || got.body["RoleArn"] != roleA {
		t.Errorf("credentials = %v, want the first session's of %s", got.body, roleA)
	}

	for _, tt := range []struct {
		name, uri, token string
		want             int
	}{
		{"no token", uriA, "", http.StatusUnauthorized},
		{"another attempt's token", uriA, tokenB, http.StatusForbidden},
		{"a made-up token", uriA, strings.Repeat("0", len(tokenA)), http.StatusForbidden},
		{"its token on another attempt's path", uriB, tokenA, http.StatusForbidden},
		{"another path", strings.TrimSuffix(uriA, uriA[strings.LastIndex(uriA, "/"):]) + "/nope", tokenA, http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := get(t, tt.uri, tt.token); got.status != tt.want || got.body["AccessKeyId"] != "" {
				t.Errorf("status %d, body %v; want %d without credentials", got.status, got.body, tt.want)
			}
		})
	}

	grantA.Revoke()
	if got := get(t, uriA, tokenA); got.status != http.StatusForbidden {
		t.Errorf("after the attempt ended: %d %v, want 403", got.status, got.body)
	}
	if got := get(t, uriB, tokenB); got.status != http.StatusOK {
		t.Errorf("the other attempt after the first ended: %d, want 200", got.status)
	}
}

func TestCredentialsAreRenewedBeforeTheyExpire(t *testing.T) {
	// A session of 15 minutes, STS's shortest: a job longer than that keeps
	// getting good credentials.
	r := newRig(t, 15*time.Minute)
	uri, token, g := r.grant(t, "job-long", 1)
	defer g.Revoke()
	if n := r.sts.count(); n != 1 {
		t.Fatalf("AssumeRole calls after the grant = %d, want 1", n)
	}
	keyAt := func() string {
		t.Helper()
		a := get(t, uri, token)
		if a.status != http.StatusOK {
			t.Fatalf("GET: %d %v", a.status, a.body)
		}
		exp, err := time.Parse(time.RFC3339, a.body["Expiration"])
		if err != nil {
			t.Fatal(err)
		}
		if left := exp.Sub(r.clock.Now()); left < 7*time.Minute {
			t.Errorf("at %s the credentials served have %v left; want at least half the session", r.clock.Now().Format(time.TimeOnly), left)
		}
		return a.body["AccessKeyId"]
	}
	if k := keyAt(); k != "ASIA1" {
		t.Fatalf("first key %s, want ASIA1", k)
	}
	r.clock.Advance(7 * time.Minute)
	if k := keyAt(); k != "ASIA1" || r.sts.count() != 1 {
		t.Errorf("before half-life: key %s after %d calls, want ASIA1 after 1", k, r.sts.count())
	}
	// Past half its life, the session is renewed, again and again: the job
	// runs three sessions long.
	for i, want := range []string{"ASIA2", "ASIA3", "ASIA4", "ASIA5", "ASIA6"} {
		r.clock.Advance(8 * time.Minute)
		if k := keyAt(); k != want {
			t.Fatalf("renewal %d: key %s, want %s", i+1, k, want)
		}
	}
	// Every renewal carries the attempt's session name.
	for _, c := range r.sts.calls {
		if c.SessionName != "tanda-job-long-1" || c.RoleARN != roleA {
			t.Errorf("AssumeRole(%+v): want session tanda-job-long-1 of %s", c, roleA)
		}
	}

	// STS failing at renewal: the current credentials serve while they have
	// more than a minute left, then the endpoint says why it has none.
	r.sts.fail(errors.New("STS AssumeRole: Throttling: slow down"))
	r.clock.Advance(8 * time.Minute) // 8 of 15 minutes gone
	if k := keyAt(); k != "ASIA6" {
		t.Errorf("renewal failing with time left: key %s, want ASIA6", k)
	}
	r.clock.Advance(6*time.Minute + 30*time.Second)
	if a := get(t, uri, token); a.status != http.StatusInternalServerError || !strings.Contains(a.body["message"], "Throttling") {
		t.Errorf("renewal failing at expiry: %d %v, want 500 naming STS's error", a.status, a.body)
	}
}

// The SDK's own container credentials provider reads the endpoint, both
// directly and through the default chain's environment variables.
func TestTheSDKReadsTheEndpoint(t *testing.T) {
	r := newRig(t, time.Hour)
	uri, token, g := r.grant(t, "job-sdk", 2)
	defer g.Revoke()

	c, err := endpointcreds.New(uri, func(o *endpointcreds.Options) { o.AuthorizationToken = token }).Retrieve(t.Context())
	if err != nil {
		t.Fatalf("endpointcreds: %v", err)
	}
	if c.AccessKeyID != "ASIA1" || c.SessionToken != "token1" || !c.CanExpire || !c.Expires.Equal(r.clock.Now().Add(time.Hour)) {
		t.Errorf("endpointcreds got %+v", c)
	}

	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv(rolecreds.EnvFullURI, uri)
	t.Setenv(rolecreds.EnvToken, token)
	cfg, err := config.LoadDefaultConfig(t.Context(), config.WithRegion("us-east-1"))
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	c, err = cfg.Credentials.Retrieve(t.Context())
	if err != nil || c.AccessKeyID != "ASIA1" {
		t.Errorf("the default chain got %+v, %v; want the attempt's credentials", c, err)
	}

	t.Setenv(rolecreds.EnvToken, "wrong")
	cfg, err = config.LoadDefaultConfig(t.Context(), config.WithRegion("us-east-1"))
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	if c, err := cfg.Credentials.Retrieve(t.Context()); err == nil {
		t.Errorf("with a wrong token the chain got %+v", c)
	}
}

// unserved is an Endpoint on 127.0.0.1 that is not served.
func unserved(t *testing.T) *rolecreds.Endpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return rolecreds.NewEndpoint(ln, nil)
}

func TestGrant(t *testing.T) {
	clock := batchtest.NewClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	ep := unserved(t)
	refused := errors.New("STS AssumeRole: AccessDenied: not authorized to perform sts:AssumeRole")
	a := rolecreds.Attempt{JobID: "job-1", Attempt: 3, RoleARN: roleA}
	for _, tt := range []struct {
		name  string
		roles rolecreds.Roles
		// wantErr, else wantEnv, else a note matching wantNote.
		wantErr  string
		wantEnv  bool
		wantNote string
	}{
		{"assumed", rolecreds.Roles{Assumer: &fakeSTS{clock: clock, life: time.Hour}, Endpoint: ep}, "", true, `^job role .*job-a: credentials \(session tanda-job-1-3\) at AWS_CONTAINER_CREDENTIALS_FULL_URI$`},
		{"refused", rolecreds.Roles{Assumer: &fakeSTS{err: refused}, Endpoint: ep}, "unable to assume job role " + roleA + ": STS AssumeRole: AccessDenied: not authorized to perform sts:AssumeRole", false, ""},
		{"refused, leniently", rolecreds.Roles{Assumer: &fakeSTS{err: refused}, Endpoint: ep, Lenient: true}, "", false, `unable to assume it: STS AssumeRole: AccessDenied.*; the job runs without AWS credentials$`},
		{"no credentials", rolecreds.Roles{Assumer: &fakeSTS{err: fmt.Errorf("%w: no EC2 IMDS role found", rolecreds.ErrNoCredentials)}, Endpoint: ep}, "", false, `no AWS credentials to assume it with .*no EC2 IMDS role found.*; the job runs without AWS credentials$`},
		{"no assumer", rolecreds.Roles{Endpoint: ep}, "", false, `this agent has no AWS credentials`},
		{"unreachable", rolecreds.Roles{Assumer: &fakeSTS{clock: clock, life: time.Hour}, Unreachable: "job containers have no network"}, "", false, `job containers have no network; the job runs without AWS credentials$`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.roles.Clock = clock
			g, err := tt.roles.Grant(t.Context(), a)
			defer g.Revoke()
			if tt.wantErr != "" {
				var ae *rolecreds.AssumeError
				if !errors.As(err, &ae) || err.Error() != tt.wantErr {
					t.Fatalf("Grant = %v, want *AssumeError %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Grant: %v", err)
			}
			if (len(g.Env) > 0) != tt.wantEnv {
				t.Errorf("Env = %q, want some: %v", g.Env, tt.wantEnv)
			}
			if !regexp.MustCompile(tt.wantNote).MatchString(g.Note) {
				t.Errorf("Note = %q, want it to match %q", g.Note, tt.wantNote)
			}
		})
	}
}

func TestSessionNames(t *testing.T) {
	valid := regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	for _, tt := range []struct {
		job     string
		attempt int
		want    string
	}{
		{"0d4e5f6a-1b2c-4d3e-8f9a-0b1c2d3e4f5a", 1, "tanda-0d4e5f6a-1b2c-4d3e-8f9a-0b1c2d3e4f5a-1"},
		{"0d4e5f6a-1b2c-4d3e-8f9a-0b1c2d3e4f5a:9999", 10, "tanda-0d4e5f6a-1b2c-4d3e-8f9a-0b1c2d3e4f5a.9999-10"},
		{strings.Repeat("x", 80), 3, "tanda-" + strings.Repeat("x", 56) + "-3"},
		{"a b/c#d", 2, "tanda-a.b.c.d-2"},
	} {
		got := rolecreds.SessionName(tt.job, tt.attempt)
		if got != tt.want || !valid.MatchString(got) {
			t.Errorf("SessionName(%q, %d) = %q (valid for STS: %v), want %q", tt.job, tt.attempt, got, valid.MatchString(got), tt.want)
		}
	}
	in := rolecreds.Attempt{JobID: "j:3", Attempt: 2, RoleARN: roleA}.Input("stack-1", time.Hour)
	if in.SessionName != "tanda-j.3-2" || in.SourceIdentity != in.SessionName || in.Tags[rolecreds.TagStack] != "stack-1" ||
		in.Tags[rolecreds.TagJobID] != "j:3" || in.Tags[rolecreds.TagAttempt] != "2" || in.Duration != time.Hour {
		t.Errorf("Input = %+v", in)
	}
}

func TestListen(t *testing.T) {
	ln, why, err := rolecreds.Listen(t.Context(), rolecreds.NetworkNone, rolecreds.ListenOptions{})
	if err != nil || ln != nil || !strings.Contains(why, "no network") {
		t.Errorf("Listen(none) = %v, %q, %v; want no listener and why", ln, why, err)
	}
	// This machine is not asked to take 169.254.170.2: unless it has it
	// already, the bridge gets no listener and a how-to.
	ln, why, err = rolecreds.Listen(t.Context(), rolecreds.NetworkBridge, rolecreds.ListenOptions{Port: rolecreds.AnyPort})
	switch {
	case err != nil:
		t.Errorf("Listen(bridge): %v", err)
	case ln != nil:
		defer ln.Close()
		if host, _, _ := net.SplitHostPort(ln.Addr().String()); host != rolecreds.ECSAddress {
			t.Errorf("Listen(bridge) listens on %s, want %s", ln.Addr(), rolecreds.ECSAddress)
		}
	case !strings.Contains(why, "ip addr add 169.254.170.2/32 dev lo"):
		t.Errorf("Listen(bridge) without the address: %q, want a how-to", why)
	}
}

// serveAt serves roles over sts on 127.0.0.1 at port (any with AnyPort)
// until the returned stop is called or the test ends.
func serveAt(t *testing.T, clock *batchtest.Clock, sts *fakeSTS, port int) (roles *rolecreds.Roles, stop func()) {
	t.Helper()
	roles, err := rolecreds.Open(t.Context(), rolecreds.Roles{Assumer: sts, Stack: "st", Clock: clock}, rolecreds.NetworkHost, rolecreds.ListenOptions{Port: port})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return roles, rolecredstest.Serve(t, roles)
}

func portOf(t *testing.T, addr net.Addr) int {
	t.Helper()
	return addr.(*net.TCPAddr).Port
}

// An agent that restarts serves the attempts it takes over under the URI
// and token they were given, with a new session; other tokens are still
// refused, and so is anything Register could not have made.
func TestRegrantServesTheSameURIAndToken(t *testing.T) {
	clock := batchtest.NewClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	sts := &fakeSTS{clock: clock, life: time.Hour}
	earlier, stop := serveAt(t, clock, sts, rolecreds.AnyPort)
	port := portOf(t, earlier.Endpoint.Addr())
	a := rolecreds.Attempt{JobID: "job-r", Attempt: 2, RoleARN: roleA}
	g, err := earlier.Grant(t.Context(), a)
	if err != nil {
		t.Fatalf("Grant: %v", err)
	}
	b, err := earlier.Grant(t.Context(), rolecreds.Attempt{JobID: "job-other", Attempt: 1, RoleARN: roleA})
	if err != nil {
		t.Fatalf("Grant: %v", err)
	}
	uri, token := rolecredstest.Env(g.Env)
	uriB, tokenB := rolecredstest.Env(b.Env)
	stop()

	later, _ := serveAt(t, clock, sts, port)
	// An environment with other variables besides: only the two are read.
	r, err := later.Regrant(t.Context(), a, append([]string{"PATH=/bin", "SECRET=v"}, g.Env...))
	if err != nil {
		t.Fatalf("Regrant: %v", err)
	}
	if len(r.Env) != 0 {
		t.Errorf("Regrant's Env = %q: the container has its environment already", r.Env)
	}
	if want := "job role " + roleA + ": after the agent's restart its credentials (session tanda-job-r-2) are served again at the job's AWS_CONTAINER_CREDENTIALS_FULL_URI"; r.Note != want {
		t.Errorf("Note = %q, want %q", r.Note, want)
	}
	if got := get(t, uri, token); got.status != http.StatusOK || got.body["AccessKeyId"] != "ASIA3" {
		t.Errorf("the old URI and token after the restart: %d %v, want 200 with a new session's credentials (ASIA3)", got.status, got.body)
	}
	if last := sts.calls[len(sts.calls)-1]; last.SessionName != "tanda-job-r-2" || last.Tags[rolecreds.TagAttempt] != "2" {
		t.Errorf("AssumeRole(%+v), want the attempt's session", last)
	}
	for _, tt := range []struct {
		name, token string
		want        int
	}{
		{"another attempt's token", tokenB, http.StatusForbidden},
		{"a made-up token", strings.Repeat("0", len(token)), http.StatusForbidden},
		{"no token", "", http.StatusUnauthorized},
	} {
		if got := get(t, uri, tt.token); got.status != tt.want || got.body["AccessKeyId"] != "" {
			t.Errorf("with %s: %d %v, want %d without credentials", tt.name, got.status, got.body, tt.want)
		}
	}
	// The attempt not taken over is not served.
	if got := get(t, uriB, tokenB); got.status != http.StatusForbidden {
		t.Errorf("an attempt not re-granted: %d, want 403", got.status)
	}
	if _, err := later.Regrant(t.Context(), a, g.Env); err == nil || !strings.Contains(err.Error(), "registered already") {
		t.Errorf("re-granting an id served already: %v, want it refused", err)
	}
	r.Revoke()
	if got := get(t, uri, token); got.status != http.StatusForbidden {
		t.Errorf("after Revoke: %d, want 403", got.status)
	}

	base := uri[:strings.LastIndex(uri, "/")+1]
	id := uri[len(base):]
	for _, tt := range []struct{ name, uri, token string }{
		{"a short token", uri, token[:10]},
		{"an upper-case token", uri, strings.ToUpper(token)},
		{"a token with a newline", uri, token[:63] + "\n"},
		{"a short id", base + id[:8], token},
		{"an id with a slash", base + id[:31] + "/", token},
		{"another path", strings.Replace(uri, "/v1/credentials/", "/v2/credentials/", 1), token},
		{"https", strings.Replace(uri, "http:", "https:", 1), token},
		{"no port", "http://127.0.0.1/v1/credentials/" + id, token},
		{"a query", uri + "?x=1", token},
		{"user info", strings.Replace(uri, "http://", "http://u:p@", 1), token},
		{"not a URI", "::", token},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := []string{rolecreds.EnvFullURI + "=" + tt.uri, rolecreds.EnvToken + "=" + tt.token}
			g, err := later.Regrant(t.Context(), a, env)
			if err == nil {
				g.Revoke()
				t.Fatalf("Regrant(%q) = %+v, want it refused", tt.uri, g)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the error names the token: %v", err)
			}
		})
	}
}

// An attempt whose URI names a port other than the restarted agent's (the
// earlier agent's fixed port was taken) is served there too when that
// port is free; when it is not, the note says the job cannot refresh its
// credentials.
func TestRegrantAtAnotherPort(t *testing.T) {
	clock := batchtest.NewClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	sts := &fakeSTS{clock: clock, life: time.Hour}
	earlier, stop := serveAt(t, clock, sts, rolecreds.AnyPort)
	a := rolecreds.Attempt{JobID: "job-p", Attempt: 1, RoleARN: roleA}
	g, err := earlier.Grant(t.Context(), a)
	if err != nil {
		t.Fatalf("Grant: %v", err)
	}
	c := rolecreds.Attempt{JobID: "job-q", Attempt: 1, RoleARN: roleA}
	gc, err := earlier.Grant(t.Context(), c)
	if err != nil {
		t.Fatalf("Grant: %v", err)
	}
	stop()

	// Taken back: the later agent is on another port, the old one is free.
	later, _ := serveAt(t, clock, sts, rolecreds.AnyPort)
	r, err := later.Regrant(t.Context(), a, g.Env)
	if err != nil {
		t.Fatalf("Regrant: %v", err)
	}
	defer r.Revoke()
	if !strings.Contains(r.Note, "served again") {
		t.Errorf("Note = %q, want it served again", r.Note)
	}
	uri, token := rolecredstest.Env(g.Env)
	if got := get(t, uri, token); got.status != http.StatusOK {
		t.Errorf("at the earlier agent's port: %d %v, want 200", got.status, got.body)
	}

	// Not taken back: job-q's URI names the same port as job-p's (one
	// endpoint, one port), which the later agent holds now; a third agent
	// cannot take it.
	third, _ := serveAt(t, clock, sts, rolecreds.AnyPort)
	r2, err := third.Regrant(t.Context(), c, gc.Env)
	if err != nil {
		t.Fatalf("Regrant: %v", err)
	}
	defer r2.Revoke()
	want := regexp.MustCompile(`^job role .*job-a: after the agent's restart this agent serves credentials at 127\.0\.0\.1:\d+ and cannot take 127\.0\.0\.1:\d+ back \(.*address already in use\), so the job cannot refresh its credentials \(those it holds work until they expire\)$`)
	if !want.MatchString(r2.Note) {
		t.Errorf("Note = %q, want it to match %s", r2.Note, want)
	}
}

func TestRegrantWithoutWhatItNeeds(t *testing.T) {
	clock := batchtest.NewClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	ep := unserved(t)
	a := rolecreds.Attempt{JobID: "job-1", Attempt: 1, RoleARN: roleA}
	env := []string{
		rolecreds.EnvFullURI + "=http://" + ep.Addr().String() + "/v1/credentials/" + strings.Repeat("a", 32),
		rolecreds.EnvToken + "=" + strings.Repeat("b", 64),
	}
	refused := errors.New("STS AssumeRole: AccessDenied: not authorized")
	for _, tt := range []struct {
		name  string
		roles rolecreds.Roles
		env   []string
		note  string
		serve bool
	}{
		{"no grant then", rolecreds.Roles{Assumer: &fakeSTS{clock: clock, life: time.Hour}, Endpoint: ep}, []string{"PATH=/bin"}, `the job started without AWS credentials and goes on without them`, false},
		{"no endpoint", rolecreds.Roles{Assumer: &fakeSTS{clock: clock, life: time.Hour}, Unreachable: "job containers have no network"}, env, `this agent serves no credentials \(job containers have no network\), so the job cannot refresh its credentials`, false},
		{"no assumer", rolecreds.Roles{Endpoint: ep}, env, `this agent has no AWS credentials to assume its role with, so the job cannot refresh`, false},
		{"no credentials", rolecreds.Roles{Assumer: &fakeSTS{err: fmt.Errorf("%w: no EC2 IMDS role found", rolecreds.ErrNoCredentials)}, Endpoint: ep}, env, `no AWS credentials to assume its role with \(.*no EC2 IMDS role found\), so the job cannot refresh`, false},
		{"refused", rolecreds.Roles{Assumer: &fakeSTS{err: refused}, Endpoint: ep}, env, `served again at the job's AWS_CONTAINER_CREDENTIALS_FULL_URI, but the role cannot be assumed now \(STS AssumeRole: AccessDenied: not authorized\): the agent tries again each time the job asks$`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.roles.Clock = clock
			g, err := tt.roles.Regrant(t.Context(), a, tt.env)
			if err != nil {
				t.Fatalf("Regrant: %v", err)
			}
			defer g.Revoke()
			if !regexp.MustCompile(tt.note).MatchString(g.Note) {
				t.Errorf("Note = %q, want it to match %q", g.Note, tt.note)
			}
			// Served or not: a second Regrant of the same id is refused
			// only when the first registered it.
			_, err = tt.roles.Regrant(t.Context(), a, tt.env)
			if served := err != nil; served != tt.serve {
				t.Errorf("registered: %v (second Regrant: %v), want %v", served, err, tt.serve)
			}
		})
	}
}

func TestListenAtAFixedPort(t *testing.T) {
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := portOf(t, free.Addr())
	free.Close()
	ln, why, err := rolecreds.Listen(t.Context(), rolecreds.NetworkHost, rolecreds.ListenOptions{Port: port})
	if err != nil || ln == nil {
		t.Fatalf("Listen(host, %d) = %v, %q, %v", port, ln, why, err)
	}
	defer ln.Close()
	if got := portOf(t, ln.Addr()); got != port {
		t.Errorf("listening on port %d, want %d", got, port)
	}
	// Taken: any free port, with a warning.
	var logged strings.Builder
	logger := slog.New(slog.NewTextHandler(&logged, nil))
	other, _, err := rolecreds.Listen(t.Context(), rolecreds.NetworkHost, rolecreds.ListenOptions{Port: port, Logger: logger})
	if err != nil || other == nil {
		t.Fatalf("Listen(host, %d) with the port taken: %v, %v; want any port", port, other, err)
	}
	defer other.Close()
	if got := portOf(t, other.Addr()); got == port || got == 0 {
		t.Errorf("with port %d taken, listening on %d", port, got)
	}
	if !strings.Contains(logged.String(), "level=WARN") || !strings.Contains(logged.String(), fmt.Sprintf("wanted=127.0.0.1:%d", port)) {
		t.Errorf("log %q, want a warning naming the port wanted", logged.String())
	}
	if rolecreds.DefaultPort <= 1024 {
		t.Errorf("DefaultPort %d needs privileges `tanda up` has not", rolecreds.DefaultPort)
	}
}
