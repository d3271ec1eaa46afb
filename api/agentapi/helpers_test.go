package agentapi_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/tanda-batch/tanda/api/agentapi"
	"github.com/tanda-batch/tanda/api/sigv4"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/infra/sqlite"
	"github.com/tanda-batch/tanda/internal/controltest"
)

const (
	account  = "123456789012"
	region   = "us-east-1"
	stack    = "teststack"
	roleName = "teststack-InstanceRole-ABC"
	serverID = "agents.example.test"
)

// key is an access key the fake STS knows, and whose it is.
type key struct {
	id, secret, token, arn string
}

// sessionKey is the key of the instance role's session on instance id, as
// EC2 hands it to the instance.
func sessionKey(id string) key {
	return key{
		id: "ASIA" + strings.ToUpper(strings.ReplaceAll(id, "-", "")), secret: "secret-of-" + id, token: "token-of-" + id,
		arn: fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", account, roleName, id),
	}
}

// fakeSTS answers GetCallerIdentity on 127.0.0.1 as STS does: it verifies
// the SigV4 signature (service sts) with the secrets of the keys it knows
// and answers the key's caller, or an ErrorResponse.
type fakeSTS struct {
	*httptest.Server
	mu    sync.Mutex
	keys  map[string]key
	calls atomic.Int64
}

func newFakeSTS(t *testing.T, clock batch.Clock, keys ...key) *fakeSTS {
	t.Helper()
	f := &fakeSTS{keys: map[string]key{}}
	for _, k := range keys {
		f.keys[k.id] = k
	}
	verifier := &sigv4.Verifier{Region: region, Service: "sts", Secrets: f, Clock: clock, MaxSkew: 15 * time.Minute}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if string(body) != "Action=GetCallerIdentity&Version=2011-06-15" {
			stsError(w, http.StatusBadRequest, "InvalidAction", "not GetCallerIdentity")
			return
		}
		if _, err := verifier.Verify(r.Context(), r, body); err != nil {
			var ae *sigv4.AuthError
			if errors.As(err, &ae) {
				// STS's names for what the Batch API calls these.
				code := map[string]string{
					"InvalidSignatureException":   "SignatureDoesNotMatch",
					"UnrecognizedClientException": "InvalidClientTokenId",
				}[ae.Code]
				if code == "" {
					code = ae.Code
				}
				stsError(w, http.StatusForbidden, code, ae.Message)
				return
			}
			stsError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
			return
		}
		id, _ := sigv4.ParseAuthorization(r.Header.Get("Authorization"))
		f.mu.Lock()
		k := f.keys[id.AccessKeyID]
		f.mu.Unlock()
		if r.Header.Get("X-Amz-Security-Token") != k.token {
			stsError(w, http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult><Arn>%s</Arn><UserId>AROAEXAMPLE:x</UserId><Account>%s</Account></GetCallerIdentityResult>
  <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`, xmlEscape(k.arn), account)
	}))
	t.Cleanup(f.Close)
	return f
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func stsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>r</RequestId></ErrorResponse>`, code, xmlEscape(msg))
}

// SecretFor makes fakeSTS a sigv4.SecretSource.
func (f *fakeSTS) SecretFor(_ context.Context, id string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.keys[id]
	if !ok {
		return "", sigv4.ErrUnknownKey
	}
	return k.secret, nil
}

// revoke forgets a key, as STS does when a session is revoked.
func (f *fakeSTS) revoke(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.keys, id)
}

// fakeEC2 knows the instances of the test.
type fakeEC2 struct {
	mu    sync.Mutex
	facts map[string]agentapi.InstanceFacts
	calls atomic.Int64
}

func (f *fakeEC2) Instance(_ context.Context, id string) (agentapi.InstanceFacts, error) {
	f.calls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.facts[id]
	if !ok {
		return v, fmt.Errorf("instance %s: %w", id, batch.ErrNotFound)
	}
	return v, nil
}

func (f *fakeEC2) set(id string, v agentapi.InstanceFacts) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.facts[id] = v
}

// signer signs GetCallerIdentity with a key, as the agent does.
type signer struct {
	k        key
	endpoint string
	serverID string
	clock    batch.Clock
	// edit, when set, changes the request before it is signed.
	edit func(*http.Request)
}

func (s signer) Token(ctx context.Context, _ bool) (string, error) {
	req, err := agentapi.NewSTSRequest(ctx, s.endpoint, s.serverID)
	if err != nil {
		return "", err
	}
	if s.edit != nil {
		s.edit(req)
	}
	err = v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: s.k.id, SecretAccessKey: s.k.secret, SessionToken: s.k.token},
		req, agentapi.STSPayloadHash(), "sts", region, s.clock.Now())
	if err != nil {
		return "", err
	}
	return agentapi.TokenOf(req).Encode(), nil
}

// world is a control plane with two compute environments, ce1 and ce2,
// each with its own job queue (q1, q2), served by the agent API on
// 127.0.0.1 with identities checked against a fake STS and EC2.
type world struct {
	t     *testing.T
	ctx   context.Context
	clock *batchtest.Clock
	db    *sqlite.DB
	svc   *control.Service
	sts   *fakeSTS
	ec2   *fakeEC2
	auth  *agentapi.Authenticator
	api   *httptest.Server
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := t.Context()
	clock := batchtest.NewClock(time.Now().UTC().Truncate(time.Second))
	svc, db := controltest.Open(t, control.Options{
		Partition: batch.Partition{Region: region, Account: account}, Clock: clock, LeaseDuration: 30 * time.Second,
	})
	w := &world{t: t, ctx: ctx, clock: clock, db: db, svc: svc, ec2: &fakeEC2{facts: map[string]agentapi.InstanceFacts{}}}
	w.sts = newFakeSTS(t, clock, sessionKey("i-0aaaaaaaaaaaaaaa1"), sessionKey("i-0bbbbbbbbbbbbbbb2"), sessionKey("i-0ccccccccccccccc3"))
	w.ec2.set("i-0aaaaaaaaaaaaaaa1", agentapi.InstanceFacts{State: "running", Stack: stack, ComputeEnvironment: "ce1"})
	w.ec2.set("i-0bbbbbbbbbbbbbbb2", agentapi.InstanceFacts{State: "running", Stack: stack, ComputeEnvironment: "ce1"})
	w.ec2.set("i-0ccccccccccccccc3", agentapi.InstanceFacts{State: "running", Stack: stack, ComputeEnvironment: "ce2"})
	// Each compute environment has its job queue and a job definition;
	// the tests submit with ce1's, "def".
	controltest.CreateStack(t, svc, controltest.Stack{ComputeEnvironment: "ce1", Queue: "q1", Definition: "def"})
	controltest.CreateStack(t, svc, controltest.Stack{ComputeEnvironment: "ce2", Queue: "q2", Definition: "def2"})
	w.auth = &agentapi.Authenticator{
		STSEndpoint: w.sts.URL, STSRegion: region, ServerID: serverID,
		Account: account, InstanceRole: roleName, Stack: stack,
		Instances: w.ec2, HTTP: w.sts.Client(), Clock: clock,
	}
	quiet := slog.New(slog.DiscardHandler)
	w.api = httptest.NewServer(agentapi.New(svc, w.auth, agentapi.Options{Clock: clock, Logger: quiet}))
	t.Cleanup(w.api.Close)
	return w
}

// signer is how instance id signs its identity for this world's server.
func (w *world) signer(id string) signer {
	return signer{k: sessionKey(id), endpoint: w.sts.URL, serverID: serverID, clock: w.clock}
}

// doorbells records the doorbells a client deletes.
type doorbells struct {
	mu      sync.Mutex
	deleted []string
}

func (d *doorbells) Delete(_ context.Context, queue, receipt string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.deleted = append(d.deleted, queue+"/"+receipt)
	return nil
}

// client is the agent API's client for instance id.
func (w *world) client(id string) *agentapi.Client {
	return w.clientWith(w.signer(id))
}

func (w *world) clientWith(tokens agentapi.TokenSource) *agentapi.Client {
	return &agentapi.Client{Endpoint: w.api.URL, Identity: tokens, Doorbells: &doorbells{}, HTTP: w.api.Client(), Tries: 1, Clock: w.clock}
}

// submit submits a job to queue and returns it as the store has it.
func (w *world) submit(queue string) batch.Job {
	w.t.Helper()
	out, err := w.svc.SubmitJob(w.ctx, &batch.SubmitJobInput{JobName: "j", JobQueue: queue, JobDefinition: "def"})
	if err != nil {
		w.t.Fatalf("SubmitJob: %v", err)
	}
	return w.job(out.JobID)
}

func (w *world) job(id string) batch.Job {
	w.t.Helper()
	j, err := w.db.GetJob(w.ctx, id)
	if err != nil {
		w.t.Fatalf("GetJob(%s): %v", id, err)
	}
	return j
}

// claim claims job for instance id through the API.
func (w *world) claim(id string, j batch.Job) batch.Job {
	w.t.Helper()
	got, err := w.client(id).ClaimJob(w.ctx, j, control.Placement{InstanceID: id}, batch.Delivery{Message: batch.Message{Queue: "ready-q1", ID: j.JobID}, Receipt: "r"})
	if err != nil {
		w.t.Fatalf("ClaimJob(%s) by %s: %v", j.JobID, id, err)
	}
	return got
}
