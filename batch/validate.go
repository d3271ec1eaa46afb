package batch

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Validation of API requests (reference §2). Every Validate function is pure:
// it looks only at its input and returns nil or a *ClientError whose message
// names the offending member by its path in the request
// ("containerOverrides.environment[2].name") and says what to change. The
// first problem found is reported. Rules that need stored state (the queue
// exists and is ENABLED, the current desiredvCpus, …) are Check functions
// that take that state as arguments.

var (
	// jobNamePattern is a job's name: 1–128 characters, alphanumeric first.
	jobNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)
	// resourceNamePattern names job definitions, compute environments, job
	// queues and scheduling policies.
	resourceNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
)

const (
	jobNameRule      = "must be 1-128 characters of letters, numbers, hyphens and underscores, starting with a letter or number"
	resourceNameRule = "must be 1-128 characters of letters, numbers, hyphens and underscores"

	// maxReasonLength bounds CancelJob's and TerminateJob's reason.
	maxReasonLength = 1024
	// maxTags bounds a tag map; maxTagKey and maxTagValue its entries.
	maxTags     = 50
	maxTagKey   = 128
	maxTagValue = 256
)

// invalidf reports that the member at path is wrong: "<path> <problem>".
func invalidf(path, format string, args ...any) error {
	return Clientf("%s %s", path, fmt.Sprintf(format, args...))
}

// unsupportedf reports a member naming a feature Tanda does not implement.
func unsupportedf(path, feature string) error {
	return Clientf("%s: %s are not supported by Tanda", path, feature)
}

// quoteValue quotes a value for an error message, shortening long ones so that a
// message never echoes a whole request back.
func quoteValue(s string) string {
	const limit = 64
	if utf8.RuneCountInString(s) <= limit {
		return fmt.Sprintf("%q", s)
	}
	r := []rune(s)
	return fmt.Sprintf("%q…", string(r[:limit]))
}

// memberPath joins a parent path and a member name ("containerOverrides" +
// "command" → "containerOverrides.command"); an empty parent yields the name.
func memberPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// elemPath is the path of a list element: "dependsOn[3]".
func elemPath(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}

// firstError is the first non-nil error of errs: the checks of a request
// run in the order its members are reported.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// validateName checks a required name against pattern.
func validateName(path, name string, pattern *regexp.Regexp, rule string) error {
	if name == "" {
		return invalidf(path, "is required")
	}
	if !pattern.MatchString(name) {
		return invalidf(path, "%s (got %s)", rule, quoteValue(name))
	}
	return nil
}

// validateState checks an optional ENABLED/DISABLED state.
func validateState(path, state string) error {
	switch state {
	case "", StateEnabled, StateDisabled:
		return nil
	}
	return invalidf(path, "must be ENABLED or DISABLED (got %s)", quoteValue(state))
}

// validateIntRange checks an optional integer against [lo, hi].
func validateIntRange(path string, v *int, lo, hi int) error {
	if v != nil && (*v < lo || *v > hi) {
		return invalidf(path, "must be between %d and %d (got %d)", lo, hi, *v)
	}
	return nil
}

// validateMaxResults checks an optional page size against [1, hi].
func validateMaxResults(v *int, hi int) error {
	return validateIntRange("maxResults", v, 1, hi)
}

// ValidateTags checks a tag map at path ("tags",
// "computeResources.tags"): at most 50 tags, keys of 1–128 characters not
// starting with the reserved "aws:" prefix (in any case), values of at most
// 256 characters. Lengths count characters, not bytes.
func ValidateTags(tags map[string]string, path string) error {
	if len(tags) > maxTags {
		return invalidf(path, "must have at most %d tags (got %d)", maxTags, len(tags))
	}
	for k, v := range tags {
		if n := utf8.RuneCountInString(k); n < 1 || n > maxTagKey {
			return invalidf(path, "keys must be 1-%d characters (got %s)", maxTagKey, quoteValue(k))
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return invalidf(path, "keys must not start with \"aws:\", which is reserved for AWS (got %s)", quoteValue(k))
		}
		if utf8.RuneCountInString(v) > maxTagValue {
			return invalidf(memberPath(path, k), "must be at most %d characters (got %d)", maxTagValue, utf8.RuneCountInString(v))
		}
	}
	return nil
}

// ValidateTagResource checks TagResource's body: 1–50 valid tags.
func ValidateTagResource(in *TagResourceInput) error {
	if len(in.Tags) == 0 {
		return invalidf("tags", "must have at least one tag")
	}
	return ValidateTags(in.Tags, "tags")
}

// ValidateUntagResource checks UntagResource's tagKeys: 1–50 keys of 1–128
// characters.
func ValidateUntagResource(keys []string) error {
	if len(keys) == 0 || len(keys) > maxTags {
		return invalidf("tagKeys", "must list 1-%d keys (got %d)", maxTags, len(keys))
	}
	for i, k := range keys {
		if n := utf8.RuneCountInString(k); n < 1 || n > maxTagKey {
			return invalidf(elemPath("tagKeys", i), "must be 1-%d characters (got %s)", maxTagKey, quoteValue(k))
		}
	}
	return nil
}

// validateReason checks CancelJob's and TerminateJob's required reason.
func validateReason(reason string) error {
	if reason == "" {
		return invalidf("reason", "is required")
	}
	if n := utf8.RuneCountInString(reason); n > maxReasonLength {
		return invalidf("reason", "must be at most %d characters (got %d)", maxReasonLength, n)
	}
	return nil
}
