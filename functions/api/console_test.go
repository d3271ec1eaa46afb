package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/api/accesskeys"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/functions/internal/lambdaurl"
	"github.com/tanda-batch/tanda/functions/internal/lambdaurl/lambdaurltest"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

// TestConsoleAcrossFunctionInstances plays the web console behind the
// API function's URL, on two function instances that share only the store
// and the sealing key (as Lambda instances share DynamoDB and KMS): a
// session opened on one works on the other, its CSRF token too, and a key
// revoked on one ends the session on the other once its key cache lapses.
func TestConsoleAcrossFunctionInstances(t *testing.T) {
	ctx := context.Background()
	clk := batchtest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "tanda.db"), sqlite.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	sealKey := bytes.Repeat([]byte{9}, accesskeys.KeySize)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	instance := func() (lambdaurltest.Client, *accesskeys.Keys) {
		ctl := control.New(db, control.Options{Partition: batch.Partition{Region: "us-east-1", Account: "123456789012"}, Clock: clk, Queues: db})
		sealer, err := accesskeys.NewAESSealer(sealKey)
		if err != nil {
			t.Fatal(err)
		}
		keys := accesskeys.New(db, sealer, clk)
		api, err := kit.NewAPI(ctl, kit.APIOptions{Region: "us-east-1", Keys: keys, Clock: clk, Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		return lambdaurltest.Client{Invoke: lambdaurl.Handler(api)}, keys
	}
	a, keysA := instance()
	b, _ := instance()
	zero, maxv := 0, 4
	if _, err := control.New(db, control.Options{Partition: batch.Partition{Region: "us-east-1", Account: "123456789012"}, Clock: clk, Queues: db}).
		CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
			ComputeEnvironmentName: "ce", Type: batch.TypeManaged,
			ComputeResources: &batch.ComputeResource{Type: "EC2", MinvCpus: &zero, MaxvCpus: &maxv, InstanceTypes: []string{"m5.large"}},
		}); err != nil {
		t.Fatal(err)
	}
	key, err := keysA.Issue(ctx, "console")
	if err != nil {
		t.Fatal(err)
	}

	var cookie *http.Cookie
	send := func(c lambdaurltest.Client, method, path string, form url.Values) (*http.Response, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, "https://abc123.lambda-url.us-east-1.on.aws"+path, body)
		if err != nil {
			t.Fatal(err)
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "https://abc123.lambda-url.us-east-1.on.aws")
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	resp, _ := send(a, http.MethodPost, "/console/signin", url.Values{"accessKeyId": {key.ID}, "secretAccessKey": {key.Secret}})
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("sign-in through the function URL: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	cookie = resp.Cookies()[0]
	if !cookie.Secure || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("the session cookie behind the HTTPS function URL: %+v, want Secure, HttpOnly, SameSite=Strict", cookie)
	}
	resp, page := send(b, http.MethodGet, "/console/", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Dashboard") {
		t.Fatalf("the session on another instance: %d", resp.StatusCode)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the dashboard")
	}
	resp, body := send(a, http.MethodPost, "/console/actions/ce-state", url.Values{
		"computeEnvironment": {"ce"}, "state": {"DISABLED"}, "csrf": {m[1]}, "confirm": {"yes"},
	})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("an action with a token from another instance: %d %s", resp.StatusCode, body)
	}

	if err := keysA.Revoke(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	if resp, _ := send(a, http.MethodGet, "/console/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the revoking instance still accepts the session: %d", resp.StatusCode)
	}
	clk.Advance(accesskeys.CacheTTL)
	if resp, _ := send(b, http.MethodGet, "/console/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another instance accepts a revoked key's session after its key cache lapsed: %d", resp.StatusCode)
	}
}
