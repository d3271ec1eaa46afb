package kit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/tanda-batch/tanda/api/accesskeys"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/infra/sqlite"
	"github.com/tanda-batch/tanda/internal/controltest"
)

// stack is a control plane on its own store with its own access keys,
// serving the AWS Batch API as every deployment assembles it (NewAPI).
type stack struct {
	db   *sqlite.DB
	keys *accesskeys.Keys
	key  accesskeys.AccessKey
	url  string
}

func newStack(t *testing.T, clock batch.Clock) *stack {
	t.Helper()
	ctx := t.Context()
	ctl, db := controltest.Open(t, control.Options{Partition: batch.Partition{Region: "us-east-1", Account: "123456789012"}, Clock: clock})
	maxV := 4
	controltest.CreateStack(t, ctl, controltest.Stack{
		Resources: &batch.ComputeResource{Type: batch.ComputeEC2, MaxvCpus: &maxV, InstanceTypes: []string{"m5.large"}},
	})
	sealer, err := accesskeys.NewAESSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{db: db, keys: accesskeys.New(db, sealer, clock)}
	if s.key, err = s.keys.Issue(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	api, err := kit.NewAPI(ctl, kit.APIOptions{Region: "us-east-1", Keys: s.keys, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// jobs counts the stack's jobs.
func (s *stack) jobs(t *testing.T) int {
	t.Helper()
	pg, err := s.db.ListJobs(t.Context(), batch.JobQuery{Queue: "q", Statuses: []batch.Status{batch.Runnable}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return len(pg.Jobs)
}

const submitBody = `{"jobName":"j","jobQueue":"q","jobDefinition":"d"}`

// signed is a SubmitJob to url signed as botocore signs it (content-type,
// host, x-amz-date), with creds, for service in region, at at.
func signed(t *testing.T, url string, creds aws.Credentials, service, region string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url+"/v1/submitjob", strings.NewReader(submitBody))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	h := sha256.Sum256([]byte(submitBody))
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, hex.EncodeToString(h[:]), service, region, at); err != nil {
		t.Fatal(err)
	}
	return req
}

func send(t *testing.T, req *http.Request, body string) (int, string) {
	t.Helper()
	req = req.Clone(context.WithoutCancel(t.Context()))
	req.Body = io.NopCloser(strings.NewReader(body))
	req.ContentLength = int64(len(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSignedRequestsOnTheRealBackend sends SubmitJob to the Batch API as
// every deployment assembles it, over a real store: requests signed with
// a revoked or unknown key, a key of another stack, an instance role's
// session (no key Tanda issued), a skewed clock, a body or a signed header
// tampered with after signing, no signature, or a scope of another region
// or service, are refused with a 403 and write no job; the same signed
// bytes sent twice within a second are two calls, as AWS takes them, and
// make two jobs.
func TestSignedRequestsOnTheRealBackend(t *testing.T) {
	clock := batchtest.NewClock(time.Now().UTC().Truncate(time.Second))
	a, b := newStack(t, clock), newStack(t, clock)
	now := clock.Now()
	own := aws.Credentials{AccessKeyID: a.key.ID, SecretAccessKey: a.key.Secret}
	revoked, err := a.keys.Issue(t.Context(), "to revoke")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.keys.Revoke(t.Context(), revoked.ID); err != nil {
		t.Fatal(err)
	}

	good := signed(t, a.url, own, "batch", "us-east-1", now)
	for i := range 2 {
		if status, body := send(t, good, submitBody); status != 200 {
			t.Fatalf("identical request %d: %d %s; want 200", i+1, status, body)
		}
	}
	if n := a.jobs(t); n != 2 {
		t.Fatalf("two identical calls within a second made %d jobs, want 2", n)
	}

	tampered := func(edit func(*http.Request)) *http.Request {
		r := signed(t, a.url, own, "batch", "us-east-1", now)
		edit(r)
		return r
	}
	for _, tt := range []struct {
		name string
		req  *http.Request
		body string
		code string
	}{
		{"revoked key", signed(t, a.url, aws.Credentials{AccessKeyID: revoked.ID, SecretAccessKey: revoked.Secret}, "batch", "us-east-1", now), submitBody, "UnrecognizedClientException"},
		{"unknown key", signed(t, a.url, aws.Credentials{AccessKeyID: "TKIAUNKNOWNKEY000000", SecretAccessKey: "x"}, "batch", "us-east-1", now), submitBody, "UnrecognizedClientException"},
		{"a key of another stack", signed(t, a.url, aws.Credentials{AccessKeyID: b.key.ID, SecretAccessKey: b.key.Secret}, "batch", "us-east-1", now), submitBody, "UnrecognizedClientException"},
		{"an instance role's session", signed(t, a.url, aws.Credentials{AccessKeyID: "ASIAINSTANCEROLE0001", SecretAccessKey: "s", SessionToken: "t"}, "batch", "us-east-1", now), submitBody, "UnrecognizedClientException"},
		{"the right key id with another secret", signed(t, a.url, aws.Credentials{AccessKeyID: a.key.ID, SecretAccessKey: b.key.Secret}, "batch", "us-east-1", now), submitBody, "InvalidSignatureException"},
		{"clock 6 minutes behind", signed(t, a.url, own, "batch", "us-east-1", now.Add(-6*time.Minute)), submitBody, "InvalidSignatureException"},
		{"clock 6 minutes ahead", signed(t, a.url, own, "batch", "us-east-1", now.Add(6*time.Minute)), submitBody, "InvalidSignatureException"},
		{"body tampered", signed(t, a.url, own, "batch", "us-east-1", now), strings.Replace(submitBody, `"j"`, `"k"`, 1), "InvalidSignatureException"},
		{"signed header tampered", tampered(func(r *http.Request) { r.Header.Set("Content-Type", "application/x-amz-json-1.1") }), submitBody, "InvalidSignatureException"},
		{"unsigned", tampered(func(r *http.Request) { r.Header.Del("Authorization") }), submitBody, "MissingAuthenticationTokenException"},
		{"scoped to another region", signed(t, a.url, own, "batch", "eu-west-1", now), submitBody, "InvalidSignatureException"},
		{"scoped to another service", signed(t, a.url, own, "sts", "us-east-1", now), submitBody, "InvalidSignatureException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := send(t, tt.req, tt.body)
			if status != 403 || !strings.Contains(body, tt.code) {
				t.Errorf("%d %s; want 403 %s", status, body, tt.code)
			}
		})
	}
	if n := a.jobs(t); n != 2 {
		t.Errorf("refused requests wrote jobs: %d, want the 2 legitimate ones", n)
	}
	if n := b.jobs(t); n != 0 {
		t.Errorf("the other stack has %d jobs, want 0", n)
	}
}
