package local

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
)

// jobCount counts the jobs of the default queue in every status. A job
// that moves on between two listings is counted once.
func (td *tanda) jobCount(t *testing.T) int {
	t.Helper()
	seen := map[string]bool{}
	for _, st := range types.JobStatus("").Values() {
		p := awsbatch.NewListJobsPaginator(td.client, &awsbatch.ListJobsInput{JobQueue: aws.String(DefaultJobQueue), JobStatus: st})
		for p.HasMorePages() {
			pg, err := p.NextPage(context.Background())
			if err != nil {
				t.Fatalf("ListJobs: %v", err)
			}
			for _, j := range pg.JobSummaryList {
				seen[aws.ToString(j.JobId)] = true
			}
		}
	}
	return len(seen)
}

func TestBadInputGetsClientExceptionAndWritesNothing(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	big := `{"jobName":"x","jobQueue":"default","jobDefinition":"example","parameters":{"p":"` + strings.Repeat("a", 70_000) + `"}}`
	cases := []struct {
		name, path, body, wantIn string
	}{
		{"malformed JSON", "/v1/submitjob", `{"jobName":`, "decode"},
		{"wrong type", "/v1/submitjob", `{"jobName":"x","jobQueue":"default","jobDefinition":"example","arrayProperties":{"size":"ten"}}`, "size"},
		{"bad name", "/v1/submitjob", `{"jobName":"no spaces allowed","jobQueue":"default","jobDefinition":"example"}`, "jobName"},
		{"unknown queue", "/v1/submitjob", `{"jobName":"x","jobQueue":"nope","jobDefinition":"example"}`, "nope"},
		{"unknown definition", "/v1/submitjob", `{"jobName":"x","jobQueue":"default","jobDefinition":"nope"}`, "nope"},
		{"array too small", "/v1/submitjob", `{"jobName":"x","jobQueue":"default","jobDefinition":"example","arrayProperties":{"size":1}}`, "size"},
		{"reserved env", "/v1/submitjob", `{"jobName":"x","jobQueue":"default","jobDefinition":"example","containerOverrides":{"environment":[{"name":"AWS_BATCH_X","value":"1"}]}}`, "AWS_BATCH"},
		{"short timeout", "/v1/submitjob", `{"jobName":"x","jobQueue":"default","jobDefinition":"example","timeout":{"attemptDurationSeconds":10}}`, "60"},
		{"too many attempts", "/v1/submitjob", `{"jobName":"x","jobQueue":"default","jobDefinition":"example","retryStrategy":{"attempts":11}}`, "attempts"},
		{"oversized body", "/v1/submitjob", big, "bytes"},
		{"too many ids", "/v1/describejobs", `{"jobs":[` + strings.TrimSuffix(strings.Repeat(`"a",`, 101), ",") + `]}`, "100"},
		{"unknown operation", "/v1/createserviceenvironment", `{}`, "CreateServiceEnvironment"},
	}
	before := td.jobCount(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, typ, body := td.rawCall(t, http.MethodPost, c.path, []byte(c.body), true)
			if status != http.StatusBadRequest || typ != "ClientException" {
				t.Fatalf("got %d %q %s, want 400 ClientException", status, typ, body)
			}
			var e struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Type != "ClientException" {
				t.Fatalf("body %s is not an AWS error", body)
			}
			if !strings.Contains(e.Message, c.wantIn) {
				t.Errorf("message %q does not mention %q", e.Message, c.wantIn)
			}
		})
	}
	if after := td.jobCount(t); after != before {
		t.Errorf("bad requests wrote jobs: %d before, %d after", before, after)
	}
	// The SDK sees a typed ClientException.
	_, err := td.client.SubmitJob(context.Background(), &awsbatch.SubmitJobInput{JobName: aws.String("x"), JobQueue: aws.String("missing"), JobDefinition: aws.String("example")})
	var ce *types.ClientException
	if !errors.As(err, &ce) || !strings.Contains(ce.ErrorMessage(), "missing") {
		t.Errorf("SubmitJob to a missing queue: %v, want a ClientException naming it", err)
	}
}

func TestUnsignedAndForgedRequestsAreRefused(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	body := []byte(`{"jobName":"x","jobQueue":"default","jobDefinition":"example"}`)
	status, typ, _ := td.rawCall(t, http.MethodPost, "/v1/submitjob", body, false)
	if status != http.StatusForbidden || typ == "" {
		t.Errorf("unsigned: %d %q, want 403 with an error type", status, typ)
	}
	// A wrong secret.
	real, err := td.cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A client of its own: the SDK's signer caches signing keys by key id.
	forged := awsbatch.New(awsbatch.Options{
		Region:       td.cfg.Region,
		BaseEndpoint: aws.String(td.Endpoint()),
		Credentials:  credentials.NewStaticCredentialsProvider(real.AccessKeyID, "wrong"+real.SecretAccessKey, ""),
	})
	_, err = forged.SubmitJob(context.Background(), &awsbatch.SubmitJobInput{JobName: aws.String("x"), JobQueue: aws.String("default"), JobDefinition: aws.String("example")})
	var re interface{ HTTPStatusCode() int }
	if err == nil || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden {
		t.Errorf("forged: %v, want 403", err)
	}
	if n := td.jobCount(t); n != 0 {
		t.Errorf("refused requests wrote %d jobs", n)
	}
}
