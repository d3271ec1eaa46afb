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
