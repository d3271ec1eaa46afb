package local

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/internal/tooltest"
)

// Scripts written for AWS Batch, run against Tanda through boto3 and the aws
// CLI: what they send must be accepted as AWS accepts it, and what they read
// must be where AWS puts it. The Go SDK's side is in sdkcompat_test.go.

// boto3 runs a scenario of testdata/boto3_client.py against td and decodes
// the JSON it prints into out.
func (td *tanda) boto3(t *testing.T, scenario string, out any) {
	t.Helper()
	python := tooltest.Require(t, "python3", "install Python 3 with boto3")
	if err := exec.Command(python, "-c", "import boto3").Run(); err != nil {
		if os.Getenv("TANDA_REQUIRE_TOOLS") != "" {
			t.Fatalf("python3 cannot import boto3, and make test requires it: %v", err)
		}
		t.Skipf("python3 cannot import boto3: %v", err)
	}
	cmd := exec.Command(python, "testdata/boto3_client.py", scenario)
	cmd.Env = append(withoutAWSVariables(os.Environ()),
		"TANDA_ENDPOINT="+td.Endpoint(),
		"AWS_SHARED_CREDENTIALS_FILE="+td.CredentialsFile(),
		"AWS_CONFIG_FILE="+td.ConfigFile(),
		"AWS_PROFILE="+kit.Profile,
	)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("boto3 scenario %s: %v\n%s", scenario, err, stderr.String())
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("boto3 scenario %s printed %q: %v", scenario, stdout, err)
	}
}

// servedByCLI are the operations Tanda serves that botocore (and so boto3
// and the aws CLI) knows; CancelJobs and TerminateJobs are newer than it.
var servedByCLI = []string{
	"SubmitJob", "DescribeJobs", "ListJobs", "CancelJob", "TerminateJob",
	"RegisterJobDefinition", "DescribeJobDefinitions", "DeregisterJobDefinition",
	"CreateComputeEnvironment", "UpdateComputeEnvironment", "DescribeComputeEnvironments", "DeleteComputeEnvironment",
	"CreateJobQueue", "UpdateJobQueue", "DescribeJobQueues", "DeleteJobQueue",
	"CreateSchedulingPolicy", "UpdateSchedulingPolicy", "DescribeSchedulingPolicies", "ListSchedulingPolicies", "DeleteSchedulingPolicy",
	"GetJobQueueSnapshot", "TagResource", "UntagResource", "ListTagsForResource",
}

// alwaysReturned are members AWS returns beyond those its examples show (the
// examples predate them, or show no such operation), as AWS's answers are
// observed to carry them; docs/API.md lists them. Values only give the
// member's kind: the comparison is by member, not by value.
var alwaysReturned = map[string]string{
	"SubmitJob": `{"jobArn":"","jobName":"","jobId":""}`,
	"DescribeJobs": `{"jobs":[{"jobArn":"","jobName":"","jobId":"","jobQueue":"","status":"","statusReason":"",
		"attempts":[{"container":{"exitCode":0,"logStreamName":"","networkInterfaces":[]},"startedAt":0,"stoppedAt":0,"statusReason":""}],
		"createdAt":0,"startedAt":0,"stoppedAt":0,"dependsOn":[],"jobDefinition":"","parameters":{},
		"container":{"image":"","command":[],"volumes":[],"environment":[],"mountPoints":[],"ulimits":[],
			"resourceRequirements":[],"secrets":[],"networkInterfaces":[],"exitCode":0,"logStreamName":""},
		"tags":{},"propagateTags":false,"platformCapabilities":[],"eksAttempts":[]}]}`,
	"ListJobs": `{"jobSummaryList":[{"jobArn":"","jobId":"","jobName":"","createdAt":0,"status":"","jobDefinition":""}]}`,
	"DescribeJobDefinitions": `{"jobDefinitions":[{"jobDefinitionName":"","jobDefinitionArn":"","revision":1,"status":"","type":"",
		"parameters":{},"containerProperties":{"image":"","command":[],"volumes":[],"environment":[],"mountPoints":[],"ulimits":[],
			"resourceRequirements":[],"secrets":[]},
		"tags":{},"propagateTags":false,"platformCapabilities":[],"containerOrchestrationType":""}]}`,
	"DescribeComputeEnvironments": `{"computeEnvironments":[{"computeEnvironmentName":"","computeEnvironmentArn":"","ecsClusterArn":"",
		"tags":{},"type":"","state":"","status":"","statusReason":"","computeResources":{"type":"","minvCpus":0,"maxvCpus":0,
		"desiredvCpus":0,"instanceTypes":[""],"tags":{}},"updatePolicy":{"terminateJobsOnUpdate":false,"jobExecutionTimeoutMinutes":30},
		"containerOrchestrationType":"","uuid":""}]}`,
	"DescribeJobQueues": `{"jobQueues":[{"jobQueueName":"","jobQueueArn":"","state":"","status":"","statusReason":"","priority":0,
		"computeEnvironmentOrder":[{"order":1,"computeEnvironment":""}],"tags":{},"jobStateTimeLimitActions":[]}]}`,
	"CreateSchedulingPolicy":     `{"name":"","arn":""}`,
	"DescribeSchedulingPolicies": `{"schedulingPolicies":[{"name":"","arn":"","fairsharePolicy":{"shareDecaySeconds":0,"shareDistribution":[]},"tags":{}}]}`,
	"ListSchedulingPolicies":     `{"schedulingPolicies":[{"arn":""}]}`,
	"UpdateSchedulingPolicy":     `{}`,
	"DeleteSchedulingPolicy":     `{}`,
	"GetJobQueueSnapshot": `{"frontOfQueue":{"jobs":[],"lastUpdatedAt":0},
		"queueUtilization":{"totalCapacityUsage":[{"capacityUnit":"","quantity":0}],"lastUpdatedAt":0}}`,
}

func TestAnswersHaveEveryMemberAWSDocuments(t *testing.T) {
	t.Parallel()
	docs := loadAWSDocs(t)
	td := startTanda(t)
	var answers map[string]any
	td.boto3(t, "shapes", &answers)

	for _, op := range servedByCLI {
		t.Run(op, func(t *testing.T) {
			got, ok := answers[op]
			if !ok {
				t.Fatalf("the boto3 scenario did not call %s", op)
			}
			documented := slices.Clone(docs.examples[op])
			if extra, ok := alwaysReturned[op]; ok {
				var v any
				if err := json.Unmarshal([]byte(extra), &v); err != nil {
					t.Fatalf("alwaysReturned[%s]: %v", op, err)
				}
				documented = append(documented, example{source: "alwaysReturned", output: v})
			}
			if len(documented) == 0 {
				t.Fatalf("nothing documents %s's answer: add its members to alwaysReturned", op)
			}
			output := docs.model.Operations[op].Output
			if output == nil {
				t.Fatalf("%s has no output shape in the model", op)
			}
			for _, ex := range documented {
				answer := got
				if legacy, ok := answers[op+" (vcpus and memory)"]; ok && ex.cli {
					answer = legacy
				}
				if w, ok := ex.output.(map[string]any); ok && len(w) == 0 {
					if g, _ := answer.(map[string]any); len(g) != 0 {
						t.Errorf("%s is documented as {} (%s) but answered %v", op, ex.source, answer)
					}
					continue
				}
				c := &shapeCheck{model: docs.model}
				c.walk(op, output.Shape, ex.output, answer)
				for _, n := range c.noted {
					t.Logf("%s: %s", ex.source, n)
				}
				for _, m := range c.missing {
					t.Errorf("%s: %s", ex.source, m)
				}
			}
		})
	}
}

// loopResult is one loop of identical calls in the boto3 scenario.
type loopResult struct {
	Made          []any `json:"made"`
	SameSignature bool  `json:"sameSignature"`
	InvocationIDs int   `json:"invocationIds"`
}

func TestIdenticalCallsThroughBoto3AreEachANewCall(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	var res struct {
		SubmitJob, RegisterJobDefinition, CreateSchedulingPolicy loopResult
		Retry                                                    struct {
			JobID         string   `json:"jobId"`
			InvocationIDs []string `json:"invocationIds"`
			Jobs          []string `json:"jobs"`
		} `json:"retry"`
	}
	td.boto3(t, "identical", &res)

	for name, loop := range map[string]loopResult{
		"SubmitJob": res.SubmitJob, "RegisterJobDefinition": res.RegisterJobDefinition,
		"CreateSchedulingPolicy": res.CreateSchedulingPolicy,
	} {
		if !loop.SameSignature {
			t.Errorf("%s: no two calls of the loop carried the same signature, so the loop tested nothing", name)
		}
		if len(loop.Made) != 3 {
			t.Errorf("%s: made %v, want 3 answers", name, loop.Made)
		}
	}
	if distinct := uniq(res.SubmitJob.Made); distinct != 3 {
		t.Errorf("3 identical SubmitJob calls made %d distinct jobs (%v), want 3", distinct, res.SubmitJob.Made)
	}
	if got := res.RegisterJobDefinition.Made; !slices.Equal(got, []any{1.0, 2.0, 3.0}) {
		t.Errorf("3 identical RegisterJobDefinition calls made revisions %v, want 1, 2, 3", got)
	}
	// Created, deleted, created again: each create is a new policy.
	if n := len(res.CreateSchedulingPolicy.Made); n != 3 {
		t.Errorf("CreateSchedulingPolicy after DeleteSchedulingPolicy: %d of 3 calls answered", n)
	}

	r := res.Retry
	if len(r.InvocationIDs) != 2 || r.InvocationIDs[0] != r.InvocationIDs[1] || r.InvocationIDs[0] == "" {
		t.Fatalf("botocore's retry sent invocation ids %q, want the same one twice", r.InvocationIDs)
	}
	if len(r.Jobs) != 1 || r.Jobs[0] != r.JobID {
		t.Errorf("a SubmitJob botocore sent twice made jobs %v, want only %s", r.Jobs, r.JobID)
	}
}

func uniq(xs []any) int {
	seen := map[any]bool{}
	for _, x := range xs {
		seen[x] = true
	}
	return len(seen)
}

func TestIdenticalSubmitJobsThroughTheAWSCLIEachMakeAJob(t *testing.T) {
	t.Parallel()
	cli := awsCLI{t: t, path: tooltest.Require(t, "aws", "install the aws CLI (v1 or v2)"), td: startTanda(t)}
	ids := map[any]bool{}
	for range 3 {
		res := cli.must("submit-job", "--job-name", "same", "--job-queue", DefaultJobQueue, "--job-definition", "example")
		ids[res["jobId"]] = true
	}
	if len(ids) != 3 {
		t.Errorf("3 identical submit-job calls made %d jobs, want 3", len(ids))
	}
}

func TestDeregisterJobDefinitionByBareNameAsAWSDocumentsIt(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	cli := awsCLI{t: t, path: tooltest.Require(t, "aws", "install the aws CLI (v1 or v2)"), td: td}
	props := `{"image":"busybox","vcpus":1,"memory":128,"command":["sleep","10"]}`
	for range 2 {
		cli.must("register-job-definition", "--job-definition-name", "sleep10", "--type", "container", "--container-properties", props)
	}
	// AWS's published example, word for word.
	cli.must("deregister-job-definition", "--job-definition", "sleep10")
	statuses := map[string]string{}
	for _, jd := range cli.must("describe-job-definitions", "--job-definition-name", "sleep10")["jobDefinitions"].([]any) {
		d := jd.(map[string]any)
		statuses[d["jobDefinitionArn"].(string)] = d["status"].(string)
	}
	want := map[string]string{
		"arn:aws:batch:us-east-1:123456789012:job-definition/sleep10:1": "ACTIVE",
		"arn:aws:batch:us-east-1:123456789012:job-definition/sleep10:2": "INACTIVE",
	}
	if !maps.Equal(statuses, want) {
		t.Errorf("after deregister-job-definition --job-definition sleep10: %v, want %v", statuses, want)
	}

	var byBoto3 map[string]string
	td.boto3(t, "deregister", &byBoto3)
	if want := map[string]string{"1": "ACTIVE", "2": "ACTIVE", "3": "INACTIVE"}; !maps.Equal(byBoto3, want) {
		t.Errorf("boto3 deregister_job_definition(jobDefinition=name): %v, want %v", byBoto3, want)
	}
}

// apiErrorSeen is how a client saw one refused call.
type apiErrorSeen struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// clientMistakes are the refusals AWS's tools rely on: each case's code,
// status and the start of its message (AWS's wording where it is known).
var clientMistakes = map[string]apiErrorSeen{
	"definition revision missing":          {400, "ClientException", "JobDefinition example:99 not found."},
	"queue ARN malformed":                  {400, "ClientException", "jobQueue must be a job queue name or ARN"},
	"queue ARN of another region":          {400, "ClientException", "JobQueue arn:aws:batch:us-west-2:123456789012:job-queue/default not found."},
	"unknown compute environment in order": {400, "ClientException", "ComputeEnvironment nope not found."},
	"tag a missing resource":               {400, "ClientException", "resource arn:aws:batch:us-east-1:123456789012:job-queue/nope not found"},
	"service role not a role":              {400, "ClientException", "serviceRole must be an IAM role ARN"},
	"signed for another region":            {403, "InvalidSignatureException", "Credential should be scoped to a valid region."},
}

func TestClientMistakesGetAWSErrorCodesThroughBoto3(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	var res map[string]json.RawMessage
	td.boto3(t, "errors", &res)
	for name, want := range clientMistakes {
		var got apiErrorSeen
		if err := json.Unmarshal(res[name], &got); err != nil {
			t.Errorf("%s: no result (%v)", name, err)
			continue
		}
		if got.Status != want.Status || got.Code != want.Code || !strings.HasPrefix(got.Message, want.Message) {
			t.Errorf("%s: %d %s %q, want %d %s %q...", name, got.Status, got.Code, got.Message, want.Status, want.Code, want.Message)
		}
	}
	var left struct {
		Queues, ComputeEnvironments, Jobs []string
	}
	if err := json.Unmarshal(res["left behind"], &left); err != nil {
		t.Fatal(err)
	}
	if len(left.Queues)+len(left.ComputeEnvironments)+len(left.Jobs) != 0 {
		t.Errorf("refused calls left %+v behind, want nothing", left)
	}
}
