package templatecheck_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
	"github.com/tanda-batch/tanda/infra/stsroles"
	"github.com/tanda-batch/tanda/internal/templatecheck"
)

// TestAssumeJobRoles checks that the instance role may assume roles only
// of the stack's account, only those tagged with the stack, with what the
// agent sends (session tags and a source identity), and that no other role
// of the stack may assume any; and that the stack gives users the
// instance role's ARN for their job roles' trust policies.
func TestAssumeJobRoles(t *testing.T) {
	e := evaluate(t, nil)
	if rolecreds.TagStack != ec2fleet.TagStack {
		t.Fatalf("the session tag %s and the stack tag %s differ: the docs tell users to tag job roles with the stack's", rolecreds.TagStack, ec2fleet.TagStack)
	}
	want := stsroles.Actions()
	accountRoles := fmt.Sprintf("arn:%s:iam::%s:role/*", sample.Partition, sample.Account)
	for _, role := range e.Resources("AWS::IAM::Role") {
		policy, err := templatecheck.RolePolicy(e, role)
		if err != nil {
			t.Fatal(err)
		}
		var granted []string
		for _, s := range policy {
			sts := slices.ContainsFunc(s.Actions, func(a string) bool { return slices.Contains(want, a) })
			if !s.Allow || !sts {
				continue
			}
			if role != "InstanceRole" {
				t.Errorf("role %s may %v: only the instance role assumes job roles", role, s.Actions)
				continue
			}
			granted = append(granted, s.Actions...)
			if !slices.Equal(s.Resources, []string{accountRoles}) {
				t.Errorf("statement %q: resources %v, want the account's roles %s", s.Sid, s.Resources, accountRoles)
			}
			if !conditionedOn(s, "aws:ResourceTag/"+ec2fleet.TagStack, sample.Name) {
				t.Errorf("statement %q grants %v without the condition aws:ResourceTag/%s = %s", s.Sid, s.Actions, ec2fleet.TagStack, sample.Name)
			}
		}
		if role == "InstanceRole" {
			slices.Sort(granted)
			if !slices.Equal(slices.Compact(granted), want) {
				t.Errorf("the instance role may %v of STS, want %v (stsroles.Actions)", granted, want)
			}
		}
	}
	out, ok := e.Template().Outputs["InstanceRoleArn"]
	if !ok {
		t.Fatal("no InstanceRoleArn output")
	}
	if got, arn := mustString(t, e, out.Value), mustString(t, e, map[string]any{"Fn::GetAtt": []any{"InstanceRole", "Arn"}}); got != arn {
		t.Errorf("output InstanceRoleArn = %v, want the instance role's ARN %s", got, arn)
	}
}
