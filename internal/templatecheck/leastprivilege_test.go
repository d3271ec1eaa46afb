package templatecheck_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/infra/ec2fleet"
	"github.com/tanda-batch/tanda/internal/templatecheck"
)

// readOnlyVerbs begin the actions that change nothing.
var readOnlyVerbs = []string{"Describe", "Get", "List", "BatchGet", "BatchCheck", "Query", "Scan"}

// awsWideResources are resource patterns that cannot name the stack's own
// resources, with why they are safe to grant unconditioned.
var awsWideResources = map[string]string{
	"image/*":                  "an AMI is only read by a launch; the launch template chooses it",
	"snapshot/*":               "an AMI's snapshots are only read by a launch",
	"fleet/*":                  "an instant fleet is a record of one CreateFleet call; it runs nothing itself",
	"spot-instances-request/*": "a Spot request of an instant fleet lives and dies with its instance, which is tagged",
}

// TestLeastPrivilege checks every role's statements: no wildcard actions;
// no mutating action on "*"; and a mutating action on a wildcard resource
// only when the resource is the stack's by name, or the statement is
// conditioned on the stack's tag or VPC, or the resource is one of
// awsWideResources, or it is a log group under JobLogGroupPrefix (the
// groups the deployer lets job definitions name; TestJobLogGroups).
func TestLeastPrivilege(t *testing.T) {
	e := evaluate(t, nil)
	jobLogGroups := fmt.Sprintf("arn:%s:logs:*:%s:log-group:%s", sample.Partition, sample.Account, jobLogGroupPrefix(t, e))
	vpc := fmt.Sprintf("arn:%s:ec2:%s:%s:vpc/%s", sample.Partition, sample.Region, sample.Account, sample.Parameters["VpcId"])
	for _, role := range e.Resources("AWS::IAM::Role") {
		policy, err := templatecheck.RolePolicy(e, role)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, s := range policy {
			if !s.Allow {
				continue
			}
			where := fmt.Sprintf("role %s statement %q", role, s.Sid)
			for _, a := range s.Actions {
				if strings.ContainsAny(a, "*?") {
					t.Errorf("%s grants %s: name each action", where, a)
				}
			}
			mutating := slices.ContainsFunc(s.Actions, func(a string) bool { return !readOnly(a) })
			for _, r := range s.Resources {
				switch {
				case !mutating || !strings.Contains(r, "*"):
				case r == "*":
					t.Errorf("%s grants mutating actions %v on *", where, s.Actions)
				case strings.Contains(r, sample.Name):
				case conditionedOn(s, "tanda:stack", sample.Name), conditionedOn(s, "ec2:Vpc", vpc):
				case awsWideResources[r[strings.LastIndex(r, ":")+1:]] != "":
				case strings.HasPrefix(r, jobLogGroups) && jobLogGroupPrefix(t, e) != "":
				default:
					t.Errorf("%s grants %v on %s, which is not the stack's, without a condition", where, s.Actions, r)
				}
			}
		}
	}
}

// TestInstancesCarryTheStackTag checks that the provisioner may launch,
// tag and terminate only instances and volumes tagged with the stack, and
// that the tags it is held to are those ec2fleet puts.
func TestInstancesCarryTheStackTag(t *testing.T) {
	e := evaluate(t, nil)
	policy, err := templatecheck.RolePolicy(e, "ProvisionerRole")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range policy {
		for _, r := range s.Resources {
			if !strings.HasSuffix(r, ":instance/*") && !strings.HasSuffix(r, ":volume/*") {
				continue
			}
			if !conditionedOn(s, ec2fleet.TagStack, sample.Name) {
				t.Errorf("statement %q grants %v on %s without the %s=%s tag condition", s.Sid, s.Actions, r, ec2fleet.TagStack, sample.Name)
			}
		}
	}
}

// TestPassRole checks that a role may pass only the instance role, and
// only to EC2.
func TestPassRole(t *testing.T) {
	e := evaluate(t, nil)
	instanceRole := mustString(t, e, map[string]any{"Fn::GetAtt": []any{"InstanceRole", "Arn"}})
	for _, role := range e.Resources("AWS::IAM::Role") {
		policy, err := templatecheck.RolePolicy(e, role)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range policy {
			if !s.Allow || !slices.Contains(s.Actions, "iam:PassRole") {
				continue
			}
			if !slices.Equal(s.Resources, []string{instanceRole}) {
				t.Errorf("role %s may pass %v, want only the instance role %s", role, s.Resources, instanceRole)
			}
			if !conditionedOn(s, "iam:PassedToService", "ec2.amazonaws.com") {
				t.Errorf("role %s may pass a role to any service, want ec2.amazonaws.com only", role)
			}
		}
	}
}

// conditionedOn reports whether a statement's condition requires a key
// ending with suffix (aws:RequestTag/<tag>, ec2:ResourceTag/<tag>, ec2:Vpc)
// to equal value.
func conditionedOn(s templatecheck.Statement, suffix, value string) bool {
	for op, keys := range s.Condition {
		if op != "StringEquals" && op != "ArnEquals" {
			continue
		}
		km, _ := keys.(map[string]any)
		for k, v := range km {
			if strings.HasSuffix(k, suffix) && v == value {
				return true
			}
		}
	}
	return false
}

func readOnly(action string) bool {
	_, op, _ := strings.Cut(action, ":")
	return slices.ContainsFunc(readOnlyVerbs, func(v string) bool { return strings.HasPrefix(op, v) })
}

// TestInstanceRoleWritesNothing checks invariant 7 where IAM keeps it: the
// instance role (what a compromised instance, or a job that reached its
// credentials, holds) can write no job, item or table at all, send to no
// queue, publish no event, and change no queue, compute environment,
// instance or role. Its writes go through the agent API, which lets an
// instance write only the attempts it holds (api/agentapi). On the ready
// queues it may only take doorbells, which are not the truth.
func TestInstanceRoleWritesNothing(t *testing.T) {
	v := view(t)
	policy, err := templatecheck.RolePolicy(v.e, "InstanceRole")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range grantedActions(policy) {
		if strings.HasPrefix(a, "dynamodb:") {
			t.Errorf("the instance role grants %s: the agent reads and writes the tables only through the agent API", a)
		}
	}
	anyResource := []string{"*"}
	tables := append(slices.Clone(v.tables), v.indexes...)
	queues := []string{v.queues[submissions], v.queues[ready], v.queues[interruptions]}
	for _, tt := range []struct {
		actions   []string
		resources []string
	}{
		{[]string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
			"dynamodb:TransactWriteItems", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem"}, append(tables, anyResource...)},
		{[]string{"sqs:SendMessage", "sqs:SendMessageBatch", "sqs:PurgeQueue", "sqs:CreateQueue", "sqs:DeleteQueue",
			"sqs:SetQueueAttributes", "sqs:AddPermission", "sqs:TagQueue"}, append(slices.Clone(queues), anyResource...)},
		{[]string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"}, []string{v.queues[submissions], v.queues[interruptions]}},
		{[]string{"events:PutEvents"}, []string{v.bus, "*"}},
		{[]string{"ec2:RunInstances", "ec2:CreateFleet", "ec2:TerminateInstances", "ec2:CreateTags", "ec2:DeleteTags",
			"ec2:ModifyLaunchTemplate", "ec2:CreateLaunchTemplateVersion"}, anyResource},
		{[]string{"iam:PassRole", "iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:TagRole"}, []string{v.instanceRole, "*"}},
		{[]string{"lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:UpdateFunctionCode"}, anyResource},
		// kms:Decrypt it has, on keys tagged with the stack and only by way
		// of SSM and Secrets Manager (DecryptJobSecrets), which the
		// evaluator's Allows does not read; the access keys' sealed
		// secrets are in the items table, which it cannot read at all.
		{[]string{"kms:Encrypt"}, []string{v.kmsKey}},
		{[]string{"s3:PutObject", "s3:DeleteObject"}, v.artifacts},
	} {
		for _, a := range tt.actions {
			for _, r := range tt.resources {
				if policy.Allows(a, r) {
					t.Errorf("the instance role may %s on %s", a, r)
				}
			}
		}
	}
	// What it keeps: taking doorbells from the ready queues.
	for _, a := range []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"} {
		if !policy.Allows(a, v.queues[ready]) {
			t.Errorf("the instance role may not %s on the ready queues, which the agent receives doorbells from", a)
		}
	}
}
