package batch

import (
	"strings"
	"testing"
)

// policyCases are the fair-share rules Create and UpdateSchedulingPolicy
// share, as changes to a valid policy.
var policyCases = []struct {
	name   string
	modify func(*FairsharePolicy)
	want   string
}{
	{"valid", func(*FairsharePolicy) {}, ""},
	{"decay 0", func(p *FairsharePolicy) { p.ShareDecaySeconds = new(0) }, ""},
	{"decay a week", func(p *FairsharePolicy) { p.ShareDecaySeconds = new(604800) }, ""},
	{"decay over a week", func(p *FairsharePolicy) { p.ShareDecaySeconds = new(604801) },
		"fairsharePolicy.shareDecaySeconds must be between 0 and 604800 (got 604801)"},
	{"negative decay", func(p *FairsharePolicy) { p.ShareDecaySeconds = new(-1) }, "fairsharePolicy.shareDecaySeconds must be between 0 and 604800 (got -1)"},
	{"reservation 99", func(p *FairsharePolicy) { p.ComputeReservation = new(99) }, ""},
	{"reservation 100", func(p *FairsharePolicy) { p.ComputeReservation = new(100) }, "fairsharePolicy.computeReservation must be between 0 and 99 (got 100)"},
	{"share id missing", func(p *FairsharePolicy) { p.ShareDistribution[1].ShareIdentifier = "" },
		"fairsharePolicy.shareDistribution[1].shareIdentifier is required"},
	{"share id of 255 and a star", func(p *FairsharePolicy) { p.ShareDistribution[1].ShareIdentifier = strings.Repeat("b", 255) + "*" }, ""},
	{"share id of 256", func(p *FairsharePolicy) { p.ShareDistribution[1].ShareIdentifier = strings.Repeat("b", 256) },
		"fairsharePolicy.shareDistribution[1].shareIdentifier must be 1-255 letters and numbers, optionally ending in *"},
	{"share id with hyphen", func(p *FairsharePolicy) { p.ShareDistribution[0].ShareIdentifier = "team-a" },
		`fairsharePolicy.shareDistribution[0].shareIdentifier must be 1-255 letters and numbers, optionally ending in * (got "team-a")`},
	{"share id star alone", func(p *FairsharePolicy) { p.ShareDistribution = []ShareAttributes{{ShareIdentifier: "*"}} },
		"shareIdentifier must be 1-255 letters and numbers, optionally ending in *"},
	{"share id inner star", func(p *FairsharePolicy) { p.ShareDistribution[0].ShareIdentifier = "a*b" }, "must be 1-255 letters and numbers"},
	{"weight lowest", func(p *FairsharePolicy) { p.ShareDistribution[0].WeightFactor = new(0.0001) }, ""},
	{"weight highest", func(p *FairsharePolicy) { p.ShareDistribution[0].WeightFactor = new(999.9999) }, ""},
	{"weight 0", func(p *FairsharePolicy) { p.ShareDistribution[0].WeightFactor = new(0.0) },
		"fairsharePolicy.shareDistribution[0].weightFactor must be between 0.0001 and 999.9999 (got 0)"},
	{"weight 1000", func(p *FairsharePolicy) { p.ShareDistribution[0].WeightFactor = new(1000.0) }, "weightFactor must be between 0.0001 and 999.9999 (got 1000)"},
	{"duplicate id", func(p *FairsharePolicy) { p.ShareDistribution[1].ShareIdentifier = "teamA" },
		`fairsharePolicy.shareDistribution[1].shareIdentifier "teamA" overlaps "teamA" (fairsharePolicy.shareDistribution[0])`},
	{"id covered by a prefix", func(p *FairsharePolicy) {
		p.ShareDistribution = []ShareAttributes{{ShareIdentifier: "UserA*"}, {ShareIdentifier: "UserB"}, {ShareIdentifier: "UserA1"}}
	}, `fairsharePolicy.shareDistribution[2].shareIdentifier "UserA1" overlaps "UserA*" (fairsharePolicy.shareDistribution[0]); entries must not cover the same identifiers`},
	{"prefix covering an earlier id", func(p *FairsharePolicy) {
		p.ShareDistribution = []ShareAttributes{{ShareIdentifier: "UserA1"}, {ShareIdentifier: "User*"}}
	}, `"User*" overlaps "UserA1"`},
	{"nested prefixes", func(p *FairsharePolicy) {
		p.ShareDistribution = []ShareAttributes{{ShareIdentifier: "UserA1*"}, {ShareIdentifier: "UserA*"}}
	}, `"UserA*" overlaps "UserA1*"`},
	{"prefix and its own stem", func(p *FairsharePolicy) {
		p.ShareDistribution = []ShareAttributes{{ShareIdentifier: "UserA"}, {ShareIdentifier: "UserA*"}}
	}, `"UserA*" overlaps "UserA"`},
	{"disjoint prefixes", func(p *FairsharePolicy) {
		p.ShareDistribution = []ShareAttributes{{ShareIdentifier: "UserA*"}, {ShareIdentifier: "UserB*"}, {ShareIdentifier: "User"}}
	}, ""},
}

func validFairshare() *FairsharePolicy {
	return &FairsharePolicy{
		ShareDecaySeconds:  new(3600),
		ComputeReservation: new(50),
		ShareDistribution:  []ShareAttributes{{ShareIdentifier: "teamA", WeightFactor: new(0.5)}, {ShareIdentifier: "teamB*"}},
	}
}

func TestValidateCreateSchedulingPolicy(t *testing.T) {
	for _, tt := range policyCases {
		t.Run(tt.name, func(t *testing.T) {
			in := &CreateSchedulingPolicyInput{Name: "fair", FairsharePolicy: validFairshare()}
			tt.modify(in.FairsharePolicy)
			wantClientError(t, ValidateCreateSchedulingPolicy(in), tt.want)
		})
	}
	more := []struct {
		name string
		in   CreateSchedulingPolicyInput
		want string
	}{
		{"no fair-share settings", CreateSchedulingPolicyInput{Name: "p"}, ""},
		{"name missing", CreateSchedulingPolicyInput{}, "name is required"},
		{"name of 129", CreateSchedulingPolicyInput{Name: strings.Repeat("p", 129)}, "name must be 1-128 characters of letters, numbers, hyphens and underscores"},
		{"quota share", CreateSchedulingPolicyInput{Name: "p", QuotaSharePolicy: map[string]any{"idleResourceAssignmentStrategy": "FIFO"}},
			"quotaSharePolicy: quota-share scheduling policies are not supported by Tanda"},
		{"tags", CreateSchedulingPolicyInput{Name: "p", Tags: map[string]string{"aws:x": ""}}, `tags keys must not start with "aws:"`},
	}
	for _, tt := range more {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, ValidateCreateSchedulingPolicy(&tt.in), tt.want)
		})
	}
}

func TestValidateUpdateSchedulingPolicy(t *testing.T) {
	const arn = "arn:aws:batch:us-east-1:123456789012:scheduling-policy/fair"
	for _, tt := range policyCases {
		t.Run(tt.name, func(t *testing.T) {
			in := &UpdateSchedulingPolicyInput{Arn: arn, FairsharePolicy: validFairshare()}
			tt.modify(in.FairsharePolicy)
			wantClientError(t, ValidateUpdateSchedulingPolicy(in), tt.want)
		})
	}
	more := []struct {
		name string
		in   UpdateSchedulingPolicyInput
		want string
	}{
		{"ARN missing", UpdateSchedulingPolicyInput{}, "arn is required"},
		{"a name", UpdateSchedulingPolicyInput{Arn: "fair"}, `arn must be an ARN of the form arn:aws:batch:<region>:<account>:scheduling-policy/<name> (got "fair")`},
		{"quota share", UpdateSchedulingPolicyInput{Arn: arn, QuotaSharePolicy: map[string]any{"x": 1}}, "quotaSharePolicy: quota-share scheduling policies are not supported by Tanda"},
	}
	for _, tt := range more {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, ValidateUpdateSchedulingPolicy(&tt.in), tt.want)
		})
	}
}
