package templatecheck_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/internal/templatecheck"
)

// TestPermissions checks each principal's role against its code: every
// action the code can call is granted, on the stack resources the code
// reaches; nothing else is granted; and what the principal must not do
// (notUsed, queues outside its part) is out of its reach.
func TestPermissions(t *testing.T) {
	v := view(t)
	for _, p := range principals {
		t.Run(p.name, func(t *testing.T) {
			if !p.exists() {
				t.Skipf("%s/main.go is not written yet", p.dir)
			}
			policy, err := templatecheck.RolePolicy(v.e, p.role)
			if err != nil {
				t.Fatal(err)
			}
			need := requiredActions(t, p)
			platform := platformNeeds(t, v, p)
			for _, a := range sortedKeys(need) {
				if !policy.AllowsAction(a) {
					t.Errorf("%s calls %s (%s), which role %s does not grant", p.name, a, need[a], p.role)
				}
			}
			for _, a := range grantedActions(policy) {
				if _, ok := need[a]; !ok && platform[a] == nil {
					t.Errorf("role %s grants %s, which %s's code never calls", p.role, a, p.name)
				}
			}
			for _, a := range sortedKeys(platform) {
				for _, r := range platform[a] {
					if !policy.Allows(a, r) {
						t.Errorf("role %s cannot %s on %s, which Lambda needs to run %s", p.role, a, r, p.function)
					}
				}
			}
			checkReach(t, v, p, policy, need)
			checkOutOfReach(t, v, p, policy, platform)
		})
	}
}

// checkReach checks that each action the code needs is granted on the
// stack's resources it acts on.
func checkReach(t *testing.T, v stackView, p principal, policy templatecheck.Policy, need map[string]string) {
	t.Helper()
	for _, a := range sortedKeys(need) {
		var want []string
		switch service(a) {
		case "dynamodb":
			want = v.tables
			if a == "dynamodb:Query" {
				want = append(slices.Clone(want), v.indexes...)
			}
		case "sqs":
			kinds, ok := p.queues[a]
			if !ok {
				t.Errorf("%s calls %s: say in its principal which queues that must reach", p.name, a)
			}
			for _, k := range kinds {
				want = append(want, v.queues[k])
			}
		case "logs":
			want = []string{v.logGroup, v.logStream}
			if a == "logs:CreateLogGroup" {
				// The stack creates its own group; jobs' groups are
				// TestJobLogGroups'.
				want = []string{v.jobLogGroup}
			}
		case "events":
			want = []string{v.bus}
		case "kms":
			want = []string{v.kmsKey}
		case "s3":
			want = v.artifacts
		case "iam":
			want = []string{v.instanceRole}
		}
		for _, r := range want {
			if !policy.Allows(a, r) {
				t.Errorf("%s calls %s on %s, which role %s does not allow", p.name, a, r, p.role)
			}
		}
	}
}

// checkOutOfReach checks that what p never does is not granted on the
// stack's resources, and that p reaches no queue outside its part.
func checkOutOfReach(t *testing.T, v stackView, p principal, policy templatecheck.Policy, platform map[string][]string) {
	t.Helper()
	resources := map[string][]string{
		"dynamodb": append(slices.Clone(v.tables), v.indexes...),
		"logs":     {v.logGroup, v.logStream},
		"kms":      {v.kmsKey},
	}
	for _, q := range v.queues {
		resources["sqs"] = append(resources["sqs"], q)
	}
	for _, a := range sortedKeys(p.notUsed) {
		for _, r := range resources[service(a)] {
			if !slices.Contains(platform[a], r) && policy.Allows(a, r) {
				t.Errorf("role %s allows %s on %s, which %s never does (%s)", p.role, a, r, p.name, p.notUsed[a])
			}
		}
	}
	for _, a := range grantedActions(policy) {
		if service(a) != "sqs" {
			continue
		}
		reach := slices.Clone(platform[a])
		for _, k := range p.queues[a] {
			reach = append(reach, v.queues[k])
		}
		for _, k := range sortedKeys(v.queues) {
			if q := v.queues[k]; !slices.Contains(reach, q) && policy.Allows(a, q) {
				t.Errorf("role %s allows %s on the %s queue, outside %s's part", p.role, a, k, p.name)
			}
		}
	}
}

// platformNeeds are what Lambda itself does with a function's role: write
// the function's logs, and poll the queues of its event source mappings.
func platformNeeds(t *testing.T, v stackView, p principal) map[string][]string {
	t.Helper()
	needs := map[string][]string{}
	if p.function == "" {
		return needs
	}
	name := mustString(t, v.e, map[string]any{"Ref": p.function})
	stream := "arn:" + sample.Partition + ":logs:" + sample.Region + ":" + sample.Account + ":log-group:/aws/lambda/" + name + ":log-stream:2026/01/01/[$LATEST]0123"
	needs["logs:CreateLogStream"] = []string{stream}
	needs["logs:PutLogEvents"] = []string{stream}
	for _, m := range v.e.Resources("AWS::Lambda::EventSourceMapping") {
		fn, err := v.e.Property(m, "FunctionName")
		if err != nil {
			t.Fatal(err)
		}
		if fn != name {
			continue
		}
		q, err := v.e.Property(m, "EventSourceArn")
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"} {
			needs[a] = append(needs[a], q.(string))
		}
	}
	return needs
}

// grantedActions lists the actions the policy's Allow statements name.
func grantedActions(p templatecheck.Policy) []string {
	var acts []string
	for _, s := range p {
		if s.Allow {
			acts = append(acts, s.Actions...)
		}
	}
	slices.Sort(acts)
	return slices.Compact(acts)
}

func service(action string) string {
	s, _, _ := strings.Cut(action, ":")
	return s
}
