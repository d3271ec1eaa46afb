package stsroles_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/infra/stsroles"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

const role = "arn:aws:iam::123456789012:role/tanda-jobs/reader"

// recorder keeps the form of each STS request it passes on.
type recorder struct {
	next awsclient.Doer
	mu   sync.Mutex
	sent []url.Values
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		r.mu.Lock()
		r.sent = append(r.sent, form)
		r.mu.Unlock()
	}
	return r.next.Do(req)
}

func config(endpoint string, creds aws.CredentialsProvider, http awsclient.Doer) aws.Config {
	return aws.Config{
		Region: mototest.Region, Credentials: creds, BaseEndpoint: aws.String(endpoint), HTTPClient: http,
	}
}

// TestAssumeRoleOnMoto assumes a role on moto's STS, then calls STS with
// the credentials got: moto knows them as the role's session, named after
// the attempt. Moto keeps neither the session's tags nor its source
// identity, so those are checked in the request the SDK sent.
func TestAssumeRoleOnMoto(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	rec := &recorder{next: awsclient.HTTPClient()}
	a := stsroles.New(config(endpoint, mototest.Credentials(), rec))
	at := rolecreds.Attempt{JobID: "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f:7", Attempt: 2, RoleARN: role}
	before := time.Now()
	c, err := a.AssumeRole(t.Context(), at.Input("stack-a", 15*time.Minute))
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" {
		t.Fatalf("credentials incomplete: %+v", c)
	}
	if left := c.Expires.Sub(before); left < 14*time.Minute || left > 16*time.Minute {
		t.Errorf("credentials expire in %v, want the 15 minutes asked for", left)
	}

	const session = "tanda-6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f.7-2"
	who, err := sts.NewFromConfig(config(endpoint, credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken), awsclient.HTTPClient())).
		GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the role's credentials: %v", err)
	}
	if want := "arn:aws:sts::123456789012:assumed-role/reader/" + session; aws.ToString(who.Arn) != want {
		t.Errorf("caller = %s, want %s", aws.ToString(who.Arn), want)
	}

	if len(rec.sent) != 1 {
		t.Fatalf("%d requests sent, want 1", len(rec.sent))
	}
	f := rec.sent[0]
	want := map[string]string{
		"Action": "AssumeRole", "RoleArn": role, "RoleSessionName": session, "SourceIdentity": session, "DurationSeconds": "900",
		"Tags.member.1.Key": "tanda:attempt", "Tags.member.1.Value": "2",
		"Tags.member.2.Key": "tanda:job-id", "Tags.member.2.Value": at.JobID,
		"Tags.member.3.Key": "tanda:stack", "Tags.member.3.Value": "stack-a",
	}
	for k, v := range want {
		if f.Get(k) != v {
			t.Errorf("request %s = %q, want %q", k, f.Get(k), v)
		}
	}

	// The same session, made an SDK credentials provider, as the agent's
	// own calls with a role use it.
	s := rolecreds.NewSession(role, func(ctx context.Context) (rolecreds.Credentials, error) {
		return a.AssumeRole(ctx, at.Input("stack-a", 15*time.Minute))
	}, nil)
	who, err = sts.NewFromConfig(config(endpoint, stsroles.Provider(s), awsclient.HTTPClient())).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(who.Arn), "/reader/"+session) {
		t.Errorf("GetCallerIdentity through Provider = %v, %v; want the role's session", aws.ToString(who.Arn), err)
	}
}

// Moto assumes any role, trusted or not (its one refusal is a session
// name over 64 characters, which SessionName never makes): its refusal
// comes back as its code and message.
func TestRefusalOnMoto(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	a := stsroles.New(config(endpoint, mototest.Credentials(), awsclient.HTTPClient()))
	in := rolecreds.AssumeInput{RoleARN: role, SessionName: strings.Repeat("s", 65)}
	_, err := a.AssumeRole(t.Context(), in)
	if err == nil || !strings.HasPrefix(err.Error(), "STS AssumeRole: ValidationError: ") || !strings.Contains(err.Error(), "roleSessionName") {
		t.Errorf("AssumeRole with a 65-character session name = %v, want STS's ValidationError", err)
	}
}

// STS's AccessDenied, as AWS answers a role whose trust policy does not
// name the caller (moto never does): a stand-in answers in STS's wire
// format (Query protocol, XML error).
func TestAccessDenied(t *testing.T) {
	const msg = "User: arn:aws:sts::123456789012:assumed-role/stack-InstanceRole/i-0abc is not authorized to perform: sts:AssumeRole on resource: " + role
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>`+msg+`</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`)
	}))
	defer srv.Close()
	a := stsroles.New(config(srv.URL, credentials.NewStaticCredentialsProvider("AKID", "secret", ""), awsclient.HTTPClient()))
	_, err := a.AssumeRole(t.Context(), rolecreds.AssumeInput{RoleARN: role, SessionName: "tanda-j-1"})
	if err == nil || err.Error() != "STS AssumeRole: AccessDenied: "+msg {
		t.Errorf("AssumeRole = %v, want STS's code and message", err)
	}
}

func TestNoCredentials(t *testing.T) {
	for _, tt := range []struct {
		name  string
		creds aws.CredentialsProvider
	}{
		{"none", nil},
		{"failing", aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("no EC2 IMDS role found")
		})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++ }))
			defer srv.Close()
			a := stsroles.New(config(srv.URL, tt.creds, awsclient.HTTPClient()))
			_, err := a.AssumeRole(t.Context(), rolecreds.AssumeInput{RoleARN: role, SessionName: "tanda-j-1"})
			if !errors.Is(err, rolecreds.ErrNoCredentials) || calls != 0 {
				t.Errorf("AssumeRole = %v after %d calls to STS, want ErrNoCredentials and none", err, calls)
			}
		})
	}
}
