package templatecheck_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/infra/cwlogs"
	"github.com/tanda-batch/tanda/internal/templatecheck"
)

// jobLogGroupPrefix is the default of the JobLogGroupPrefix parameter: the
// log groups job definitions may name.
func jobLogGroupPrefix(t *testing.T, e *templatecheck.Evaluator) string {
	t.Helper()
	p, ok := e.Template().Parameters["JobLogGroupPrefix"]
	if !ok {
		t.Fatal("template.yaml has no JobLogGroupPrefix parameter")
	}
	s, _ := p.Default.(string)
	return s
}

// TestJobLogGroups checks the grant on the log groups that job
// definitions name (awslogs-group, awslogs-region): the instance role may
// do there what the agent's Router does (create the group, its streams,
// write), and the API role what its Router does (read), in any region of
// the account, only for groups under JobLogGroupPrefix; no other role
// reaches them, no role reaches groups outside the prefix or of another
// account, and with the prefix empty nothing is granted beyond the stack's
// own group.
func TestJobLogGroups(t *testing.T) {
	for _, a := range append(cwlogs.JobGroupWriteActions(), cwlogs.JobGroupReadActions()...) {
		if !slices.Contains(cwlogs.Actions(), a) {
			t.Errorf("cwlogs lists %s for jobs' groups, which its Actions() lacks", a)
		}
	}
	e := evaluate(t, nil)
	prefix := jobLogGroupPrefix(t, e)
	if prefix != "/aws/batch/" {
		t.Errorf("JobLogGroupPrefix defaults to %q, want /aws/batch/ (AWS Batch's own group and its neighbours), as docs/AWS.md says", prefix)
	}
	group := func(region, account, name string) []string {
		g := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s", sample.Partition, region, account, name)
		return []string{g, g + ":log-stream:etl/default/0123-1"}
	}
	inside := [][]string{group(sample.Region, sample.Account, prefix+"app"), group("eu-west-1", sample.Account, prefix+"job")}
	outside := [][]string{group(sample.Region, sample.Account, "/other/app"), group(sample.Region, "210987654321", prefix+"app")}
	want := map[string][]string{
		"InstanceRole": cwlogs.JobGroupWriteActions(),
		"ApiRole":      cwlogs.JobGroupReadActions(),
	}
	logActions := slices.Concat(cwlogs.Actions(), []string{"logs:*"})
	for _, role := range e.Resources("AWS::IAM::Role") {
		policy, err := templatecheck.RolePolicy(e, role)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range logActions {
			for _, g := range inside {
				for _, r := range g {
					if got, w := policy.Allows(a, r), slices.Contains(want[role], a); got != w {
						t.Errorf("role %s may %s on %s: %v, want %v", role, a, r, got, w)
					}
				}
			}
			for _, g := range outside {
				for _, r := range g {
					if policy.Allows(a, r) {
						t.Errorf("role %s may %s on %s, outside JobLogGroupPrefix or the account", role, a, r)
					}
				}
			}
		}
	}

	// The stack's own group is the stack's to create.
	v := view(t)
	instance, err := templatecheck.RolePolicy(e, "InstanceRole")
	if err != nil {
		t.Fatal(err)
	}
	if instance.Allows("logs:CreateLogGroup", v.logGroup) {
		t.Errorf("the instance role may create the stack's job log group %s, which the stack creates", v.logGroup)
	}

	// No prefix: jobs log to the stack's group only.
	e = evaluate(t, map[string]string{"JobLogGroupPrefix": ""})
	for role := range want {
		policy, err := templatecheck.RolePolicy(e, role)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range logActions {
			for _, r := range inside[0] {
				if policy.Allows(a, r) {
					t.Errorf("with JobLogGroupPrefix empty, role %s may still %s on %s", role, a, r)
				}
			}
		}
	}
}
