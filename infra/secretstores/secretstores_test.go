package secretstores_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/bootstrap/secrets"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/infra/secretstores"
	"github.com/tanda-batch/tanda/infra/stsroles"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// leak is part of every value stored: no error may show it.
const leak = "Vz7-distinctive-QkP"

func config(endpoint string, creds aws.CredentialsProvider) aws.Config {
	return aws.Config{Region: mototest.Region, Credentials: creds, BaseEndpoint: aws.String(endpoint), HTTPClient: awsclient.HTTPClient()}
}

// fixture stores, on moto, parameters and a secret with three versions,
// under names unique to the test; it returns the names' prefix and the
// secret's ARN and version ids.
type fixture struct {
	prefix           string
	secretARN        string
	previous, latest string // version ids
}

func setUp(t *testing.T, cfg aws.Config) fixture {
	t.Helper()
	ctx := t.Context()
	f := fixture{prefix: fmt.Sprintf("/tanda-test/%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())}
	sc := ssm.NewFromConfig(cfg)
	for name, p := range map[string]struct {
		value string
		typ   ssmtypes.ParameterType
	}{
		"/plain":  {"plain-" + leak, ssmtypes.ParameterTypeString},
		"/secure": {"secure-" + leak, ssmtypes.ParameterTypeSecureString},
	} {
		if _, err := sc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(f.prefix + name), Value: aws.String(p.value), Type: p.typ}); err != nil {
			t.Fatalf("PutParameter: %v", err)
		}
	}
	mc := secretsmanager.NewFromConfig(cfg)
	name := strings.TrimPrefix(strings.ReplaceAll(f.prefix, "/", "-"), "-")
	out, err := mc.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(`{"user":"first","password":"pw1-` + leak + `"}`)})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	f.secretARN, f.previous = aws.ToString(out.ARN), aws.ToString(out.VersionId)
	next, err := mc.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: out.ARN, SecretString: aws.String(`{"user":"second","password":"pw2-` + leak + `","port":5432}`)})
	if err != nil {
		t.Fatalf("PutSecretValue: %v", err)
	}
	f.latest = aws.ToString(next.VersionId)
	return f
}

// TestResolveOnMoto resolves every kind of valueFrom against moto's SSM and
// Secrets Manager: parameters by name and by ARN, String and SecureString
// (decrypted); a secret whole, by JSON key, by version stage and by
// version id.
func TestResolveOnMoto(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	cfg := config(endpoint, mototest.Credentials())
	f := setUp(t, cfg)
	const acct = "123456789012" // moto's
	list := []batch.Secret{
		{Name: "PLAIN", ValueFrom: f.prefix + "/plain"},
		{Name: "SECURE", ValueFrom: f.prefix + "/secure"},
		{Name: "SECURE_BY_ARN", ValueFrom: "arn:aws:ssm:" + mototest.Region + ":" + acct + ":parameter" + f.prefix + "/secure"},
		{Name: "WHOLE", ValueFrom: f.secretARN},
		{Name: "PASSWORD", ValueFrom: f.secretARN + ":password::"},
		{Name: "PORT", ValueFrom: f.secretARN + ":port::"},
		{Name: "PREVIOUS_USER", ValueFrom: f.secretARN + ":user:AWSPREVIOUS:"},
		{Name: "FIRST_PASSWORD", ValueFrom: f.secretARN + ":password::" + f.previous},
		{Name: "CURRENT_BY_ID", ValueFrom: f.secretARN + ":user::" + f.latest},
	}
	vars, err := secrets.Resolve(t.Context(), secretstores.New(cfg), mototest.Region, acct, list)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	want := []string{
		"PLAIN=plain-" + leak, "SECURE=secure-" + leak, "SECURE_BY_ARN=secure-" + leak,
		`WHOLE={"user":"second","password":"pw2-` + leak + `","port":5432}`,
		"PASSWORD=pw2-" + leak, "PORT=5432", "PREVIOUS_USER=first", "FIRST_PASSWORD=pw1-" + leak, "CURRENT_BY_ID=second",
	}
	if got := secrets.Env(vars); !slices.Equal(got, want) {
		t.Errorf("Resolve =\n %q\nwant\n %q", got, want)
	}
}

// TestMissingOnMoto: what does not exist fails with the service's answer,
// and no value of the attempt's other secrets.
func TestMissingOnMoto(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	cfg := config(endpoint, mototest.Credentials())
	f := setUp(t, cfg)
	region := mototest.Region
	missingSecret := "arn:aws:secretsmanager:" + region + ":123456789012:secret:no-such-secret-AbCdEf"
	tests := []struct {
		name, valueFrom, want string
	}{
		{"parameter", f.prefix + "/missing", "unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: invalid ssm parameters: " + f.prefix + "/missing"},
		{"secret", missingSecret, "unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: failed to fetch secret " + missingSecret + " from secrets manager: Secrets Manager GetSecretValue: ResourceNotFoundException: "},
		{"version", f.secretARN + "::AWSPENDING:", "failed to fetch secret " + f.secretARN + " from secrets manager: Secrets Manager GetSecretValue: ResourceNotFoundException"},
		{"key", f.secretARN + ":nokey::", "retrieved secret " + f.secretARN + " from Secrets Manager did not contain json key nokey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secrets.Resolve(t.Context(), secretstores.New(cfg), region, "123456789012", []batch.Secret{
				{Name: "OK", ValueFrom: f.prefix + "/secure"}, {Name: "OK2", ValueFrom: f.secretARN}, {Name: "BAD", ValueFrom: tt.valueFrom},
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Resolve = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), leak) {
				t.Errorf("the error shows a value: %v", err)
			}
		})
	}
}

// TestExecutionRoleOnMoto reads as an execution role assumed on moto's
// STS: the calls are signed with the role session's credentials.
func TestExecutionRoleOnMoto(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	cfg := config(endpoint, mototest.Credentials())
	f := setUp(t, cfg)
	const role = "arn:aws:iam::123456789012:role/exec"
	var seen []string
	signed := doerFunc(func(req *http.Request) (*http.Response, error) {
		if target := req.Header.Get("X-Amz-Target"); strings.HasPrefix(target, "AmazonSSM.") || strings.HasPrefix(target, "secretsmanager.") {
			_, cred, _ := strings.Cut(req.Header.Get("Authorization"), "Credential=")
			key, _, _ := strings.Cut(cred, "/")
			seen = append(seen, target+" "+key)
		}
		return awsclient.HTTPClient().Do(req)
	})
	base := config(endpoint, mototest.Credentials())
	base.HTTPClient = signed
	store := secretstores.New(base)
	r := &secrets.Resolver{
		Assumer: stsroles.New(cfg), Store: func(s *rolecreds.Session) secrets.Store { return store.As(s) },
		Region: mototest.Region, Account: "123456789012", Stack: "st",
	}
	p, err := r.Prepare(t.Context(), secrets.Attempt{JobID: "job-1", Attempt: 1, ExecutionRoleARN: role, Secrets: []batch.Secret{
		{Name: "A", ValueFrom: f.prefix + "/plain"}, {Name: "B", ValueFrom: f.secretARN + ":user::"},
	}})
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if got := secrets.Env(p.Vars); !slices.Equal(got, []string{"A=plain-" + leak, "B=second"}) {
		t.Errorf("vars %q", got)
	}
	c, err := p.Role.Credentials(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"AmazonSSM.GetParameters " + c.AccessKeyID, "secretsmanager.GetSecretValue " + c.AccessKeyID}
	if !slices.Equal(seen, want) || c.AccessKeyID == "AKIDTEST" {
		t.Errorf("calls signed %q, want %q (the role session's key)", seen, want)
	}

	// Without the role, the agent's own key signs.
	seen = nil
	p, err = r.Prepare(t.Context(), secrets.Attempt{JobID: "job-1", Attempt: 1, Secrets: []batch.Secret{{Name: "A", ValueFrom: f.prefix + "/plain"}}})
	if err != nil || !slices.Equal(seen, []string{"AmazonSSM.GetParameters AKIDTEST"}) {
		t.Errorf("Prepare without a role = %v, calls %q; want one signed with the agent's key", err, seen)
	}
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// TestNoCredentials: a Store without credentials says so, before calling.
func TestNoCredentials(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++ }))
	defer srv.Close()
	for _, creds := range []aws.CredentialsProvider{nil, aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no EC2 IMDS role found")
	})} {
		s := secretstores.New(config(srv.URL, creds))
		_, _, err := s.Parameters(t.Context(), "us-east-1", []string{"p"})
		_, err2 := s.SecretValue(t.Context(), "us-east-1", batch.SecretRef{ARN: "arn:aws:secretsmanager:us-east-1:1:secret:x"})
		if !errors.Is(err, rolecreds.ErrNoCredentials) || !errors.Is(err2, rolecreds.ErrNoCredentials) || calls != 0 {
			t.Errorf("without credentials: %v, %v after %d calls; want ErrNoCredentials and no call", err, err2, calls)
		}
	}
}

// TestAccessDenied: a refusal is the service's code and message, as AWS
// words them (moto never refuses; a stand-in answers in Secrets Manager's
// wire format, JSON 1.1).
func TestAccessDenied(t *testing.T) {
	const msg = "User: arn:aws:sts::123456789012:assumed-role/exec/tanda-j-1 is not authorized to perform: secretsmanager:GetSecretValue on resource: db because no identity-based policy allows the secretsmanager:GetSecretValue action"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"AccessDeniedException","Message":%q}`, msg)
	}))
	defer srv.Close()
	s := secretstores.New(config(srv.URL, credentials.NewStaticCredentialsProvider("AKID", "secret", "")))
	_, err := s.SecretValue(t.Context(), "us-east-1", batch.SecretRef{ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"})
	if err == nil || err.Error() != "Secrets Manager GetSecretValue: AccessDeniedException: "+msg {
		t.Errorf("SecretValue = %v", err)
	}
}

// TestActions lists what the Store calls, as the template must grant it.
func TestActions(t *testing.T) {
	want := []string{"kms:Decrypt", "secretsmanager:GetSecretValue", "ssm:GetParameters"}
	if got := secretstores.Actions(); !slices.Equal(got, want) {
		t.Errorf("Actions = %v, want %v", got, want)
	}
}
