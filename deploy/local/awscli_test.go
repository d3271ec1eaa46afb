package local

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/internal/tooltest"
)

// awsCLI runs the stock aws CLI against Tanda with the files `tanda up` wrote.
type awsCLI struct {
	t    *testing.T
	path string
	td   *tanda
}

func (c awsCLI) run(args ...string) (map[string]any, error) {
	c.t.Helper()
	cmd := exec.Command(c.path, append(append([]string{"batch"}, args...), "--endpoint-url", c.td.Endpoint(), "--output", "json")...)
	cmd.Env = append(withoutAWSVariables(os.Environ()),
		"AWS_SHARED_CREDENTIALS_FILE="+c.td.CredentialsFile(),
		"AWS_CONFIG_FILE="+c.td.ConfigFile(),
		"AWS_PROFILE="+kit.Profile,
		"AWS_RETRY_MODE=standard", "AWS_MAX_ATTEMPTS=1",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, &cliError{args: args, out: string(out), err: err}
	}
	res := map[string]any{}
	if strings.TrimSpace(string(out)) != "" {
		if err := json.Unmarshal(out, &res); err != nil {
			c.t.Fatalf("aws batch %s printed non-JSON: %s", args[0], out)
		}
	}
	return res, nil
}

func (c awsCLI) must(args ...string) map[string]any {
	c.t.Helper()
	res, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("%v", err)
	}
	return res
}

// withoutAWSVariables drops the caller's AWS_* settings, so the CLI uses
// only the files Tanda wrote.
func withoutAWSVariables(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return out
}

type cliError struct {
	args []string
	out  string
	err  error
}

func (e *cliError) Error() string {
	return "aws batch " + strings.Join(e.args, " ") + ": " + e.err.Error() + ": " + e.out
}

func TestStockAWSCLIRoundTripsEveryOperation(t *testing.T) {
	t.Parallel()
	cli := awsCLI{t: t, path: tooltest.Require(t, "aws", "install the aws CLI (v1 or v2)"), td: startTanda(t)}

	ce := cli.must("create-compute-environment", "--compute-environment-name", "cli-ce", "--type", "MANAGED",
		"--compute-resources", `{"type":"EC2","minvCpus":0,"maxvCpus":8,"instanceTypes":["local"],"subnets":["subnet-1"],"instanceRole":"ecsInstanceRole"}`,
		"--tags", "team=data")
	ceArn := ce["computeEnvironmentArn"].(string)
	if !strings.HasPrefix(ceArn, "arn:aws:batch:us-east-1:123456789012:compute-environment/cli-ce") {
		t.Errorf("computeEnvironmentArn = %s", ceArn)
	}
	cli.must("update-compute-environment", "--compute-environment", "cli-ce", "--compute-resources", `{"maxvCpus":16}`)
	ces := cli.must("describe-compute-environments", "--compute-environments", "cli-ce")
	detail := ces["computeEnvironments"].([]any)[0].(map[string]any)
	if got := detail["computeResources"].(map[string]any)["maxvCpus"]; got != float64(16) {
		t.Errorf("maxvCpus after update = %v, want 16", got)
	}

	sp := cli.must("create-scheduling-policy", "--name", "fair", "--fairshare-policy", `{"shareDecaySeconds":3600,"shareDistribution":[{"shareIdentifier":"a","weightFactor":0.5}]}`)
	spArn := sp["arn"].(string)
	cli.must("update-scheduling-policy", "--arn", spArn, "--fairshare-policy", `{"shareDecaySeconds":600}`)
	cli.must("describe-scheduling-policies", "--arns", spArn)
	if list := cli.must("list-scheduling-policies"); len(list["schedulingPolicies"].([]any)) != 1 {
		t.Errorf("list-scheduling-policies = %v", list)
	}

	q := cli.must("create-job-queue", "--job-queue-name", "cli-q", "--priority", "5",
		"--compute-environment-order", "order=1,computeEnvironment=cli-ce")
	qArn := q["jobQueueArn"].(string)
	cli.must("create-job-queue", "--job-queue-name", "cli-fair", "--priority", "1", "--scheduling-policy-arn", spArn,
		"--compute-environment-order", "order=1,computeEnvironment=cli-ce")
	cli.must("update-job-queue", "--job-queue", "cli-q", "--priority", "7")
	qs := cli.must("describe-job-queues", "--job-queues", qArn)
	if got := qs["jobQueues"].([]any)[0].(map[string]any)["priority"]; got != float64(7) {
		t.Errorf("priority after update = %v, want 7", got)
	}

	jd := cli.must("register-job-definition", "--job-definition-name", "cli-def", "--type", "container",
		"--parameters", "word=default",
		"--container-properties", `{"image":"busybox","command":["echo","Ref::word"],"resourceRequirements":[{"type":"VCPU","value":"1"},{"type":"MEMORY","value":"128"}]}`)
	if jd["revision"] != float64(1) {
		t.Errorf("first revision = %v, want 1", jd["revision"])
	}
	cli.must("register-job-definition", "--job-definition-name", "cli-def", "--type", "container",
		"--container-properties", `{"image":"busybox","command":["true"],"vcpus":1,"memory":128}`)
	defs := cli.must("describe-job-definitions", "--job-definition-name", "cli-def")
	if n := len(defs["jobDefinitions"].([]any)); n != 2 {
		t.Errorf("describe-job-definitions found %d revisions, want 2", n)
	}
	cli.must("deregister-job-definition", "--job-definition", "cli-def:2")
	if defs := cli.must("describe-job-definitions", "--job-definition-name", "cli-def", "--status", "ACTIVE"); len(defs["jobDefinitions"].([]any)) != 1 {
		t.Errorf("ACTIVE revisions after deregistering :2 = %v", defs)
	}

	sub := cli.must("submit-job", "--job-name", "cli-job", "--job-queue", "cli-q", "--job-definition", "cli-def",
		"--parameters", "word=hello-from-cli", "--tags", "k=v")
	jobID := sub["jobId"].(string)
	var job map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for {
		desc := cli.must("describe-jobs", "--jobs", jobID)
		job = desc["jobs"].([]any)[0].(map[string]any)
		if job["status"] == "SUCCEEDED" || job["status"] == "FAILED" || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if job["status"] != "SUCCEEDED" {
		t.Fatalf("cli job = %v (%v)", job["status"], job["statusReason"])
	}
	if lines := cli.td.logLines(t, jobID); !contains(lines, "hello-from-cli") {
		t.Errorf("log = %q, want the substituted parameter", lines)
	}
	list := cli.must("list-jobs", "--job-queue", "cli-q", "--job-status", "SUCCEEDED")
	if n := len(list["jobSummaryList"].([]any)); n != 1 {
		t.Errorf("list-jobs SUCCEEDED = %d jobs, want 1", n)
	}
	list = cli.must("list-jobs", "--job-queue", "cli-q", "--filters", "name=JOB_NAME,values=cli-*")
	if n := len(list["jobSummaryList"].([]any)); n != 1 {
		t.Errorf("list-jobs JOB_NAME filter = %d jobs, want 1", n)
	}

	jobArn := job["jobArn"].(string)
	cli.must("tag-resource", "--resource-arn", jobArn, "--tags", "owner=me")
	tags := cli.must("list-tags-for-resource", "--resource-arn", jobArn)["tags"].(map[string]any)
	if tags["owner"] != "me" || tags["k"] != "v" {
		t.Errorf("job tags = %v, want owner=me and k=v", tags)
	}
	cli.must("untag-resource", "--resource-arn", jobArn, "--tag-keys", "owner", "k")
	if tags := cli.must("list-tags-for-resource", "--resource-arn", ceArn)["tags"].(map[string]any); tags["team"] != "data" {
		t.Errorf("compute environment tags = %v", tags)
	}
	if tags := cli.must("list-tags-for-resource", "--resource-arn", jobArn)["tags"].(map[string]any); len(tags) != 0 {
		t.Errorf("job tags after untag = %v", tags)
	}

	sleeper := cli.must("submit-job", "--job-name", "sleeper", "--job-queue", "cli-q", "--job-definition", "cli-def",
		"--container-overrides", `{"command":["sleep","300"]}`)["jobId"].(string)
	cli.must("cancel-job", "--job-id", sleeper, "--reason", "cancelled from the CLI")
	cli.must("terminate-job", "--job-id", sleeper, "--reason", "terminated from the CLI")
	snap := cli.must("get-job-queue-snapshot", "--job-queue", "cli-q")
	if _, ok := snap["frontOfQueue"]; !ok {
		t.Errorf("get-job-queue-snapshot = %v, want frontOfQueue", snap)
	}

	// Deleting in the order AWS requires, and refusing the wrong order.
	if _, err := cli.run("delete-compute-environment", "--compute-environment", "cli-ce"); err == nil || !strings.Contains(err.Error(), "ClientException") {
		t.Errorf("deleting an ENABLED compute environment: %v, want a ClientException", err)
	}
	for _, qn := range []string{"cli-q", "cli-fair"} {
		cli.must("update-job-queue", "--job-queue", qn, "--state", "DISABLED")
		cli.must("delete-job-queue", "--job-queue", qn)
	}
	cli.must("delete-scheduling-policy", "--arn", spArn)
	cli.must("update-compute-environment", "--compute-environment", "cli-ce", "--state", "DISABLED")
	cli.must("delete-compute-environment", "--compute-environment", "cli-ce")
}

// waitDone waits for a job to finish, polling with the CLI.
func (c awsCLI) waitDone(id string, timeout time.Duration) map[string]any {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		job := c.must("describe-jobs", "--jobs", id)["jobs"].([]any)[0].(map[string]any)
		if job["status"] == "SUCCEEDED" || job["status"] == "FAILED" {
			return job
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("job %s still %v after %v", id, job["status"], timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestStockAWSCLIRunsArraysRetriesAndTerminations(t *testing.T) {
	t.Parallel()
	cli := awsCLI{t: t, path: tooltest.Require(t, "aws", "install the aws CLI (v1 or v2)"), td: startTanda(t)}
	submit := func(args ...string) string {
		base := []string{"submit-job", "--job-queue", DefaultJobQueue, "--job-definition", ExampleJobDefinition}
		return cli.must(append(base, args...)...)["jobId"].(string)
	}
	array := submit("--job-name", "hundred", "--array-properties", "size=100",
		"--container-overrides", `{"command":["sh","-c","echo child $AWS_BATCH_JOB_ARRAY_INDEX"]}`)
	retried := submit("--job-name", "exit3", "--retry-strategy", "attempts=3",
		"--container-overrides", `{"command":["sh","-c","exit 3"]}`)
	exitRule := submit("--job-name", "exitrule", "--retry-strategy", `{"attempts":3,"evaluateOnExit":[{"onExitCode":"3","action":"exit"}]}`,
		"--container-overrides", `{"command":["sh","-c","exit 3"]}`)
	sleeper := submit("--job-name", "sleeper", "--container-overrides", `{"command":["sleep","300"]}`)

	if job := cli.waitDone(array, 60*time.Second); job["status"] != "SUCCEEDED" ||
		job["arrayProperties"].(map[string]any)["statusSummary"].(map[string]any)["SUCCEEDED"] != float64(100) {
		t.Errorf("array job = %v %v, want SUCCEEDED with 100 children", job["status"], job["arrayProperties"])
	}
	if lines := cli.td.logLines(t, array+":42"); !contains(lines, "child 42") {
		t.Errorf("child 42's log = %q", lines)
	}
	if job := cli.waitDone(retried, 30*time.Second); job["status"] != "FAILED" || len(job["attempts"].([]any)) != 3 {
		t.Errorf("exit-3 job = %v with %d attempts, want FAILED with 3", job["status"], len(job["attempts"].([]any)))
	}
	if job := cli.waitDone(exitRule, 30*time.Second); job["status"] != "FAILED" || len(job["attempts"].([]any)) != 1 {
		t.Errorf("evaluateOnExit EXIT job = %v with %d attempts, want FAILED with 1", job["status"], len(job["attempts"].([]any)))
	}

	deadline := time.Now().Add(30 * time.Second)
	for cli.must("describe-jobs", "--jobs", sleeper)["jobs"].([]any)[0].(map[string]any)["status"] != "RUNNING" {
		if time.Now().After(deadline) {
			t.Fatal("the sleeper never ran")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cli.must("terminate-job", "--job-id", sleeper, "--reason", "enough")
	if job := cli.waitDone(sleeper, 30*time.Second); job["status"] != "FAILED" || job["isTerminated"] != true || job["statusReason"] != "enough" {
		t.Errorf("terminated job = %v isTerminated=%v reason=%v", job["status"], job["isTerminated"], job["statusReason"])
	}
}
