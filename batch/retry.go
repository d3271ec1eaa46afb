package batch

import (
	"strconv"
	"strings"
)

// AttemptOutcome is how a failed attempt ended, as ShouldRetry judges it.
type AttemptOutcome struct {
	// ExitCode is the container's exit code; nil when there is none, as
	// when the host was lost or the container never started.
	ExitCode *int
	// Reason is the container's reason (container.reason), such as
	// "OutOfMemoryError: Container killed due to memory usage".
	Reason string
	// StatusReason is the attempt's statusReason, such as
	// "Host EC2 (instance i-0abc) terminated.".
	StatusReason string
	// Cancelled, Terminated and TimedOut say the attempt was stopped by
	// CancelJob, by TerminateJob, or by its attempt timeout.
	Cancelled, Terminated, TimedOut bool
}

// defaultAttempts is a job's attempts without a retry strategy: one, so no
// retries.
const defaultAttempts = 1

// RetryAttempts is how many attempts a retry strategy allows: its attempts,
// or 1 when it sets none.
func RetryAttempts(s *RetryStrategy) int {
	if s == nil || s.Attempts == nil {
		return defaultAttempts
	}
	return *s.Attempts
}

// ShouldRetry decides whether a job whose attempt failed goes back to
// RUNNABLE for another attempt (reference §3.3). attemptsMade counts the
// attempts so far, including the failed one. An attempt that exits 0
// succeeds, so callers ask only about failed attempts.
//
// A cancelled, terminated or timed-out attempt is never retried. Otherwise
// the strategy's evaluateOnExit rules are tried in order; a rule matches
// when every condition it sets matches, and the first match decides:
// RETRY (in any case) retries if attempts remain, EXIT fails the job. When
// no rule matches, the job is retried if attempts remain.
func ShouldRetry(strategy *RetryStrategy, attemptsMade int, o AttemptOutcome) bool {
	if o.Cancelled || o.Terminated || o.TimedOut {
		return false
	}
	remain := attemptsMade < RetryAttempts(strategy)
	if strategy == nil {
		return remain
	}
	for _, rule := range strategy.EvaluateOnExit {
		if ruleMatches(rule, o) {
			return remain && strings.EqualFold(rule.Action, ActionRetry)
		}
	}
	return remain
}

// ruleMatches reports whether every condition rule sets matches o. A rule
// that sets none matches every outcome; onExitCode never matches an
// outcome without an exit code.
func ruleMatches(rule EvaluateOnExit, o AttemptOutcome) bool {
	if rule.OnExitCode != "" {
		if o.ExitCode == nil || !matchPattern(rule.OnExitCode, strconv.Itoa(*o.ExitCode)) {
			return false
		}
	}
	if rule.OnReason != "" && !matchPattern(rule.OnReason, o.Reason) {
		return false
	}
	if rule.OnStatusReason != "" && !matchPattern(rule.OnStatusReason, o.StatusReason) {
		return false
	}
	return true
}

// matchPattern matches an evaluateOnExit pattern: exactly, or, when it ends
// in "*", as a prefix ("*" alone matches anything, even ""). Matching is
// case-sensitive.
func matchPattern(pattern, value string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(value, prefix)
	}
	return pattern == value
}
