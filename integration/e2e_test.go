//go:build unix

package integration

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/tanda-batch/tanda/infra/ec2fleet"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/integration/instances"
	"github.com/tanda-batch/tanda/internal/tooltest"
)

const (
	// jobTimeout bounds one job's way from submission to its end,
	// launching its instance included.
	jobTimeout = 3 * time.Minute
	// scaleInTimeout bounds how long idle instances may outlive their
	// last job before the provisioner terminates them.
	scaleInTimeout = 5 * time.Minute
	// interruptNotice is how long before its termination an interrupted
	// instance is told (two minutes on EC2; shorter here, and shorter
	// than the interrupted job, so that the job must move).
	interruptNotice = 10 * time.Second
	// pollEvery is how often the tests poll the API and EC2.
	pollEvery = 500 * time.Millisecond
)

// e2e is one stack on moto: `tanda serve` for it, the aws CLI pointed at
// it, and the harness playing its instances with real agents.
type e2e struct {
	ec2     *ec2.Client
	stack   string
	serve   *serveProcess
	batch   batchCLI
	agents  *instances.Harness
	subnets []string
	group   string // the default VPC's default security group
}

// startE2E starts a stack of its own, or skips the test under -short or
// when moto or the aws CLI is missing (outside make test).
func startE2E(t *testing.T) *e2e {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds tanda and runs it against moto for minutes")
	}
	client, moto := motoEC2(t)
	awsPath := tooltest.Require(t, "aws", "install the aws CLI (v1 or v2)")
	bin := tandaBinary(t)
	e := &e2e{ec2: client, stack: uniqueName("e2e")}
	e.subnets, e.group = defaultNetwork(t, client)
	e.serve = startServe(t, bin, moto, e.stack)
	e.batch = batchCLI{path: awsPath, endpoint: e.serve.Endpoint, dataDir: e.serve.DataDir}
	e.agents = instances.Run(t, instances.Options{
		EC2: client, Stack: e.stack, Region: mototest.Region, Credentials: mototest.Credentials(), Session: agentSessions(moto, e.stack),
		Command: []string{bin, "agent", "--work-root", filepath.Join(instances.InstanceDir, "work")},
	})
	return e
}

func TestEndToEndOnDemand(t *testing.T) {
	e := startE2E(t)
	queue := e.createEnvironment(t, "ondemand", "EC2", "BEST_FIT_PROGRESSIVE")
	e.registerDefinition(t, "hello", []string{"sh", "-c", "echo hello"}, 1)
	var ids []string
	for i := range 3 {
		ids = append(ids, e.submit(t, fmt.Sprintf("hello-%d", i), queue, "hello"))
	}
	for _, id := range ids {
		job := e.awaitJob(t, id, "SUCCEEDED", "FAILED")
		if s := digString(job, "status"); s != "SUCCEEDED" {
			t.Errorf("job %s ended %s (%s), want SUCCEEDED", id, s, digString(job, "statusReason"))
			continue
		}
		host := instanceOf(digString(job, "attempts", 0, "container", "containerInstanceArn"))
		if a, ok := e.agents.Agent(host); !ok || a.Metadata.Tags[ec2fleet.TagComputeEnvironment] != "ondemand" {
			t.Errorf("job %s ran on %q, want an instance the provisioner launched for ondemand", id, host)
		}
	}
	if len(e.agents.All()) == 0 {
		t.Fatal("no instance was launched in moto")
	}
	e.awaitScaleIn(t)
}

func TestEndToEndSpotInterruption(t *testing.T) {
	e := startE2E(t)
	queue := e.createEnvironment(t, "spot", "SPOT", "SPOT_CAPACITY_OPTIMIZED")
	e.registerDefinition(t, "sleeper", []string{"sh", "-c", "sleep 20; echo done"}, 2)
	id := e.submit(t, "sleeper", queue, "sleeper")
	job := e.awaitJob(t, id, "RUNNING")
	victim := instanceOf(digString(job, "container", "containerInstanceArn"))
	if a, ok := e.agents.Agent(victim); !ok || a.Metadata.Lifecycle != instances.LifecycleSpot {
		t.Fatalf("job %s runs on %q, want a Spot instance of the stack (%+v)", id, victim, a)
	}
	if err := e.agents.Interrupt(victim, interruptNotice); err != nil {
		t.Fatal(err)
	}

	job = e.awaitJob(t, id, "SUCCEEDED", "FAILED")
	attempts, _ := dig(job, "attempts").([]any)
	if s := digString(job, "status"); s != "SUCCEEDED" || len(attempts) != 2 {
		t.Fatalf("job %s ended %s after %d attempts, want SUCCEEDED after 2: %v", id, s, len(attempts), job)
	}
	first, second := instanceOf(digString(attempts[0], "container", "containerInstanceArn")), instanceOf(digString(attempts[1], "container", "containerInstanceArn"))
	wantReason := "Host EC2 (instance " + victim + ") terminated."
	if first != victim || !strings.Contains(digString(attempts[0], "statusReason"), wantReason) {
		t.Errorf("first attempt ran on %s with reason %q, want %s and %q", first, digString(attempts[0], "statusReason"), victim, wantReason)
	}
	if second == victim || second == "" {
		t.Errorf("second attempt ran on %q, want another instance than %s", second, victim)
	}
	if s := stateOf(t, e.ec2, victim); s == ec2types.InstanceStateNameRunning {
		t.Errorf("the interrupted instance is still running in EC2")
	}
}

// createEnvironment makes a managed compute environment of type typ
// (EC2 or SPOT) of up to four m6i.large in the default VPC, and a job
// queue on it, and returns the queue's name once both are VALID.
func (e *e2e) createEnvironment(t *testing.T, name, typ, strategy string) string {
	t.Helper()
	resources := map[string]any{
		"type": typ, "allocationStrategy": strategy,
		"minvCpus": 0, "maxvCpus": 8, "instanceTypes": []string{"m6i.large"},
		"subnets": e.subnets, "securityGroupIds": []string{e.group}, "instanceRole": "ecsInstanceRole",
	}
	e.batch.cli(t, "create-compute-environment", "--compute-environment-name", name, "--type", "MANAGED",
		"--state", "ENABLED", "--compute-resources", mustJSON(t, resources))
	e.awaitValid(t, "compute environment "+name, "computeEnvironments", "describe-compute-environments", "--compute-environments", name)
	queue := name + "-queue"
	e.batch.cli(t, "create-job-queue", "--job-queue-name", queue, "--priority", "1",
		"--compute-environment-order", "order=1,computeEnvironment="+name)
	e.awaitValid(t, "job queue "+queue, "jobQueues", "describe-job-queues", "--job-queues", queue)
	return queue
}

// awaitValid polls a describe command until the one item it lists (under
// key) has status VALID.
func (e *e2e) awaitValid(t *testing.T, what, key string, describe ...string) {
	t.Helper()
	within(t, time.Minute, what+" is VALID", func() (bool, string) {
		item := dig(e.batch.cli(t, describe...), key, 0)
		return digString(item, "status") == "VALID", fmt.Sprint(item)
	})
}

// registerDefinition registers a container job definition running
// command with 1 vCPU and 512 MiB, tried up to attempts times.
func (e *e2e) registerDefinition(t *testing.T, name string, command []string, attempts int) {
	t.Helper()
	props := map[string]any{
		"image": "busybox", "command": command,
		"resourceRequirements": []map[string]string{{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "512"}},
	}
	e.batch.cli(t, "register-job-definition", "--job-definition-name", name, "--type", "container",
		"--container-properties", mustJSON(t, props), "--retry-strategy", mustJSON(t, map[string]int{"attempts": attempts}))
}

// submit submits a job and returns its id.
func (e *e2e) submit(t *testing.T, name, queue, definition string) string {
	t.Helper()
	out := e.batch.cli(t, "submit-job", "--job-name", name, "--job-queue", queue, "--job-definition", definition)
	id := digString(out, "jobId")
	if id == "" {
		t.Fatalf("submit-job printed no jobId: %v", out)
	}
	return id
}

// awaitJob polls the job until its status is one of statuses, and
// returns its description.
func (e *e2e) awaitJob(t *testing.T, id string, statuses ...string) map[string]any {
	t.Helper()
	var job map[string]any
	within(t, jobTimeout, "job "+id+" is "+strings.Join(statuses, " or "), func() (bool, string) {
		job, _ = dig(e.batch.cli(t, "describe-jobs", "--jobs", id), "jobs", 0).(map[string]any)
		return slices.Contains(statuses, digString(job, "status")), digString(job, "status") + ": " + digString(job, "statusReason")
	})
	return job
}

// awaitScaleIn waits until the stack has no instance left in EC2 and no
// agent running, and checks that every agent ran until the provisioner
// terminated its instance.
func (e *e2e) awaitScaleIn(t *testing.T) {
	t.Helper()
	within(t, scaleInTimeout, "the stack's instances are terminated", func() (bool, string) {
		live := e.liveInstances(t)
		agents := e.agents.Agents()
		return len(live) == 0 && len(agents) == 0, fmt.Sprintf("instances %v, agents %v", live, agents)
	})
	for _, a := range e.agents.All() {
		if !a.Killed {
			t.Errorf("the agent of %s ended before its instance did: %v (log %s)", a.InstanceID, a.Err, a.LogFile)
		}
	}
}

// liveInstances lists the stack's instances that are not terminated.
func (e *e2e) liveInstances(t *testing.T) []string {
	t.Helper()
	out, err := e.ec2.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + ec2fleet.TagStack), Values: []string{e.stack}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "shutting-down"}},
	}})
	if err != nil {
		t.Fatalf("describing the stack's instances: %v", err)
	}
	var ids []string
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			ids = append(ids, aws.ToString(i.InstanceId))
		}
	}
	return ids
}

// instanceOf is the EC2 instance id at the end of a container instance
// ARN (arn:aws:ecs:REGION:ACCOUNT:container-instance/i-...).
func instanceOf(containerInstanceArn string) string {
	_, id, _ := strings.Cut(containerInstanceArn, "container-instance/")
	return id
}
