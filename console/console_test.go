package console_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/api/accesskeys"
	"github.com/tanda-batch/tanda/api/httpapi"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/console"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/internal/controltest"
)

// fixture is a console over a real control plane on SQLite, with one
// access key, a compute environment, a job queue and a job definition.
type fixture struct {
	t    *testing.T
	clk  *batchtest.Clock
	ctl  *control.Service
	keys *accesskeys.Keys
	key  accesskeys.AccessKey
	con  *console.Console
	srv  *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := batchtest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	ctl, db := controltest.Open(t, control.Options{Partition: batch.Partition{Region: "us-east-1", Account: "123456789012"}, Clock: clk})
	sealer, err := accesskeys.NewAESSealer(bytes.Repeat([]byte{7}, accesskeys.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	keys := accesskeys.New(db, sealer, clk)
	key, err := keys.Issue(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	con, err := console.New(console.Options{
		API: httpapi.New(ctl, httpapi.Options{Clock: clk, Logger: slog.New(slog.DiscardHandler)}), State: ctl, Keys: keys, Clock: clk,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, clk: clk, ctl: ctl, keys: keys, key: key, con: con, srv: httptest.NewServer(con)}
	t.Cleanup(f.srv.Close)
	zero, maxv := 0, 8
	controltest.CreateStack(t, ctl, controltest.Stack{
		Resources:  &batch.ComputeResource{Type: "EC2", MinvCpus: &zero, MaxvCpus: &maxv, InstanceTypes: []string{"m5.large"}},
		Container:  controltest.Container("1", "128", "echo", "Ref::p"),
		Parameters: map[string]string{"p": "<b>bold</b>"},
	})
	return f
}

// client is a browser without JavaScript: a cookie jar that does not
// follow redirects.
func (f *fixture) client() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do sends a request and reads the answer.
func (f *fixture) do(c *http.Client, method, path string, form url.Values, header ...string) (*http.Response, string) {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, string(b)
}

// signIn signs c in with the fixture's access key.
func (f *fixture) signIn(c *http.Client) {
	f.t.Helper()
	resp, body := f.do(c, http.MethodPost, "/console/signin", url.Values{"accessKeyId": {f.key.ID}, "secretAccessKey": {f.key.Secret}})
	if resp.StatusCode != http.StatusSeeOther {
		f.t.Fatalf("signing in: %d %s", resp.StatusCode, body)
	}
}

// csrfOf reads the CSRF token of a signed-in page.
func (f *fixture) csrfOf(c *http.Client) string {
	f.t.Helper()
	_, body := f.do(c, http.MethodGet, "/console/", nil)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		f.t.Fatalf("no CSRF token on the dashboard: %.300s", body)
	}
	return m[1]
}

// submit submits a job straight to the control plane.
func (f *fixture) submit(in *batch.SubmitJobInput) string {
	f.t.Helper()
	if in.JobQueue == "" {
		in.JobQueue, in.JobDefinition = "q", "d"
	}
	out, err := f.ctl.SubmitJob(context.Background(), in)
	if err != nil {
		f.t.Fatal(err)
	}
	return out.JobID
}

// signedIn reports whether c's session lets it see the dashboard.
func (f *fixture) signedIn(c *http.Client) bool {
	f.t.Helper()
	resp, _ := f.do(c, http.MethodGet, "/console/", nil)
	switch resp.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusSeeOther:
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/console/signin") {
			f.t.Fatalf("a signed-out request went to %s, want the sign-in page", loc)
		}
		return false
	}
	f.t.Fatalf("dashboard: status %d", resp.StatusCode)
	return false
}

func TestNothingWithoutSignIn(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	for _, p := range []string{"/console/", "/console/jobs", "/console/compute-environments/ce", "/console/job-definitions"} {
		resp, body := f.do(c, http.MethodGet, p, nil)
		if resp.StatusCode != http.StatusSeeOther || strings.Contains(body, "ce") && strings.Contains(body, "card") {
			t.Errorf("GET %s signed out: %d, want a redirect to sign in and nothing shown", p, resp.StatusCode)
		}
	}
	resp, _ := f.do(c, http.MethodGet, "/console/jobs/x/live", nil, "Accept", "application/json")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("live JSON signed out: %d, want 401", resp.StatusCode)
	}
}

func TestSignInWithAccessKey(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	resp, body := f.do(c, http.MethodPost, "/console/signin", url.Values{"accessKeyId": {f.key.ID}, "secretAccessKey": {"wrong"}})
	if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 || !strings.Contains(body, "do not match") {
		t.Fatalf("a wrong secret: %d, cookies %v; want 401 and no session", resp.StatusCode, resp.Cookies())
	}
	if f.signedIn(c) {
		t.Fatal("signed in with a wrong secret")
	}
	f.signIn(c)
	if !f.signedIn(c) {
		t.Fatal("not signed in with the right secret")
	}
}

func TestSignInLinkIsSingleUse(t *testing.T) {
	f := newFixture(t)
	link := f.con.SignInLink(f.key.ID)
	first := f.client()
	resp, _ := f.do(first, http.MethodGet, link, nil)
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("first use of the link: %d, cookies %v; want a session", resp.StatusCode, resp.Cookies())
	}
	if !f.signedIn(first) {
		t.Fatal("the link's session does not sign in")
	}
	second := f.client()
	resp, body := f.do(second, http.MethodGet, link, nil)
	if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 || !strings.Contains(body, "has been used") {
		t.Fatalf("second use of the link: %d, cookies %v; want it refused", resp.StatusCode, resp.Cookies())
	}
	if f.signedIn(second) {
		t.Fatal("a used link signed in")
	}

	late := f.con.SignInLink(f.key.ID)
	f.clk.Advance(console.DefaultLinkTTL)
	if resp, _ := f.do(f.client(), http.MethodGet, late, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an expired link: %d, want 401", resp.StatusCode)
	}
}

func TestExpiredSessionRefused(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	f.signIn(c)
	f.clk.Advance(console.DefaultSessionTTL - time.Second)
	if !f.signedIn(c) {
		t.Fatal("the session ended before its time")
	}
	f.clk.Advance(time.Second)
	if f.signedIn(c) {
		t.Fatal("an expired session was accepted")
	}
}

func TestRevokedKeyEndsItsSessions(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	f.signIn(c)
	if !f.signedIn(c) {
		t.Fatal("not signed in")
	}
	if err := f.keys.Revoke(context.Background(), f.key.ID); err != nil {
		t.Fatal(err)
	}
	if f.signedIn(c) {
		t.Fatal("the session of a revoked key was accepted")
	}
}

func TestForgedSessionRefused(t *testing.T) {
	f := newFixture(t)
	other, err := f.keys.Issue(context.Background(), "other")
	if err != nil {
		t.Fatal(err)
	}
	c := f.client()
	f.signIn(c)
	u, _ := url.Parse(f.srv.URL + "/console/")
	ck := c.Jar.Cookies(u)[0]
	// The same cookie claiming another key: its MAC no longer matches.
	enc, sig, _ := strings.Cut(ck.Value, ".")
	raw, _ := base64Decode(enc)
	forged := base64Encode(strings.Replace(raw, f.key.ID, other.ID, 1)) + "." + sig
	c.Jar.SetCookies(u, []*http.Cookie{{Name: console.CookieName, Value: forged, Path: "/console/"}})
	if f.signedIn(c) {
		t.Fatal("a cookie edited to name another key was accepted")
	}
}

func TestCSRFRequired(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	f.signIn(c)
	token := f.csrfOf(c)
	id := f.submit(&batch.SubmitJobInput{JobName: "j"})
	cancel := func(csrf string, header ...string) int {
		form := url.Values{"jobId": {id}, "reason": {"r"}, "confirm": {"yes"}}
		if csrf != "" {
			form.Set("csrf", csrf)
		}
		resp, _ := f.do(c, http.MethodPost, "/console/actions/cancel-job", form, header...)
		return resp.StatusCode
	}
	unchanged := func(what string) {
		t.Helper()
		j, err := f.ctl.Job(context.Background(), id)
		if err != nil || j.Internal.CancelRequested || j.Status.Terminal() {
			t.Fatalf("%s changed the job: %v, %s", what, err, j.Status)
		}
	}
	if got := cancel(""); got != http.StatusForbidden {
		t.Fatalf("no CSRF token: %d, want 403", got)
	}
	unchanged("a post without CSRF token")
	if got := cancel(token + "x"); got != http.StatusForbidden {
		t.Fatalf("a bad CSRF token: %d, want 403", got)
	}
	unchanged("a post with a bad CSRF token")
	if got := cancel(token, "Origin", "http://evil.example"); got != http.StatusForbidden {
		t.Fatalf("a cross-site post with the right token: %d, want 403", got)
	}
	unchanged("a cross-site post")
	// Another session's token does not do either.
	c2 := f.client()
	f.signIn(c2)
	if other := f.csrfOf(c2); other == token {
		t.Fatal("two sessions share a CSRF token")
	}
	// Without confirm, the action only asks.
	resp, body := f.do(c, http.MethodPost, "/console/actions/cancel-job", url.Values{"jobId": {id}, "reason": {"r"}, "csrf": {token}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="confirm"`) {
		t.Fatalf("an unconfirmed action: %d, want the confirm page", resp.StatusCode)
	}
	unchanged("an unconfirmed action")
	if got := cancel(token); got != http.StatusSeeOther {
		t.Fatalf("a confirmed cancel with the right token: %d, want 303", got)
	}
	j, err := f.ctl.Job(context.Background(), id)
	if err != nil || !(j.Internal.CancelRequested || j.Status == batch.Failed) {
		t.Fatalf("the confirmed cancel did not cancel the job: %v, %s", err, j.Status)
	}
}

func TestSecurityHeadersAndCookie(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	resp, _ := f.do(c, http.MethodPost, "/console/signin", url.Values{"accessKeyId": {f.key.ID}, "secretAccessKey": {f.key.Secret}},
		"X-Forwarded-Proto", "https")
	cks := resp.Cookies()
	if len(cks) != 1 {
		t.Fatalf("sign-in set %d cookies, want 1", len(cks))
	}
	ck := cks[0]
	if ck.Name != console.CookieName || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || !ck.Secure ||
		ck.Path != console.Prefix || ck.MaxAge <= 0 || ck.MaxAge > int(console.DefaultSessionTTL.Seconds()) {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Secure over HTTPS, Path /console/, expiring", ck)
	}
	resp, _ = f.do(f.client(), http.MethodPost, "/console/signin", url.Values{"accessKeyId": {f.key.ID}, "secretAccessKey": {f.key.Secret}})
	if resp.Cookies()[0].Secure {
		t.Error("the cookie is Secure over plain HTTP: the browser would drop it")
	}
	f.signIn(c)
	for _, p := range []string{"/console/", "/console/signin", "/console/static/console.js", "/console/nowhere"} {
		resp, _ := f.do(c, http.MethodGet, p, nil)
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") ||
			strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") || strings.Contains(csp, "*") {
			t.Errorf("GET %s: Content-Security-Policy %q, want 'self' only", p, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s: missing nosniff or DENY framing", p)
		}
	}
}

func TestUserTextIsEscaped(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	f.signIn(c)
	const evil = `<script>alert("x")</script>`
	id := f.submit(&batch.SubmitJobInput{JobName: "j", Parameters: map[string]string{"p": evil},
		ContainerOverrides: &batch.ContainerOverrides{Environment: []batch.KeyValuePair{{Name: "E", Value: evil}}}})
	if err := f.ctl.CancelJob(context.Background(), &batch.JobActionInput{JobID: id, Reason: evil}); err != nil {
		t.Fatal(err)
	}
	pages := []string{"/console/jobs/" + id, "/console/jobs?queue=q&status=FAILED", "/console/job-definitions/d"}
	for _, p := range pages {
		resp, body := f.do(c, http.MethodGet, p, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", p, resp.StatusCode)
		}
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<b>bold") {
			t.Errorf("GET %s renders user text as markup", p)
		}
	}
	_, body := f.do(c, http.MethodGet, "/console/jobs/"+id, nil)
	if !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Errorf("the job page does not show the parameter escaped")
	}
	// A refused action echoes what was sent, escaped too.
	token := f.csrfOf(c)
	resp, body := f.do(c, http.MethodPost, "/console/actions/ce-state",
		url.Values{"computeEnvironment": {evil}, "state": {"DISABLED"}, "csrf": {token}, "confirm": {"yes"}})
	if resp.StatusCode != http.StatusBadRequest || strings.Contains(body, "<script>alert") || !strings.Contains(body, "ClientException") {
		t.Errorf("a refused action naming %s: %d, want an escaped 400 ClientException", evil, resp.StatusCode)
	}
}

func TestRefusedActionShowsTheAPIMessage(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	f.signIn(c)
	token := f.csrfOf(c)
	resp, body := f.do(c, http.MethodPost, "/console/actions/ce-vcpus",
		url.Values{"computeEnvironment": {"ce"}, "minvCpus": {"4"}, "maxvCpus": {"2"}, "csrf": {token}, "confirm": {"yes"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "ClientException") || !strings.Contains(body, "maxvCpus") {
		t.Fatalf("maxvCpus below minvCpus: %d %s; want the API's 400 ClientException", resp.StatusCode, body)
	}
	ce, err := f.ctl.ComputeEnvironment(context.Background(), "ce")
	if err != nil || *ce.ComputeResources.MaxvCpus != 8 {
		t.Fatalf("the refused update changed the compute environment: %v", err)
	}
	// A value that is not a number goes to the API as written, which says
	// what is wrong with it.
	_, body = f.do(c, http.MethodPost, "/console/actions/ce-vcpus",
		url.Values{"computeEnvironment": {"ce"}, "maxvCpus": {"lots"}, "csrf": {token}, "confirm": {"yes"}})
	if !strings.Contains(body, "maxvCpus") || !strings.Contains(body, "ClientException") {
		t.Fatalf("a maxvCpus that is not a number: %s", body)
	}
}

func TestEveryPageRenders(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	f.signIn(c)
	parent := f.submit(&batch.SubmitJobInput{JobName: "arr", ArrayProperties: &batch.ArrayProperties{Size: ptr(3)}})
	child := f.submit(&batch.SubmitJobInput{JobName: "dep", DependsOn: []batch.JobDependency{{JobID: parent}}})
	if _, err := f.ctl.CreateSchedulingPolicy(context.Background(), &batch.CreateSchedulingPolicyInput{Name: "fair"}); err != nil {
		t.Fatal(err)
	}
	token := f.csrfOf(c)
	for _, p := range []string{
		"/console/", "/console/jobs", "/console/jobs?queue=q&status=SUBMITTED&name=arr", "/console/jobs/" + parent, "/console/jobs/" + child,
		"/console/jobs/" + parent + "/attempts", "/console/compute-environments", "/console/compute-environments/ce",
		"/console/job-queues", "/console/job-queues/q", "/console/job-definitions", "/console/job-definitions/d",
		"/console/scheduling-policies", "/console/scheduling-policy?arn=arn:aws:batch:us-east-1:123456789012:scheduling-policy/fair",
	} {
		resp, body := f.do(c, http.MethodGet, p, nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d %.300s", p, resp.StatusCode, body)
		}
	}
	for _, p := range []string{"/console/jobs/" + parent + "/live", "/console/jobs/" + parent + "/log"} {
		resp, body := f.do(c, http.MethodGet, p, nil, "Accept", "application/json")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "{") {
			t.Errorf("GET %s: %d %.300s", p, resp.StatusCode, body)
		}
	}
	resp, body := f.do(c, http.MethodPost, "/console/actions/submit-job", url.Values{
		"jobName": {"from-console"}, "jobQueue": {"q"}, "jobDefinition": {"d"}, "parameters": {"p=v"},
		"command": {"echo\nhi there"}, "environment": {"A=1"}, "vcpus": {"1"}, "memory": {"256"},
		"attempts": {"2"}, "timeout": {"120"}, "csrf": {token}, "confirm": {"yes"},
	})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/jobs/") {
		t.Fatalf("submitting from the console: %d %s", resp.StatusCode, body)
	}
	id := strings.TrimPrefix(resp.Header.Get("Location"), "/console/jobs/")
	for _, a := range []struct{ action, field, name, page string }{
		{"job-queue-state", "jobQueue", "q", "/console/job-queues/q"},
		{"ce-state", "computeEnvironment", "ce", "/console/compute-environments/ce"},
	} {
		if _, page := f.do(c, http.MethodGet, a.page, nil); !strings.Contains(page, `id="disable"`) {
			t.Fatalf("%s shows no disable button", a.page)
		}
		resp, body := f.do(c, http.MethodPost, "/console/actions/"+a.action, url.Values{a.field: {a.name}, "state": {"DISABLED"}, "csrf": {token}, "confirm": {"yes"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != a.page {
			t.Fatalf("disabling %s: %d %s", a.name, resp.StatusCode, body)
		}
		if _, page := f.do(c, http.MethodGet, a.page, nil); !strings.Contains(page, `id="enable"`) {
			t.Fatalf("%s shows no enable button once disabled", a.page)
		}
	}
	j, err := f.ctl.Job(context.Background(), id)
	if err != nil || j.JobName != "from-console" || j.Parameters["p"] != "v" || strings.Join(j.Container.Command, " ") != "echo hi there" ||
		j.RetryStrategy == nil || deref(j.RetryStrategy.Attempts) != 2 || j.Timeout == nil || deref(j.Timeout.AttemptDurationSeconds) != 120 {
		t.Fatalf("the submitted job: %v %+v", err, j)
	}
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func base64Decode(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return string(b), err
}

func base64Encode(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestSignInGoesOnlyToConsolePages(t *testing.T) {
	f := newFixture(t)
	for next, want := range map[string]string{
		"/console/jobs?queue=q": "/console/jobs?queue=q",
		"//evil.example/":       "/console/",
		"/\\evil.example/":      "/console/",
		"https://evil.example/": "/console/",
		"/metrics":              "/console/",
	} {
		resp, _ := f.do(f.client(), http.MethodPost, "/console/signin",
			url.Values{"accessKeyId": {f.key.ID}, "secretAccessKey": {f.key.Secret}, "next": {next}})
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != want {
			t.Errorf("sign-in with next=%q: %d to %q, want %q", next, resp.StatusCode, got, want)
		}
	}
	resp, _ := f.do(f.client(), http.MethodPost, "/console/signin",
		url.Values{"accessKeyId": {f.key.ID}, "secretAccessKey": {f.key.Secret}}, "Origin", "http://evil.example")
	if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Errorf("a sign-in posted from another site: %d, want 403 and no session", resp.StatusCode)
	}
}

// failingKeys is a key store that fails while fail is set.
type failingKeys struct {
	keys *accesskeys.Keys
	fail atomic.Bool
}

func (k *failingKeys) SecretFor(ctx context.Context, id string) (string, error) {
	if k.fail.Load() {
		return "", errors.New("store unreachable")
	}
	return k.keys.SecretFor(ctx, id)
}

func TestStoreFailureKeepsTheSession(t *testing.T) {
	f := newFixture(t)
	keys := &failingKeys{keys: f.keys}
	con, err := console.New(console.Options{API: httpapi.New(f.ctl, httpapi.Options{Clock: f.clk}), State: f.ctl, Keys: keys, Clock: f.clk, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Config.Handler = con
	c := f.client()
	f.signIn(c)
	f.clk.Advance(accesskeys.CacheTTL) // past the key cache
	keys.fail.Store(true)
	resp, _ := f.do(c, http.MethodGet, "/console/", nil)
	if resp.StatusCode != http.StatusInternalServerError || len(resp.Cookies()) != 0 {
		t.Fatalf("a store failure: %d, cookies %v; want 500 and the cookie kept", resp.StatusCode, resp.Cookies())
	}
	keys.fail.Store(false)
	if !f.signedIn(c) {
		t.Fatal("the session did not survive a store failure")
	}
}

func TestJobsWithoutQueues(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	state := batch.StateDisabled
	if _, err := f.ctl.UpdateJobQueue(ctx, &batch.UpdateJobQueueInput{JobQueue: "q", State: state}); err != nil {
		t.Fatal(err)
	}
	if err := f.ctl.DeleteJobQueue(ctx, &batch.DeleteJobQueueInput{JobQueue: "q"}); err != nil {
		t.Fatal(err)
	}
	c := f.client()
	f.signIn(c)
	resp, body := f.do(c, http.MethodGet, "/console/jobs", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "no job queue yet") {
		t.Fatalf("the jobs page without queues: %d %.300s", resp.StatusCode, body)
	}
}
