package batch

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

const (
	// maxRetryAttempts bounds retryStrategy.attempts.
	maxRetryAttempts = 10
	// maxEvaluateOnExit bounds retryStrategy.evaluateOnExit.
	maxEvaluateOnExit = 5
	// maxPatternLength bounds each evaluateOnExit pattern.
	maxPatternLength = 512
	// minAttemptDurationSeconds is the shortest attempt timeout.
	minAttemptDurationSeconds = 60
)

var (
	// exitCodePattern: digits, optionally ending in "*" (which alone matches
	// any exit code).
	exitCodePattern = regexp.MustCompile(`^[0-9]*\*?$`)
	// reasonPattern: letters, digits, ".", ":" and whitespace (space, tab,
	// newline, carriage return, form feed), optionally ending in "*".
	reasonPattern = regexp.MustCompile(`^[A-Za-z0-9.:\s]*\*?$`)
)

// validateRetryStrategy checks a retry strategy at path (reference §3.3):
// attempts 1–10; at most 5 evaluateOnExit rules, which need attempts; each
// rule's action RETRY or EXIT in any case and its patterns well formed. A
// rule with no condition is allowed and matches every failed attempt.
func validateRetryStrategy(path string, rs *RetryStrategy) error {
	if rs == nil {
		return nil
	}
	if err := validateIntRange(memberPath(path, "attempts"), rs.Attempts, 1, maxRetryAttempts); err != nil {
		return err
	}
	rulesPath := memberPath(path, "evaluateOnExit")
	if len(rs.EvaluateOnExit) > maxEvaluateOnExit {
		return invalidf(rulesPath, "must have at most %d entries (got %d)", maxEvaluateOnExit, len(rs.EvaluateOnExit))
	}
	if len(rs.EvaluateOnExit) > 0 && rs.Attempts == nil {
		return invalidf(memberPath(path, "attempts"), "is required when evaluateOnExit is given")
	}
	for i, rule := range rs.EvaluateOnExit {
		if err := validateEvaluateOnExit(elemPath(rulesPath, i), rule); err != nil {
			return err
		}
	}
	return nil
}

func validateEvaluateOnExit(path string, rule EvaluateOnExit) error {
	switch strings.ToUpper(rule.Action) {
	case ActionRetry, ActionExit:
	case "":
		return invalidf(memberPath(path, "action"), "is required: RETRY or EXIT")
	default:
		return invalidf(memberPath(path, "action"), "must be RETRY or EXIT (got %s)", quoteValue(rule.Action))
	}
	patterns := []struct {
		member, value string
		pattern       *regexp.Regexp
		rule          string
	}{
		{"onExitCode", rule.OnExitCode, exitCodePattern, "must be digits, optionally ending in *"},
		{"onReason", rule.OnReason, reasonPattern, "may contain only letters, numbers, periods, colons and white space, optionally ending in *"},
		{"onStatusReason", rule.OnStatusReason, reasonPattern, "may contain only letters, numbers, periods, colons and white space, optionally ending in *"},
	}
	for _, p := range patterns {
		if n := utf8.RuneCountInString(p.value); n > maxPatternLength {
			return invalidf(memberPath(path, p.member), "must be at most %d characters (got %d)", maxPatternLength, n)
		}
		if !p.pattern.MatchString(p.value) {
			return invalidf(memberPath(path, p.member), "%s (got %s)", p.rule, quoteValue(p.value))
		}
	}
	return nil
}

// validateTimeout checks an attempt timeout at path: at least 60 seconds, no
// maximum. A timeout without attemptDurationSeconds sets none.
func validateTimeout(path string, t *JobTimeout) error {
	if t == nil || t.AttemptDurationSeconds == nil {
		return nil
	}
	if s := *t.AttemptDurationSeconds; s < minAttemptDurationSeconds {
		return invalidf(memberPath(path, "attemptDurationSeconds"), "must be at least %d seconds (got %d)", minAttemptDurationSeconds, s)
	}
	return nil
}
