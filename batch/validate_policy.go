package batch

import (
	"regexp"
	"strings"
)

const (
	maxShareDecaySeconds  = 604800
	maxComputeReservation = 99
	minWeightFactor       = 0.0001
	maxWeightFactor       = 999.9999
)

// policyShareIDPattern is a shareDistribution entry: up to 255 letters and
// numbers, optionally ending in "*" to cover every id with that prefix.
var policyShareIDPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,255}\*?$`)

// ValidateCreateSchedulingPolicy checks CreateSchedulingPolicy (reference
// §2.6, §5.3): the name, the fair-share policy and tags. Quota-share
// policies are refused.
func ValidateCreateSchedulingPolicy(in *CreateSchedulingPolicyInput) error {
	if err := validateName("name", in.Name, resourceNamePattern, resourceNameRule); err != nil {
		return err
	}
	if len(in.QuotaSharePolicy) > 0 {
		return unsupportedf("quotaSharePolicy", "quota-share scheduling policies")
	}
	if err := validateFairsharePolicy("fairsharePolicy", in.FairsharePolicy); err != nil {
		return err
	}
	return ValidateTags(in.Tags, "tags")
}

// ValidateUpdateSchedulingPolicy checks UpdateSchedulingPolicy: the
// policy's ARN and the new fair-share policy.
func ValidateUpdateSchedulingPolicy(in *UpdateSchedulingPolicyInput) error {
	if err := validateARN("arn", in.Arn, ResourceTypeSchedulingPolicy); err != nil {
		return err
	}
	if len(in.QuotaSharePolicy) > 0 {
		return unsupportedf("quotaSharePolicy", "quota-share scheduling policies")
	}
	return validateFairsharePolicy("fairsharePolicy", in.FairsharePolicy)
}

// validateFairsharePolicy checks shareDecaySeconds 0–604,800,
// computeReservation 0–99, and the share distribution: well-formed
// identifiers that do not overlap, weightFactor 0.0001–999.9999.
func validateFairsharePolicy(path string, fp *FairsharePolicy) error {
	if fp == nil {
		return nil
	}
	if err := validateIntRange(memberPath(path, "shareDecaySeconds"), fp.ShareDecaySeconds, 0, maxShareDecaySeconds); err != nil {
		return err
	}
	if err := validateIntRange(memberPath(path, "computeReservation"), fp.ComputeReservation, 0, maxComputeReservation); err != nil {
		return err
	}
	distPath := memberPath(path, "shareDistribution")
	for i, s := range fp.ShareDistribution {
		p := elemPath(distPath, i)
		if s.ShareIdentifier == "" {
			return invalidf(memberPath(p, "shareIdentifier"), "is required")
		}
		if !policyShareIDPattern.MatchString(s.ShareIdentifier) {
			return invalidf(memberPath(p, "shareIdentifier"), "must be 1-255 letters and numbers, optionally ending in * (got %s)", quoteValue(s.ShareIdentifier))
		}
		if w := s.WeightFactor; w != nil && (*w < minWeightFactor || *w > maxWeightFactor) {
			return invalidf(memberPath(p, "weightFactor"), "must be between %g and %g (got %g)", minWeightFactor, maxWeightFactor, *w)
		}
		for j := range i {
			other := fp.ShareDistribution[j].ShareIdentifier
			if sharesOverlap(other, s.ShareIdentifier) {
				return invalidf(memberPath(p, "shareIdentifier"), "%s overlaps %s (%s); entries must not cover the same identifiers", quoteValue(s.ShareIdentifier), quoteValue(other), elemPath(distPath, j))
			}
		}
	}
	return nil
}

// sharesOverlap reports whether two shareDistribution entries cover a
// common identifier: equal ids, a prefix and an id it covers, or two
// prefixes one of which starts with the other.
func sharesOverlap(a, b string) bool {
	pa, aPrefix := strings.CutSuffix(a, "*")
	pb, bPrefix := strings.CutSuffix(b, "*")
	switch {
	case aPrefix && bPrefix:
		return strings.HasPrefix(pa, pb) || strings.HasPrefix(pb, pa)
	case aPrefix:
		return strings.HasPrefix(pb, pa)
	case bPrefix:
		return strings.HasPrefix(pa, pb)
	}
	return pa == pb
}
