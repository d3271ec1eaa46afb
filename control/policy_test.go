package control_test

import (
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

func TestSchedulingPolicyLifecycle(t *testing.T) {
	h := newHarness(t)
	var arns []string
	for _, name := range []string{"p1", "p2", "p3"} {
		out, err := h.svc.CreateSchedulingPolicy(h.ctx, &batch.CreateSchedulingPolicyInput{Name: name})
		if err != nil {
			t.Fatalf("CreateSchedulingPolicy(%s): %v", name, err)
		}
		if want := testPartition.SchedulingPolicyARN(name); out.Arn != want {
			t.Errorf("ARN = %q, want %q", out.Arn, want)
		}
		arns = append(arns, out.Arn)
	}
	_, err := h.svc.CreateSchedulingPolicy(h.ctx, &batch.CreateSchedulingPolicyInput{Name: "p1"})
	wantClientError(t, err, "Object already exists")

	// ListSchedulingPolicies pages through all of them.
	var listed []string
	in := &batch.ListSchedulingPoliciesInput{MaxResults: ptr(2)}
	for range 3 {
		out, err := h.svc.ListSchedulingPolicies(h.ctx, in)
		if err != nil {
			t.Fatalf("ListSchedulingPolicies: %v", err)
		}
		for _, p := range out.SchedulingPolicies {
			listed = append(listed, p.Arn)
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = *out.NextToken
	}
	if !slices.Equal(listed, arns) {
		t.Errorf("listed %v, want %v", listed, arns)
	}
	_, err = h.svc.ListSchedulingPolicies(h.ctx, &batch.ListSchedulingPoliciesInput{NextToken: "forged"})
	wantClientError(t, err, "nextToken")

	weight := 0.5
	if err := h.svc.UpdateSchedulingPolicy(h.ctx, &batch.UpdateSchedulingPolicyInput{
		Arn:             arns[0],
		FairsharePolicy: &batch.FairsharePolicy{ShareDistribution: []batch.ShareAttributes{{ShareIdentifier: "A", WeightFactor: &weight}}},
	}); err != nil {
		t.Fatalf("UpdateSchedulingPolicy: %v", err)
	}
	desc, err := h.svc.DescribeSchedulingPolicies(h.ctx, &batch.DescribeSchedulingPoliciesInput{
		Arns: []string{arns[0], testPartition.SchedulingPolicyARN("ghost")},
	})
	if err != nil {
		t.Fatalf("DescribeSchedulingPolicies: %v", err)
	}
	if len(desc.SchedulingPolicies) != 1 {
		t.Fatalf("described %d policies, want 1 (unknown ARNs left out)", len(desc.SchedulingPolicies))
	}
	fp := desc.SchedulingPolicies[0].FairsharePolicy
	if fp == nil || len(fp.ShareDistribution) != 1 || *fp.ShareDistribution[0].WeightFactor != weight {
		t.Errorf("fairsharePolicy = %+v, want share A at weight %g", fp, weight)
	}

	// A policy a queue uses cannot go.
	h.createQueue(&batch.CreateJobQueueInput{JobQueueName: "fq", SchedulingPolicyArn: arns[0]})
	wantClientError(t, h.svc.DeleteSchedulingPolicy(h.ctx, &batch.DeleteSchedulingPolicyInput{Arn: arns[0]}), "job queue fq uses it")
	if err := h.svc.DeleteSchedulingPolicy(h.ctx, &batch.DeleteSchedulingPolicyInput{Arn: arns[1]}); err != nil {
		t.Fatalf("DeleteSchedulingPolicy: %v", err)
	}
	if _, err := h.svc.SchedulingPolicy(h.ctx, arns[1]); !batch.IsClientError(err) {
		t.Errorf("reading a deleted policy err = %v, want a client error", err)
	}
	wantClientError(t, h.svc.UpdateSchedulingPolicy(h.ctx, &batch.UpdateSchedulingPolicyInput{Arn: arns[1]}), "not found")
}

func TestJobQueueSchedulingPolicyRules(t *testing.T) {
	h := newHarness(t)
	sp, err := h.svc.CreateSchedulingPolicy(h.ctx, &batch.CreateSchedulingPolicyInput{Name: "sp"})
	if err != nil {
		t.Fatalf("CreateSchedulingPolicy: %v", err)
	}
	_, err = h.svc.CreateJobQueue(h.ctx, &batch.CreateJobQueueInput{JobQueueName: "x", Priority: ptr(1),
		SchedulingPolicyArn:     testPartition.SchedulingPolicyARN("ghost"),
		ComputeEnvironmentOrder: []batch.ComputeEnvironmentOrder{{Order: 1, ComputeEnvironment: ceName}}})
	wantClientError(t, err, "not found")

	// A FIFO queue never gains a policy.
	_, err = h.svc.UpdateJobQueue(h.ctx, &batch.UpdateJobQueueInput{JobQueue: queueName, SchedulingPolicyArn: sp.Arn})
	wantClientError(t, err, "schedulingPolicyArn")
	q, err := h.svc.JobQueue(h.ctx, queueName)
	if err != nil {
		t.Fatalf("JobQueue: %v", err)
	}
	if q.SchedulingPolicyArn != "" {
		t.Errorf("schedulingPolicyArn = %q after a refused update, want none", q.SchedulingPolicyArn)
	}
}

func TestDescribeComputeEnvironmentsAndQueues(t *testing.T) {
	h := newHarness(t)
	h.createCE("ce2", 0, 4)
	h.createCE("ce3", 0, 4)
	h.createQueue(&batch.CreateJobQueueInput{JobQueueName: "q2", Priority: ptr(7),
		ComputeEnvironmentOrder: []batch.ComputeEnvironmentOrder{{Order: 2, ComputeEnvironment: "ce3"}, {Order: 1, ComputeEnvironment: testPartition.ComputeEnvironmentARN("ce2")}}})

	ceNames := func(in batch.DescribeComputeEnvironmentsInput) ([]string, *string) {
		t.Helper()
		out, err := h.svc.DescribeComputeEnvironments(h.ctx, &in)
		if err != nil {
			t.Fatalf("DescribeComputeEnvironments: %v", err)
		}
		var names []string
		for _, ce := range out.ComputeEnvironments {
			names = append(names, ce.ComputeEnvironmentName)
		}
		return names, out.NextToken
	}
	if got, _ := ceNames(batch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{"ce3", testPartition.ComputeEnvironmentARN(ceName), "ghost"}}); !slices.Equal(got, []string{ceName, "ce3"}) {
		t.Errorf("described %v, want [%s ce3]", got, ceName)
	}
	first, next := ceNames(batch.DescribeComputeEnvironmentsInput{MaxResults: ptr(2)})
	if next == nil {
		t.Fatal("first page of 2 of 3 has no nextToken")
	}
	rest, next := ceNames(batch.DescribeComputeEnvironmentsInput{MaxResults: ptr(2), NextToken: *next})
	if got := append(first, rest...); !slices.Equal(got, []string{ceName, "ce2", "ce3"}) || next != nil {
		t.Errorf("paged %v (next %v), want [%s ce2 ce3] and no more", got, next, ceName)
	}

	out, err := h.svc.DescribeJobQueues(h.ctx, &batch.DescribeJobQueuesInput{JobQueues: []string{testPartition.JobQueueARN("q2")}})
	if err != nil {
		t.Fatalf("DescribeJobQueues: %v", err)
	}
	if len(out.JobQueues) != 1 {
		t.Fatalf("described %d queues, want 1", len(out.JobQueues))
	}
	q := out.JobQueues[0]
	wantOrder := []batch.ComputeEnvironmentOrder{
		{Order: 1, ComputeEnvironment: testPartition.ComputeEnvironmentARN("ce2")},
		{Order: 2, ComputeEnvironment: testPartition.ComputeEnvironmentARN("ce3")},
	}
	if q.Priority != 7 || q.State != batch.StateEnabled || q.Status != batch.StatusValid || !slices.Equal(q.ComputeEnvironmentOrder, wantOrder) {
		t.Errorf("queue = %+v, want priority 7, ENABLED, VALID, order %v", q, wantOrder)
	}
	_, err = h.svc.DescribeJobQueues(h.ctx, &batch.DescribeJobQueuesInput{MaxResults: ptr(0)})
	wantClientError(t, err, "maxResults")
}
