package control_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

func TestJobDefinitionRevisions(t *testing.T) {
	h := newHarness(t)
	r1 := h.registerDef("app", nil)
	r2 := h.registerDef("app", func(in *batch.RegisterJobDefinitionInput) { in.ContainerProperties.Image = "app:2" })
	if r1.Revision != 1 || r2.Revision != 2 {
		t.Fatalf("revisions = %d, %d; want 1, 2", r1.Revision, r2.Revision)
	}
	if want := testPartition.JobDefinitionARN("app", 2); r2.JobDefinitionArn != want {
		t.Errorf("ARN = %q, want %q", r2.JobDefinitionArn, want)
	}

	describe := func(in batch.DescribeJobDefinitionsInput) []int {
		t.Helper()
		out, err := h.svc.DescribeJobDefinitions(h.ctx, &in)
		if err != nil {
			t.Fatalf("DescribeJobDefinitions(%+v): %v", in, err)
		}
		var revs []int
		for _, jd := range out.JobDefinitions {
			if jd.JobDefinitionName == "app" {
				revs = append(revs, jd.Revision)
			}
		}
		return revs
	}
	wantRevs := func(name string, got, want []int) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: revisions %v, want %v", name, got, want)
		}
	}
	wantRevs("by name", describe(batch.DescribeJobDefinitionsInput{JobDefinitionName: "app"}), []int{1, 2})
	wantRevs("by name:revision", describe(batch.DescribeJobDefinitionsInput{JobDefinitions: []string{"app:2"}}), []int{2})
	wantRevs("by ARN", describe(batch.DescribeJobDefinitionsInput{JobDefinitions: []string{r1.JobDefinitionArn}}), []int{1})
	wantRevs("all", describe(batch.DescribeJobDefinitionsInput{}), []int{1, 2})

	latest := func() int {
		t.Helper()
		jd, err := h.svc.JobDefinition(h.ctx, "app")
		if err != nil {
			t.Fatalf("JobDefinition(app): %v", err)
		}
		return jd.Revision
	}
	if got := latest(); got != 2 {
		t.Errorf("latest ACTIVE = %d, want 2", got)
	}

	if err := h.svc.DeregisterJobDefinition(h.ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: r2.JobDefinitionArn}); err != nil {
		t.Fatalf("DeregisterJobDefinition: %v", err)
	}
	wantRevs("ACTIVE", describe(batch.DescribeJobDefinitionsInput{JobDefinitionName: "app", Status: batch.DefinitionActive}), []int{1})
	wantRevs("INACTIVE", describe(batch.DescribeJobDefinitionsInput{JobDefinitionName: "app", Status: batch.DefinitionInactive}), []int{2})
	if got := latest(); got != 1 {
		t.Errorf("latest ACTIVE after deregistering 2 = %d, want 1", got)
	}
	id := h.submit(&batch.SubmitJobInput{JobDefinition: "app"})
	if got, want := h.job(id).JobDefinition, r1.JobDefinitionArn; got != want {
		t.Errorf("submitted job's definition = %q, want %q", got, want)
	}

	if r3 := h.registerDef("app", nil); r3.Revision != 3 {
		t.Errorf("revision after a deregistration = %d, want 3 (revisions are never reused)", r3.Revision)
	}
	if got := latest(); got != 3 {
		t.Errorf("latest ACTIVE = %d, want 3", got)
	}

	if err := h.svc.DeregisterJobDefinition(h.ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: "app:1"}); err != nil {
		t.Fatalf("DeregisterJobDefinition(app:1): %v", err)
	}
	if err := h.svc.DeregisterJobDefinition(h.ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: "app:3"}); err != nil {
		t.Fatalf("DeregisterJobDefinition(app:3): %v", err)
	}
	_, err := h.svc.JobDefinition(h.ctx, "app")
	wantClientError(t, err, "ACTIVE")
}

func TestDeregisterJobDefinitionByNameTakesTheLatestActiveRevision(t *testing.T) {
	h := newHarness(t)
	for range 3 {
		h.registerDef("byname", nil)
	}
	status := func() map[int]string {
		t.Helper()
		out, err := h.svc.DescribeJobDefinitions(h.ctx, &batch.DescribeJobDefinitionsInput{JobDefinitionName: "byname"})
		if err != nil {
			t.Fatal(err)
		}
		got := map[int]string{}
		for _, jd := range out.JobDefinitions {
			got[jd.Revision] = jd.Status
		}
		return got
	}
	deregister := func(ref string) error {
		return h.svc.DeregisterJobDefinition(h.ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: ref})
	}
	if err := deregister("byname:2"); err != nil {
		t.Fatal(err)
	}
	if err := deregister("byname"); err != nil {
		t.Fatalf("DeregisterJobDefinition(byname): %v", err)
	}
	want := map[int]string{1: "ACTIVE", 2: "INACTIVE", 3: "INACTIVE"}
	if got := status(); !maps.Equal(got, want) {
		t.Errorf("after deregistering 2, then the bare name: %v, want %v", got, want)
	}
	if err := deregister("arn:aws:batch:" + testPartition.Region + ":" + testPartition.Account + ":job-definition/byname"); err != nil {
		t.Fatalf("DeregisterJobDefinition(ARN without revision): %v", err)
	}
	want[1] = "INACTIVE"
	if got := status(); !maps.Equal(got, want) {
		t.Errorf("after deregistering by ARN without revision: %v, want %v", got, want)
	}
	wantClientError(t, deregister("byname"), "does not exist or is not in ACTIVE status")
}

func TestDeregisterJobDefinitionErrors(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		ref, wantMsg string
	}{
		{"nope", "does not exist or is not in ACTIVE status"},
		{defName + ":9", "not found"},
		{"nope:1", "not found"},
	}
	for _, tt := range tests {
		err := h.svc.DeregisterJobDefinition(h.ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: tt.ref})
		wantClientError(t, err, tt.wantMsg)
	}
}

func TestComputeEnvironmentAndQueueErrors(t *testing.T) {
	tests := []struct {
		name    string
		do      func(h *harness) error
		wantMsg string
	}{
		{"duplicate compute environment", func(h *harness) error {
			_, err := h.svc.CreateComputeEnvironment(h.ctx, &batch.CreateComputeEnvironmentInput{
				ComputeEnvironmentName: ceName, Type: batch.TypeUnmanaged,
			})
			return err
		}, "Object already exists"},
		{"duplicate job queue", func(h *harness) error {
			_, err := h.svc.CreateJobQueue(h.ctx, &batch.CreateJobQueueInput{JobQueueName: queueName, Priority: ptr(1),
				ComputeEnvironmentOrder: []batch.ComputeEnvironmentOrder{{Order: 1, ComputeEnvironment: ceName}}})
			return err
		}, "Object already exists"},
		{"queue over an unknown compute environment", func(h *harness) error {
			_, err := h.svc.CreateJobQueue(h.ctx, &batch.CreateJobQueueInput{JobQueueName: "q2", Priority: ptr(1),
				ComputeEnvironmentOrder: []batch.ComputeEnvironmentOrder{{Order: 1, ComputeEnvironment: "nope"}}})
			return err
		}, "nope not found"},
		{"delete an ENABLED compute environment", func(h *harness) error {
			return h.svc.DeleteComputeEnvironment(h.ctx, &batch.DeleteComputeEnvironmentInput{ComputeEnvironment: ceName})
		}, "must be DISABLED first"},
		{"delete a compute environment a queue uses", func(h *harness) error {
			if _, err := h.svc.UpdateComputeEnvironment(h.ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: ceName, State: batch.StateDisabled}); err != nil {
				h.t.Fatalf("UpdateComputeEnvironment: %v", err)
			}
			return h.svc.DeleteComputeEnvironment(h.ctx, &batch.DeleteComputeEnvironmentInput{ComputeEnvironment: ceName})
		}, "Cannot delete, found existing JobQueue relationship"},
		{"delete an ENABLED job queue", func(h *harness) error {
			return h.svc.DeleteJobQueue(h.ctx, &batch.DeleteJobQueueInput{JobQueue: queueName})
		}, "must be DISABLED first"},
		{"lower desiredvCpus", func(h *harness) error {
			_, err := h.svc.UpdateComputeEnvironment(h.ctx, &batch.UpdateComputeEnvironmentInput{
				ComputeEnvironment: "big", ComputeResources: &batch.ComputeResourceUpdate{DesiredvCpus: ptr(2)},
			})
			return err
		}, "Manually scaling down compute environment is not supported"},
		{"update an unknown compute environment", func(h *harness) error {
			_, err := h.svc.UpdateComputeEnvironment(h.ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: "nope", State: batch.StateDisabled})
			return err
		}, "nope not found"},
		{"an EKS image type", func(h *harness) error {
			_, err := h.svc.CreateComputeEnvironment(h.ctx, &batch.CreateComputeEnvironmentInput{
				ComputeEnvironmentName: "gpu", Type: batch.TypeManaged,
				ComputeResources: &batch.ComputeResource{Type: batch.ComputeEC2, MaxvCpus: ptr(16), InstanceTypes: []string{"m5.large"},
					Ec2Configuration: []map[string]any{{"imageType": "EKS_AL2023_NVIDIA"}}},
			})
			return err
		}, "computeResources.ec2Configuration[0].imageType: EKS image types"},
		{"a launch template by id and name", func(h *harness) error {
			_, err := h.svc.UpdateComputeEnvironment(h.ctx, &batch.UpdateComputeEnvironmentInput{
				ComputeEnvironment: "big", ComputeResources: &batch.ComputeResourceUpdate{
					LaunchTemplate:   map[string]any{"launchTemplateId": "lt-0abc", "launchTemplateName": "mine"},
					Ec2Configuration: []map[string]any{{"imageType": "ECS_AL2"}},
				},
			})
			return err
		}, "computeResources.launchTemplate must give launchTemplateId or launchTemplateName, not both"},
		{"update an unknown job queue", func(h *harness) error {
			_, err := h.svc.UpdateJobQueue(h.ctx, &batch.UpdateJobQueueInput{JobQueue: "nope", State: batch.StateDisabled})
			return err
		}, "nope not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.createCE("big", 4, 16)
			before := h.describeAll()
			wantClientError(t, tt.do(h), tt.wantMsg)
			after := h.describeAll()
			if after != before {
				t.Errorf("a refused call changed the resources: %+v → %+v", before, after)
			}
		})
	}
}

// inventory counts compute environments and job queues and records the
// desiredvCpus of "big".
type inventory struct {
	ces, queues, bigDesired int
	bigImages               string // big's ec2Configuration and launchTemplate
}

func (h *harness) describeAll() inventory {
	h.t.Helper()
	ces, err := h.svc.DescribeComputeEnvironments(h.ctx, &batch.DescribeComputeEnvironmentsInput{})
	if err != nil {
		h.t.Fatalf("DescribeComputeEnvironments: %v", err)
	}
	qs, err := h.svc.DescribeJobQueues(h.ctx, &batch.DescribeJobQueuesInput{})
	if err != nil {
		h.t.Fatalf("DescribeJobQueues: %v", err)
	}
	inv := inventory{ces: len(ces.ComputeEnvironments), queues: len(qs.JobQueues)}
	for _, ce := range ces.ComputeEnvironments {
		if ce.ComputeEnvironmentName == "big" {
			inv.bigDesired = *ce.ComputeResources.DesiredvCpus
			inv.bigImages = fmt.Sprint(ce.ComputeResources.Ec2Configuration, ce.ComputeResources.LaunchTemplate)
		}
	}
	return inv
}

func TestComputeEnvironmentAndQueueLifecycle(t *testing.T) {
	h := newHarness(t)
	// Raising desiredvCpus is allowed.
	if _, err := h.svc.UpdateComputeEnvironment(h.ctx, &batch.UpdateComputeEnvironmentInput{
		ComputeEnvironment: testPartition.ComputeEnvironmentARN(ceName),
		ComputeResources:   &batch.ComputeResourceUpdate{DesiredvCpus: ptr(8)},
	}); err != nil {
		t.Fatalf("raising desiredvCpus: %v", err)
	}
	ce, err := h.svc.ComputeEnvironment(h.ctx, ceName)
	if err != nil {
		t.Fatalf("ComputeEnvironment: %v", err)
	}
	if got := *ce.ComputeResources.DesiredvCpus; got != 8 {
		t.Errorf("desiredvCpus = %d, want 8", got)
	}
	if ce.Status != batch.StatusValid || ce.State != batch.StateEnabled {
		t.Errorf("status/state = %s/%s, want VALID/ENABLED", ce.Status, ce.State)
	}

	// A queue's unfinished jobs end when it is deleted.
	waiting := h.submit(&batch.SubmitJobInput{})
	running := h.submit(&batch.SubmitJobInput{})
	h.drain()
	a := h.start(running, "i-1")
	if _, err := h.svc.UpdateJobQueue(h.ctx, &batch.UpdateJobQueueInput{JobQueue: queueName, State: batch.StateDisabled}); err != nil {
		t.Fatalf("disabling the queue: %v", err)
	}
	if err := h.svc.DeleteJobQueue(h.ctx, &batch.DeleteJobQueueInput{JobQueue: queueName}); err != nil {
		t.Fatalf("DeleteJobQueue: %v", err)
	}
	if _, err := h.svc.JobQueue(h.ctx, queueName); !batch.IsClientError(err) {
		t.Errorf("reading a deleted queue err = %v, want a client error", err)
	}
	if j := h.wantStatus(waiting, batch.Failed); j.StatusReason != "JobQueue deleted" {
		t.Errorf("waiting job statusReason = %q, want JobQueue deleted", j.StatusReason)
	}
	if got := h.ready(); len(got) != 0 {
		t.Errorf("ready queue of a deleted queue holds %v, want nothing", got)
	}
	hb, err := h.svc.Heartbeat(h.ctx, running, a, "i-1")
	if err != nil || !hb.Internal.TerminateRequested {
		t.Errorf("running job's Heartbeat = terminate %v, %v; want terminate requested", hb.Internal.TerminateRequested, err)
	}

	// The compute environment goes once disabled and unused.
	if _, err := h.svc.UpdateComputeEnvironment(h.ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: ceName, State: batch.StateDisabled}); err != nil {
		t.Fatalf("disabling the compute environment: %v", err)
	}
	if err := h.svc.DeleteComputeEnvironment(h.ctx, &batch.DeleteComputeEnvironmentInput{ComputeEnvironment: ceName}); err != nil {
		t.Fatalf("DeleteComputeEnvironment: %v", err)
	}
	if ce, _ := h.svc.ComputeEnvironment(h.ctx, ceName); ce.Status != batch.StatusDeleting {
		t.Errorf("status after delete = %s, want DELETING", ce.Status)
	}
	_, err = h.svc.UpdateComputeEnvironment(h.ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: ceName, State: batch.StateEnabled})
	wantClientError(t, err, "being deleted")
	if err := h.svc.ForgetComputeEnvironment(h.ctx, ceName); err != nil {
		t.Fatalf("ForgetComputeEnvironment: %v", err)
	}
	if _, err := h.svc.ComputeEnvironment(h.ctx, ceName); !batch.IsClientError(err) {
		t.Errorf("reading a forgotten compute environment err = %v, want a client error", err)
	}
}

func TestTags(t *testing.T) {
	h := newHarness(t)
	job := h.submit(&batch.SubmitJobInput{Tags: map[string]string{"team": "a"}})
	array := h.submit(&batch.SubmitJobInput{ArrayProperties: &batch.ArrayProperties{Size: ptr(2)}})
	h.drain()
	sp, err := h.svc.CreateSchedulingPolicy(h.ctx, &batch.CreateSchedulingPolicyInput{Name: "sp"})
	if err != nil {
		t.Fatalf("CreateSchedulingPolicy: %v", err)
	}

	arns := map[string]string{
		"compute environment": testPartition.ComputeEnvironmentARN(ceName),
		"job queue":           testPartition.JobQueueARN(queueName),
		"job definition":      testPartition.JobDefinitionARN(defName, 1),
		"scheduling policy":   sp.Arn,
		"job":                 testPartition.JobARN(job),
		"array parent":        testPartition.JobARN(array),
	}
	for name, arn := range arns {
		t.Run(name, func(t *testing.T) {
			before, err := h.svc.ListTagsForResource(h.ctx, arn)
			if err != nil {
				t.Fatalf("ListTagsForResource: %v", err)
			}
			if err := h.svc.TagResource(h.ctx, arn, map[string]string{"env": "test", "owner": "me"}); err != nil {
				t.Fatalf("TagResource: %v", err)
			}
			want := maps.Clone(before)
			want["env"], want["owner"] = "test", "me"
			got, err := h.svc.ListTagsForResource(h.ctx, arn)
			if err != nil || !maps.Equal(got, want) {
				t.Errorf("tags after TagResource = %v, %v; want %v", got, err, want)
			}

			if err := h.svc.UntagResource(h.ctx, arn, []string{"owner", "absent"}); err != nil {
				t.Fatalf("UntagResource: %v", err)
			}
			delete(want, "owner")
			got, err = h.svc.ListTagsForResource(h.ctx, arn)
			if err != nil || !maps.Equal(got, want) {
				t.Errorf("tags after UntagResource = %v, %v; want %v", got, err, want)
			}
		})
	}
	if got := h.job(job).Tags; !maps.Equal(got, map[string]string{"team": "a", "env": "test"}) {
		t.Errorf("job tags = %v, want the submitted tag and env", got)
	}

	refused := []struct {
		name, arn, wantMsg string
	}{
		{"array child", testPartition.JobARN(array + ":1"), "cannot be tagged"},
		{"unknown job", testPartition.JobARN("ghost"), "not found"},
		{"unknown queue", testPartition.JobQueueARN("ghost"), "not found"},
		{"definition without revision", "arn:aws:batch:us-east-1:123456789012:job-definition/" + defName, "revision"},
		{"other account", "arn:aws:batch:us-east-1:999999999999:job-queue/" + queueName, "not found"},
		{"other service", "arn:aws:sqs:us-east-1:123456789012:job-queue/" + queueName, "not found"},
		{"not an ARN", "q", "not an ARN"},
	}
	for _, tt := range refused {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			wantClientError(t, h.svc.TagResource(h.ctx, tt.arn, map[string]string{"k": "v"}), tt.wantMsg)
		})
	}
}

func TestTagLimit(t *testing.T) {
	h := newHarness(t)
	arn := testPartition.JobQueueARN(queueName)
	tags := map[string]string{}
	for i := range 50 {
		tags[string(rune('a'+i/26))+string(rune('a'+i%26))] = "v"
	}
	if err := h.svc.TagResource(h.ctx, arn, tags); err != nil {
		t.Fatalf("TagResource with 50 tags: %v", err)
	}
	wantClientError(t, h.svc.TagResource(h.ctx, arn, map[string]string{"one-more": "v"}), "at most 50 tags")
	if got, _ := h.svc.ListTagsForResource(h.ctx, arn); len(got) != 50 {
		t.Errorf("tags after a refused TagResource = %d, want 50", len(got))
	}
}

func TestDetachedComputeEnvironmentCanBeDeleted(t *testing.T) {
	h := newHarness(t)
	if _, err := h.svc.UpdateJobQueue(h.ctx, &batch.UpdateJobQueueInput{JobQueue: queueName, ComputeEnvironmentOrder: []batch.ComputeEnvironmentOrder{}}); err != nil {
		t.Fatalf("detaching the compute environment: %v", err)
	}
	q, err := h.svc.JobQueue(h.ctx, queueName)
	if err != nil {
		t.Fatalf("JobQueue: %v", err)
	}
	if len(q.ComputeEnvironmentOrder) != 0 {
		t.Fatalf("computeEnvironmentOrder = %v after detaching, want empty", q.ComputeEnvironmentOrder)
	}
	if _, err := h.svc.UpdateComputeEnvironment(h.ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: ceName, State: batch.StateDisabled}); err != nil {
		t.Fatalf("disabling: %v", err)
	}
	if err := h.svc.DeleteComputeEnvironment(h.ctx, &batch.DeleteComputeEnvironmentInput{ComputeEnvironment: ceName}); err != nil {
		t.Errorf("DeleteComputeEnvironment of a detached compute environment: %v", err)
	}
}
