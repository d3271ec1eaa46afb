package agentapi_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/api/agentapi"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

// fixedToken always sends the same identity header.
type fixedToken string

func (f fixedToken) Token(context.Context, bool) (string, error) { return string(f), nil }

// Every identity that is not a recent GetCallerIdentity signature, made
// for this server, by a session of the stack's instance role on a running
// instance of the stack, is refused: 401 without one, 403 otherwise. A
// refused caller writes nothing: each case tries a claim, a heartbeat of
// an attempt held by the instance it claims to be, and a report.
func TestIdentityRefusals(t *testing.T) {
	w := newWorld(t)
	ctx := w.ctx
	offered := w.submit("q1")
	held := w.claim(instA, w.submit("q1"))
	sign := func(s signer) string {
		tok, err := s.Token(ctx, true)
		if err != nil {
			t.Fatalf("signing: %v", err)
		}
		return tok
	}
	ok := w.signer(instA)
	withKey := func(k key) signer { s := ok; s.k = k; return s }
	withClock := func(d time.Duration) signer {
		s := ok
		s.clock = shifted{w.clock, d}
		return s
	}
	other := key{id: "AKIAOTHERUSER", secret: "s", token: "", arn: "arn:aws:iam::" + account + ":user/admin"}
	otherRole := sessionKey(instA)
	otherRole.id, otherRole.arn = "ASIAOTHERROLE", fmt.Sprintf("arn:aws:sts::%s:assumed-role/SomeOtherRole/%s", account, instA)
	notInstance := sessionKey(instA)
	notInstance.id, notInstance.arn = "ASIANOTINSTANCE", fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/admin-session", account, roleName)
	otherAccount := sessionKey(instA)
	otherAccount.id, otherAccount.arn = "ASIAOTHERACCOUNT", fmt.Sprintf("arn:aws:sts::999999999999:assumed-role/%s/%s", roleName, instA)
	otherStack, gone, unknown := "i-0ddddddddddddddd4", "i-0eeeeeeeeeeeeeee5", "i-0fffffffffffffff6"
	for _, k := range []key{other, otherRole, notInstance, otherAccount, sessionKey(otherStack), sessionKey(gone), sessionKey(unknown)} {
		w.sts.keys[k.id] = k
	}
	w.ec2.set(otherStack, agentapi.InstanceFacts{State: "running", Stack: "another-stack", ComputeEnvironment: "ce1"})
	w.ec2.set(gone, agentapi.InstanceFacts{State: "terminated", Stack: stack, ComputeEnvironment: "ce1"})
	revoked := sessionKey("i-0999999999999999a")
	w.sts.keys[revoked.id] = revoked
	w.ec2.set("i-0999999999999999a", agentapi.InstanceFacts{State: "running", Stack: stack, ComputeEnvironment: "ce1"})
	revokedTok := sign(withKey(revoked))
	w.sts.revoke(revoked.id)
	forged := sessionKey(instA)
	forged.secret = "not-the-secret"
	tampered := func() string {
		// A valid token whose date was changed after signing (still
		// recent, and of the same day, so only STS can tell).
		s := ok
		tok := sign(s)
		raw, _ := base64.RawURLEncoding.DecodeString(tok)
		at := w.clock.Now().UTC().Format("20060102T150405Z")
		at2 := w.clock.Now().Add(-time.Second).UTC().Format("20060102T150405Z")
		if at[:8] != at2[:8] {
			at2 = w.clock.Now().Add(time.Second).UTC().Format("20060102T150405Z")
		}
		return base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(raw), at, at2, 1)))
	}()
	stolenForB := sign(signer{k: sessionKey(instA), endpoint: w.sts.URL, serverID: "other-service.example.test", clock: w.clock})

	for _, tt := range []struct {
		name   string
		token  string
		status int
		want   string
	}{
		{"no identity", "", 401, "MissingIdentity"},
		{"not base64", "%%%", 403, "base64"},
		{"not a token", base64.RawURLEncoding.EncodeToString([]byte(`{"x":1}`)), 403, "not a token"},
		{"forged signature", sign(withKey(forged)), 403, "SignatureDoesNotMatch"},
		{"tampered after signing", tampered, 403, "SignatureDoesNotMatch"},
		{"revoked session", revokedTok, 403, "STS refused"},
		{"unknown key", sign(withKey(key{id: "ASIAUNKNOWN", secret: "x", token: "t"})), 403, "STS refused"},
		{"signed for another server", stolenForB, 403, "SignatureDoesNotMatch"},
		{"server id not signed", sign(func() signer {
			s := ok
			s.edit = func(r *http.Request) { r.Header.Del(agentapi.ServerIDHeader) }
			return s
		}()), 403, "does not sign header x-tanda-server-id"},
		{"extra signed header", sign(func() signer {
			s := ok
			s.edit = func(r *http.Request) { r.Header.Set("X-Forwarded-For", "1.2.3.4") }
			return s
		}()), 403, "signs header x-forwarded-for"},
		{"expired: signed 6 minutes ago", sign(withClock(-6 * time.Minute)), 403, "more than 5m0s ago"},
		{"skewed: signed 2 minutes ahead", sign(withClock(2 * time.Minute)), 403, "ahead of the server's clock"},
		{"an IAM user", sign(withKey(other)), 403, "not an EC2 instance role session"},
		{"another role", sign(withKey(otherRole)), 403, "the stack's instance role"},
		{"a session not named after an instance", sign(withKey(notInstance)), 403, "not an EC2 instance role session"},
		{"another account", sign(withKey(otherAccount)), 403, "the stack's instance role"},
		{"an instance of another stack", sign(withKey(sessionKey(otherStack))), 403, "not one of stack"},
		{"a terminated instance", sign(withKey(sessionKey(gone))), 403, "is terminated"},
		{"an instance EC2 does not know", sign(withKey(sessionKey(unknown))), 403, "EC2 has no instance"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := w.clientWith(fixedToken(tt.token))
			_, err := c.ClaimJob(ctx, offered, control.Placement{}, batch.Delivery{})
			checkRefused(t, "claim", err, tt.status, tt.want)
			_, err = c.HeartbeatHeld(ctx, held)
			checkRefused(t, "heartbeat", err, tt.status, tt.want)
			err = c.ReportInstance(ctx, control.InstanceRecord{VCPUs: 1})
			checkRefused(t, "report", err, tt.status, tt.want)
		})
	}
	if got := w.job(offered.JobID); got.Status != batch.Runnable || got.Internal.Version != offered.Internal.Version {
		t.Errorf("offered job changed by refused callers: %v, version %d → %d", got.Status, offered.Internal.Version, got.Internal.Version)
	}
	if got := w.job(held.JobID); got.Internal.Version != held.Internal.Version || got.Internal.LeaseExpiresAt != held.Internal.LeaseExpiresAt {
		t.Errorf("held job changed by refused callers: version %d → %d", held.Internal.Version, got.Internal.Version)
	}
	if recs, _ := w.svc.Instances(ctx, "ce1"); len(recs) != 0 {
		t.Errorf("refused callers registered instances: %+v", recs)
	}
}

func checkRefused(t *testing.T, op string, err error, status int, want string) {
	t.Helper()
	var ce *agentapi.CallError
	if !errors.As(err, &ce) || ce.Status != status || !strings.Contains(ce.Code+": "+ce.Message, want) {
		t.Errorf("%s: err = %v, want %d naming %q", op, err, status, want)
	}
}

// shifted is a clock off by d.
type shifted struct {
	c batch.Clock
	d time.Duration
}

func (s shifted) Now() time.Time { return s.c.Now().Add(s.d) }

// A token is good for a while, as Vault's are, but not once its window
// has passed, even on the server that verified it; and never on another
// server, even within it.
func TestReplayedIdentities(t *testing.T) {
	w := newWorld(t)
	tok, err := w.signer(instA).Token(w.ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	c := w.clientWith(fixedToken(tok))
	if err := c.ReportInstance(w.ctx, control.InstanceRecord{VCPUs: 1}); err != nil {
		t.Fatalf("first use: %v", err)
	}
	w.clock.Advance(4 * time.Minute)
	if err := c.ReportInstance(w.ctx, control.InstanceRecord{VCPUs: 1}); err != nil {
		t.Errorf("reuse within 5 minutes: %v", err)
	}
	w.clock.Advance(2 * time.Minute)
	checkRefused(t, "reuse after 6 minutes", c.ReportInstance(w.ctx, control.InstanceRecord{VCPUs: 1}), 403, "more than 5m0s ago")

	// The same identity, fresh, sent to another server (another stack's
	// agent API, with its own server id) is refused by STS.
	fresh, err := w.signer(instA).Token(w.ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	otherAuth := &agentapi.Authenticator{
		STSEndpoint: w.sts.URL, STSRegion: region, ServerID: "another-api.example.test",
		Account: account, InstanceRole: roleName, Stack: stack,
		Instances: w.ec2, HTTP: w.sts.Client(), Clock: w.clock,
	}
	other := httptest.NewServer(agentapi.New(w.svc, otherAuth, agentapi.Options{Clock: w.clock}))
	t.Cleanup(other.Close)
	status, body := post(t, other.URL, "POST", "held", `{}`, fresh)
	if status != 403 || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Errorf("replay to another server: %d %s; want 403 SignatureDoesNotMatch", status, body)
	}
}

// Verified identities and what EC2 says of their instances are kept for a
// minute: an agent that signs a new identity each minute costs one STS and
// one EC2 call a minute, not one per request.
func TestIdentitiesAreCached(t *testing.T) {
	w := newWorld(t)
	c := w.client(instA) // signs anew for each request, as a fresh token each second would
	tok, err := w.signer(instA).Token(w.ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	same := w.clientWith(fixedToken(tok))
	for range 20 {
		if err := same.ReportInstance(w.ctx, control.InstanceRecord{VCPUs: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.sts.calls.Load(); got != 1 {
		t.Errorf("STS calls for 20 requests with one identity = %d, want 1", got)
	}
	w.clock.Advance(61 * time.Second)
	if err := same.ReportInstance(w.ctx, control.InstanceRecord{VCPUs: 1}); err != nil {
		t.Fatal(err)
	}
	if got := w.sts.calls.Load(); got != 2 {
		t.Errorf("STS calls after the cache's minute = %d, want 2", got)
	}
	if got := w.ec2.calls.Load(); got != 2 {
		t.Errorf("EC2 lookups = %d, want 2 (one a minute)", got)
	}
	// A new signature is a new identity to verify, but the same instance.
	w.clock.Advance(time.Second)
	if err := c.ReportInstance(w.ctx, control.InstanceRecord{VCPUs: 1}); err != nil {
		t.Fatal(err)
	}
	if s, e := w.sts.calls.Load(), w.ec2.calls.Load(); s != 3 || e != 2 {
		t.Errorf("after a newly signed identity: STS %d, EC2 %d calls; want 3, 2", s, e)
	}
}

// When STS cannot be reached the request fails as the server's (5xx), not
// as the caller's, so that the agent tries again.
func TestSTSUnreachable(t *testing.T) {
	w := newWorld(t)
	tok, err := w.signer(instA).Token(w.ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	w.sts.Close()
	status, body := post(t, w.api.URL, "POST", "held", `{}`, tok)
	if status != 500 || strings.Contains(body, w.sts.URL) {
		t.Errorf("with STS down: %d %s; want 500 without detail", status, body)
	}
}
