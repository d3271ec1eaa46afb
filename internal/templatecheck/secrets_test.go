package templatecheck_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/infra/ec2fleet"
	"github.com/tanda-batch/tanda/infra/secretstores"
	"github.com/tanda-batch/tanda/internal/templatecheck"
)

// TestReadJobSecrets checks that the instance role may read, for jobs
// without an execution role, only the parameters, secrets and customer
// managed keys of the stack's account tagged with the stack, a key only as
// SSM and Secrets Manager decrypt with it; that it may do exactly what
// secretstores.Actions lists; and that no other role of the stack may.
func TestReadJobSecrets(t *testing.T) {
	e := evaluate(t, nil)
	want := secretstores.Actions()
	resources := map[string]string{
		"ssm:GetParameters":             fmt.Sprintf("arn:%s:ssm:*:%s:parameter/*", sample.Partition, sample.Account),
		"secretsmanager:GetSecretValue": fmt.Sprintf("arn:%s:secretsmanager:*:%s:secret:*", sample.Partition, sample.Account),
		"kms:Decrypt":                   fmt.Sprintf("arn:%s:kms:*:%s:key/*", sample.Partition, sample.Account),
	}
	for _, role := range e.Resources("AWS::IAM::Role") {
		policy, err := templatecheck.RolePolicy(e, role)
		if err != nil {
			t.Fatal(err)
		}
		var granted []string
		for _, s := range policy {
			if !s.Allow || !slices.ContainsFunc(s.Actions, func(a string) bool { return slices.Contains(want, a) }) {
				continue
			}
			if role != "InstanceRole" {
				// Other roles decrypt with the stack's own key (access keys'
				// secrets, kmskeys); they read no parameter or secret.
				if slices.ContainsFunc(s.Actions, func(a string) bool { return a != "kms:Decrypt" && slices.Contains(want, a) }) {
					t.Errorf("role %s may %v: only the instance role reads jobs' secrets", role, s.Actions)
				}
				continue
			}
			granted = append(granted, s.Actions...)
			for _, a := range s.Actions {
				if !slices.Contains(s.Resources, resources[a]) {
					t.Errorf("statement %q: %s on %v, want %s", s.Sid, a, s.Resources, resources[a])
				}
			}
			if len(s.Resources) != len(s.Actions) && !slices.Contains(s.Actions, "kms:Decrypt") {
				t.Errorf("statement %q: resources %v, want one per action", s.Sid, s.Resources)
			}
			if !conditionedOn(s, "aws:ResourceTag/"+ec2fleet.TagStack, sample.Name) {
				t.Errorf("statement %q grants %v without the condition aws:ResourceTag/%s = %s", s.Sid, s.Actions, ec2fleet.TagStack, sample.Name)
			}
			if slices.Contains(s.Actions, "kms:Decrypt") {
				like, _ := s.Condition["StringLike"].(map[string]any)
				via, _ := like["kms:ViaService"].([]any)
				if !slices.Equal(via, []any{"ssm.*.amazonaws.com", "secretsmanager.*.amazonaws.com"}) || len(s.Actions) != 1 {
					t.Errorf("statement %q grants kms:Decrypt with kms:ViaService %v, want it alone and only through SSM and Secrets Manager", s.Sid, like["kms:ViaService"])
				}
			}
		}
		if role == "InstanceRole" {
			slices.Sort(granted)
			if !slices.Equal(slices.Compact(granted), want) {
				t.Errorf("the instance role may %v, want %v (secretstores.Actions)", granted, want)
			}
		}
	}
}
