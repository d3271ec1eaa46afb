package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/bootstrap/secrets"
)

// fixedSecrets gives every attempt the same secret variables.
type fixedSecrets struct{ vars []secrets.Var }

func (f fixedSecrets) Prepare(context.Context, secrets.Attempt) (secrets.Prepared, error) {
	return secrets.Prepared{Vars: f.vars}, nil
}

// recordAuth records the Authorization header of each request it sends.
type recordAuth struct {
	mu   sync.Mutex
	base http.RoundTripper
	seen []string
}

func (r *recordAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.seen = append(r.seen, req.Header.Get("Authorization"))
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

var signatureRE = regexp.MustCompile(`Signature=([0-9a-f]{64})`)

// TestAPILogLinesCarryNoSecret logs in JSON at debug level while jobs
// with a secret run, and checks that each API call is one line with its
// request id, access key id, operation, status and duration, and that no
// line holds the access key's secret, a request's signature or the job's
// secret value.
func TestAPILogLinesCarryNoSecret(t *testing.T) {
	t.Parallel()
	const secretValue = "s3cr3t-Value-that-must-not-leak"
	var logs batchtest.Buffer
	td := startTanda(t, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.Secrets = fixedSecrets{vars: []secrets.Var{{Name: "DB_PASSWORD", Value: secretValue}}}
	})
	ctx := context.Background()
	creds, err := td.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordAuth{base: http.DefaultTransport}
	cfg := td.cfg.Copy()
	cfg.HTTPClient = &http.Client{Transport: rec}
	client := awsbatch.NewFromConfig(cfg, func(o *awsbatch.Options) { o.BaseEndpoint = aws.String(td.Endpoint()) })

	_, err = client.RegisterJobDefinition(ctx, &awsbatch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String("with-secret"), Type: types.JobDefinitionTypeContainer,
		ContainerProperties: &types.ContainerProperties{
			Image: aws.String("busybox"),
			// The command compares a hash: the value itself is nowhere
			// but in the secret store.
			Command: []string{"sh", "-c", `test "$(printf %s "$DB_PASSWORD" | sha256sum | cut -c1-64)" = ` + sha256Hex(secretValue)},
			ResourceRequirements: []types.ResourceRequirement{
				{Type: types.ResourceTypeVcpu, Value: aws.String("1")}, {Type: types.ResourceTypeMemory, Value: aws.String("128")},
			},
			Secrets: []types.Secret{{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("/prod/db/password")}},
		},
	})
	if err != nil {
		t.Fatalf("RegisterJobDefinition: %v", err)
	}
	res, err := client.SubmitJob(ctx, &awsbatch.SubmitJobInput{
		JobName: aws.String("secretive"), JobQueue: aws.String(DefaultJobQueue), JobDefinition: aws.String("with-secret"),
	})
	if err != nil {
		t.Fatalf("SubmitJob: %v", err)
	}
	id := aws.ToString(res.JobId)
	if j := td.waitDone(t, id, 30*time.Second); j.Status != types.JobStatusSucceeded {
		t.Fatalf("the job did not get its secret: %s (%s)", j.Status, aws.ToString(j.StatusReason))
	}
	// A request signed with a wrong secret is refused, and logged.
	bad := awsbatch.NewFromConfig(cfg, func(o *awsbatch.Options) {
		o.BaseEndpoint = aws.String(td.Endpoint())
		o.Credentials = credentials.NewStaticCredentialsProvider(creds.AccessKeyID, "wrong"+creds.SecretAccessKey[5:], "")
		o.RetryMaxAttempts = 1
	})
	if _, err := bad.DescribeJobQueues(ctx, &awsbatch.DescribeJobQueuesInput{}); err == nil {
		t.Fatal("a request with a wrong signature was served")
	}

	out := logs.String()
	var calls []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		if m, _ := rec["msg"].(string); strings.HasPrefix(m, "api request") {
			calls = append(calls, rec)
		}
	}
	find := func(op string, status float64) map[string]any {
		for _, c := range calls {
			if c["operation"] == op && c["status"] == status {
				return c
			}
		}
		return nil
	}
	submit := find("SubmitJob", 200)
	if submit == nil {
		t.Fatalf("no log line for SubmitJob among %d API lines:\n%s", len(calls), out)
	}
	if submit["accessKeyId"] != creds.AccessKeyID || submit["requestId"] == "" || submit["duration"] == nil || submit["level"] != "INFO" {
		t.Errorf("SubmitJob line = %v: want accessKeyId %s, a requestId and a duration at INFO", submit, creds.AccessKeyID)
	}
	if find("DescribeJobQueues", 403) == nil {
		t.Errorf("no log line for the refused DescribeJobQueues")
	}

	forbidden := map[string]string{"the job's secret value": secretValue, "the access key's secret": creds.SecretAccessKey}
	rec.mu.Lock()
	for _, auth := range rec.seen {
		if m := signatureRE.FindStringSubmatch(auth); m != nil {
			forbidden["a request signature"] = m[1]
			if strings.Contains(out, m[1]) {
				t.Errorf("the log holds the signature %s", m[1])
			}
		}
	}
	rec.mu.Unlock()
	if _, ok := forbidden["a request signature"]; !ok {
		t.Fatal("no signature was recorded: the test would prove nothing")
	}
	for what, s := range forbidden {
		if strings.Contains(out, s) {
			t.Errorf("the log holds %s", what)
		}
	}
	// Nor does the job's description.
	j := td.describe(t, id)
	raw, _ := json.Marshal(j)
	if strings.Contains(string(raw), secretValue) {
		t.Error("DescribeJobs shows the secret value")
	}
}
