package httpapi

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

func ptr[T any](v T) *T { return &v }

func TestRoutesDispatchDecodedInput(t *testing.T) {
	tests := []struct {
		method, path, body string
		wantOp             string
		wantIn             any
	}{
		{"POST", "/v1/submitjob", `{"jobName":"j","jobQueue":"q","jobDefinition":"d:2","parameters":{"a":"b"},"timeout":{"attemptDurationSeconds":60}}`,
			"SubmitJob", &batch.SubmitJobInput{JobName: "j", JobQueue: "q", JobDefinition: "d:2", Parameters: map[string]string{"a": "b"}, Timeout: &batch.JobTimeout{AttemptDurationSeconds: ptr[int64](60)}}},
		{"POST", "/v1/describejobs", `{"jobs":["a","b"]}`, "DescribeJobs", &batch.DescribeJobsInput{Jobs: []string{"a", "b"}}},
		{"POST", "/v1/listjobs", `{"jobQueue":"q","maxResults":5,"nextToken":"t"}`, "ListJobs", &batch.ListJobsInput{JobQueue: "q", MaxResults: ptr(5), NextToken: "t"}},
		{"POST", "/v1/listjobs", ``, "ListJobs", &batch.ListJobsInput{}},
		{"POST", "/v1/canceljob", `{"jobId":"j","reason":"r"}`, "CancelJob", &batch.JobActionInput{JobID: "j", Reason: "r"}},
		{"POST", "/v1/terminatejob", `{"jobId":"j","reason":"r"}`, "TerminateJob", &batch.JobActionInput{JobID: "j", Reason: "r"}},
		{"POST", "/v1/canceljobs", `{"jobs":["a"],"reason":"r"}`, "CancelJobs", &batch.BulkJobActionInput{Jobs: []string{"a"}, Reason: "r"}},
		{"POST", "/v1/terminatejobs", `{"jobs":["a"],"reason":"r"}`, "TerminateJobs", &batch.BulkJobActionInput{Jobs: []string{"a"}, Reason: "r"}},
		{"POST", "/v1/registerjobdefinition", `{"jobDefinitionName":"d","type":"container","containerProperties":{"image":"busybox","command":["echo"]}}`,
			"RegisterJobDefinition", &batch.RegisterJobDefinitionInput{JobDefinitionName: "d", Type: "container", ContainerProperties: &batch.ContainerProperties{Image: "busybox", Command: []string{"echo"}}}},
		{"POST", "/v1/describejobdefinitions", `{"status":"ACTIVE"}`, "DescribeJobDefinitions", &batch.DescribeJobDefinitionsInput{Status: "ACTIVE"}},
		{"POST", "/v1/deregisterjobdefinition", `{"jobDefinition":"d:1"}`, "DeregisterJobDefinition", &batch.DeregisterJobDefinitionInput{JobDefinition: "d:1"}},
		{"POST", "/v1/createcomputeenvironment", `{"computeEnvironmentName":"ce","type":"MANAGED","computeResources":{"type":"EC2","maxvCpus":4}}`,
			"CreateComputeEnvironment", &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: "ce", Type: "MANAGED", ComputeResources: &batch.ComputeResource{Type: "EC2", MaxvCpus: ptr(4)}}},
		{"POST", "/v1/updatecomputeenvironment", `{"computeEnvironment":"ce","state":"DISABLED"}`, "UpdateComputeEnvironment", &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", State: "DISABLED"}},
		{"POST", "/v1/describecomputeenvironments", `{}`, "DescribeComputeEnvironments", &batch.DescribeComputeEnvironmentsInput{}},
		{"POST", "/v1/deletecomputeenvironment", `{"computeEnvironment":"ce"}`, "DeleteComputeEnvironment", &batch.DeleteComputeEnvironmentInput{ComputeEnvironment: "ce"}},
		{"POST", "/v1/createjobqueue", `{"jobQueueName":"q","priority":1,"computeEnvironmentOrder":[{"order":1,"computeEnvironment":"ce"}]}`,
			"CreateJobQueue", &batch.CreateJobQueueInput{JobQueueName: "q", Priority: ptr(1), ComputeEnvironmentOrder: []batch.ComputeEnvironmentOrder{{Order: 1, ComputeEnvironment: "ce"}}}},
		{"POST", "/v1/updatejobqueue", `{"jobQueue":"q","priority":2}`, "UpdateJobQueue", &batch.UpdateJobQueueInput{JobQueue: "q", Priority: ptr(2)}},
		{"POST", "/v1/describejobqueues", `{"jobQueues":["q"]}`, "DescribeJobQueues", &batch.DescribeJobQueuesInput{JobQueues: []string{"q"}}},
		{"POST", "/v1/deletejobqueue", `{"jobQueue":"q"}`, "DeleteJobQueue", &batch.DeleteJobQueueInput{JobQueue: "q"}},
		{"POST", "/v1/createschedulingpolicy", `{"name":"p","fairsharePolicy":{"shareDecaySeconds":60}}`,
			"CreateSchedulingPolicy", &batch.CreateSchedulingPolicyInput{Name: "p", FairsharePolicy: &batch.FairsharePolicy{ShareDecaySeconds: ptr(60)}}},
		{"POST", "/v1/updateschedulingpolicy", `{"arn":"a"}`, "UpdateSchedulingPolicy", &batch.UpdateSchedulingPolicyInput{Arn: "a"}},
		{"POST", "/v1/describeschedulingpolicies", `{"arns":["a"]}`, "DescribeSchedulingPolicies", &batch.DescribeSchedulingPoliciesInput{Arns: []string{"a"}}},
		{"POST", "/v1/listschedulingpolicies", `{"maxResults":10}`, "ListSchedulingPolicies", &batch.ListSchedulingPoliciesInput{MaxResults: ptr(10)}},
		{"POST", "/v1/deleteschedulingpolicy", `{"arn":"a"}`, "DeleteSchedulingPolicy", &batch.DeleteSchedulingPolicyInput{Arn: "a"}},
		{"POST", "/v1/getjobqueuesnapshot", `{"jobQueue":"q"}`, "GetJobQueueSnapshot", &batch.GetJobQueueSnapshotInput{JobQueue: "q"}},
		{"POST", "/v1/tags/arn", `{"tags":{"k":"v"}}`, "TagResource", tagCall{ARN: "arn", Tags: map[string]string{"k": "v"}}},
		{"GET", "/v1/tags/arn", ``, "ListTagsForResource", tagCall{ARN: "arn"}},
		{"DELETE", "/v1/tags/arn?tagKeys=k", ``, "UntagResource", tagCall{ARN: "arn", Keys: []string{"k"}}},
	}
	for _, tt := range tests {
		t.Run(tt.wantOp+" "+tt.path, func(t *testing.T) {
			fb := &fakeBackend{}
			rec := do(t, New(fb, testOptions()), tt.method, tt.path, tt.body)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
			}
			calls := fb.recordedCalls()
			if len(calls) != 1 {
				t.Fatalf("backend calls = %d, want 1", len(calls))
			}
			if calls[0].op != tt.wantOp {
				t.Errorf("called %s, want %s", calls[0].op, tt.wantOp)
			}
			if !reflect.DeepEqual(calls[0].in, tt.wantIn) {
				t.Errorf("input = %+v, want %+v", calls[0].in, tt.wantIn)
			}
		})
	}
}

// TestEveryOperationRouted checks the table covers every POST operation, so
// a route cannot be added without its test.
func TestEveryOperationRouted(t *testing.T) {
	if got, want := len(operations), 24; got != want {
		t.Errorf("operations = %d, want %d (update TestRoutesDispatchDecodedInput)", got, want)
	}
	for key, op := range operations {
		if key != strings.ToLower(op.name) {
			t.Errorf("operation %s keyed %q", op.name, key)
		}
	}
}

func TestOutputsAreEncoded(t *testing.T) {
	fb := &fakeBackend{outs: map[string]any{
		"SubmitJob": &batch.SubmitJobOutput{JobArn: "arn:j", JobName: "j", JobID: "id"},
	}}
	h := New(fb, testOptions())
	tests := []struct {
		path, body, want string
	}{
		{"/v1/submitjob", `{"jobName":"j","jobQueue":"q","jobDefinition":"d"}`, `{"jobArn":"arn:j","jobName":"j","jobId":"id"}`},
		{"/v1/canceljob", `{"jobId":"j","reason":"r"}`, `{}`},
		{"/v1/describejobs", `{"jobs":["x"]}`, `{}`}, // a nil output
	}
	for _, tt := range tests {
		rec := do(t, h, "POST", tt.path, tt.body)
		if rec.Code != http.StatusOK || rec.Body.String() != tt.want {
			t.Errorf("%s: got %d %s, want 200 %s", tt.path, rec.Code, rec.Body, tt.want)
		}
		if got := rec.Header().Get("Content-Type"); got != "application/json" {
			t.Errorf("%s: Content-Type = %q, want application/json", tt.path, got)
		}
	}
}

func TestUnknownAndUnimplementedRoutes(t *testing.T) {
	tests := []struct {
		method, path string
		wantMsg      string
	}{
		{"POST", "/v1/createconsumableresource", "Tanda does not implement the AWS Batch operation CreateConsumableResource"},
		{"POST", "/v1/listjobsbyconsumableresource", "Tanda does not implement the AWS Batch operation ListJobsByConsumableResource"},
		{"POST", "/v1/submitservicejob", "Tanda does not implement the AWS Batch operation SubmitServiceJob"},
		{"POST", "/v1/describeserviceenvironments", "Tanda does not implement the AWS Batch operation DescribeServiceEnvironments"},
		{"POST", "/v1/createquotashare", "Tanda does not implement the AWS Batch operation CreateQuotaShare"},
		{"POST", "/v1/frobnicate", `unknown operation "POST /v1/frobnicate"`},
		{"POST", "/v1/submitjob/", `unknown operation "POST /v1/submitjob/"`},
		{"POST", "/v1/SubmitJob", `unknown operation "POST /v1/SubmitJob"`},
		{"POST", "/v1/tags", `unknown operation "POST /v1/tags"`},
		{"GET", "/", `unknown operation "GET /"`},
		{"POST", "/ping", `unknown operation "POST /ping"`},
		{"GET", "/v1/submitjob", `SubmitJob must be called with POST, not "GET"`},
		{"PUT", "/v1/tags/arn", `/v1/tags/{resourceArn} must be called with POST or GET or DELETE, not "PUT"`},
		{"POST", "/v1/tags/", "missing required member resourceArn"},
		{"GET", "/v1/tags/a/b", "the resource ARN must be percent-encoded in one path segment"},
		{"DELETE", "/v1/tags/arn", "missing required member tagKeys"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			fb := &fakeBackend{}
			rec := do(t, New(fb, testOptions()), tt.method, tt.path, "")
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400", rec.Code)
			}
			e := decodeErrorBody(t, rec)
			if e.Type != codeClient || !strings.Contains(e.Message, tt.wantMsg) {
				t.Errorf("error = %s %q, want ClientException containing %q", e.Type, e.Message, tt.wantMsg)
			}
			if n := len(fb.recordedCalls()); n != 0 {
				t.Errorf("backend called %d times, want 0", n)
			}
		})
	}
}

func TestPing(t *testing.T) {
	auth := &fakeAuth{err: authFailure{code: "InvalidSignatureException", msg: "no"}}
	opts := testOptions()
	opts.Auth = auth
	rec := do(t, New(&fakeBackend{}, opts), "GET", "/ping", "")
	if rec.Code != http.StatusOK || rec.Body.String() != "ok" {
		t.Errorf("GET /ping = %d %q, want 200 ok", rec.Code, rec.Body)
	}
	if len(auth.bodies) != 0 {
		t.Errorf("ping was authenticated %d times, want 0", len(auth.bodies))
	}
}

// TestUnknownMembersIgnored checks newer SDKs' members do not break decoding.
func TestUnknownMembersIgnored(t *testing.T) {
	fb := &fakeBackend{}
	body := `{"jobName":"j","jobQueue":"q","jobDefinition":"d","brandNewMember":{"x":[1,2]},"consumableResourcePropertiesOverride":null}`
	rec := do(t, New(fb, testOptions()), "POST", "/v1/submitjob", body)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
	}
	want := &batch.SubmitJobInput{JobName: "j", JobQueue: "q", JobDefinition: "d"}
	if got := fb.recordedCalls()[0].in; !reflect.DeepEqual(got, want) {
		t.Errorf("input = %+v, want %+v", got, want)
	}
}
