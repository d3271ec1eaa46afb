package batch

import "testing"

func TestRetryAttempts(t *testing.T) {
	tests := []struct {
		s    *RetryStrategy
		want int
	}{
		{nil, 1},
		{&RetryStrategy{}, 1},
		{&RetryStrategy{Attempts: new(4)}, 4},
	}
	for _, tt := range tests {
		if got := RetryAttempts(tt.s); got != tt.want {
			t.Errorf("RetryAttempts(%+v) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestShouldRetry(t *testing.T) {
	// AWS's User Guide example (job_retries): retry on an agent problem
	// or a task that failed to start, exit on anything else.
	guide := &RetryStrategy{Attempts: new(3), EvaluateOnExit: []EvaluateOnExit{
		{Action: "RETRY", OnReason: "AGENT"},
		{Action: "RETRY", OnStatusReason: "Task failed to start"},
		{Action: "EXIT", OnReason: "*"},
	}}
	// AWS's best-practice example: retry Spot reclaims and host loss only.
	spot := &RetryStrategy{Attempts: new(5), EvaluateOnExit: []EvaluateOnExit{
		{OnStatusReason: "Host EC2*", Action: "RETRY"},
		{OnReason: "*", Action: "EXIT"},
	}}
	// Exit codes, with an AND rule and a catch-all on exit codes.
	codes := &RetryStrategy{Attempts: new(3), EvaluateOnExit: []EvaluateOnExit{
		{OnExitCode: "140", OnStatusReason: "Essential container in task exited", Action: "retry"},
		{OnExitCode: "13*", Action: "Retry"},
		{OnExitCode: "*", Action: "exit"},
	}}
	noRules := &RetryStrategy{Attempts: new(3)}
	hostLost := "Host EC2 (instance i-0abc) terminated."
	exited := "Essential container in task exited"
	code := func(c int) *int { return &c }

	tests := []struct {
		name     string
		strategy *RetryStrategy
		made     int
		o        AttemptOutcome
		want     bool
	}{
		{"no strategy: one attempt", nil, 1, AttemptOutcome{ExitCode: code(1)}, false},
		{"no rules, attempts remain", noRules, 1, AttemptOutcome{ExitCode: code(1)}, true},
		{"no rules, second of three", noRules, 2, AttemptOutcome{ExitCode: code(1)}, true},
		{"no rules, last attempt", noRules, 3, AttemptOutcome{ExitCode: code(1)}, false},
		{"no rules, more attempts than allowed", noRules, 4, AttemptOutcome{ExitCode: code(1)}, false},
		{"no exit code, no rules", noRules, 1, AttemptOutcome{StatusReason: hostLost}, true},

		{"cancelled", noRules, 1, AttemptOutcome{Cancelled: true}, false},
		{"terminated", noRules, 1, AttemptOutcome{ExitCode: code(143), Terminated: true}, false},
		{"timed out", noRules, 1, AttemptOutcome{ExitCode: code(137), StatusReason: "Job attempt duration exceeded timeout", TimedOut: true}, false},
		{"timed out even when a rule says RETRY", spot, 1, AttemptOutcome{StatusReason: hostLost, TimedOut: true}, false},

		{"guide: agent reason retries", guide, 1, AttemptOutcome{Reason: "AGENT"}, true},
		{"guide: agent reason on the last attempt fails", guide, 3, AttemptOutcome{Reason: "AGENT"}, false},
		{"guide: task failed to start retries", guide, 2, AttemptOutcome{Reason: "CannotPullContainerError: pull access denied", StatusReason: "Task failed to start"}, true},
		{"guide: reason is exact, not a prefix", guide, 1, AttemptOutcome{Reason: "AGENT disconnected", ExitCode: code(1)}, false},
		{"guide: anything else exits", guide, 1, AttemptOutcome{ExitCode: code(1), Reason: "OutOfMemoryError: Container killed due to memory usage", StatusReason: exited}, false},
		{"guide: * matches an empty reason", guide, 1, AttemptOutcome{ExitCode: code(2), StatusReason: exited}, false},

		{"spot: reclaimed host retries", spot, 1, AttemptOutcome{StatusReason: hostLost}, true},
		{"spot: reclaimed host on the fifth attempt fails", spot, 5, AttemptOutcome{StatusReason: hostLost}, false},
		{"spot: application error exits", spot, 1, AttemptOutcome{ExitCode: code(1), StatusReason: exited}, false},
		{"spot: patterns are case-sensitive", spot, 1, AttemptOutcome{StatusReason: "host ec2 (instance i-1) terminated."}, false},

		{"codes: AND rule matches", codes, 1, AttemptOutcome{ExitCode: code(140), StatusReason: exited}, true},
		{"codes: AND rule needs both, later rule exits", codes, 1, AttemptOutcome{ExitCode: code(140), StatusReason: "other"}, false},
		{"codes: prefix rule", codes, 1, AttemptOutcome{ExitCode: code(137)}, true},
		{"codes: prefix matches the exact stem", codes, 1, AttemptOutcome{ExitCode: code(13)}, true},
		{"codes: prefix does not match other codes", codes, 1, AttemptOutcome{ExitCode: code(31)}, false},
		{"codes: * on exit code never matches a missing exit code", codes, 1, AttemptOutcome{StatusReason: hostLost}, true},

		{"first match wins over later RETRY", &RetryStrategy{Attempts: new(3), EvaluateOnExit: []EvaluateOnExit{
			{OnExitCode: "1", Action: "EXIT"}, {OnExitCode: "1", Action: "RETRY"},
		}}, 1, AttemptOutcome{ExitCode: code(1)}, false},
		{"first match wins over later EXIT", &RetryStrategy{Attempts: new(3), EvaluateOnExit: []EvaluateOnExit{
			{OnExitCode: "1", Action: "RETRY"}, {OnExitCode: "1", Action: "EXIT"},
		}}, 1, AttemptOutcome{ExitCode: code(1)}, true},
		{"exact exit code does not match a longer one", &RetryStrategy{Attempts: new(3), EvaluateOnExit: []EvaluateOnExit{
			{OnExitCode: "1", Action: "EXIT"},
		}}, 1, AttemptOutcome{ExitCode: code(10)}, true},
		{"rule without conditions matches everything", &RetryStrategy{Attempts: new(3), EvaluateOnExit: []EvaluateOnExit{
			{Action: "EXIT"},
		}}, 1, AttemptOutcome{ExitCode: code(1)}, false},
		{"no rule matches: retried", &RetryStrategy{Attempts: new(2), EvaluateOnExit: []EvaluateOnExit{
			{OnExitCode: "3", Action: "EXIT"},
		}}, 1, AttemptOutcome{ExitCode: code(4)}, true},
		{"no rule matches, no attempts left", &RetryStrategy{Attempts: new(2), EvaluateOnExit: []EvaluateOnExit{
			{OnExitCode: "3", Action: "EXIT"},
		}}, 2, AttemptOutcome{ExitCode: code(4)}, false},
		{"reason prefix with colon", &RetryStrategy{Attempts: new(2), EvaluateOnExit: []EvaluateOnExit{
			{OnReason: "CannotPullContainerError:*", Action: "RETRY"}, {OnReason: "*", Action: "EXIT"},
		}}, 1, AttemptOutcome{Reason: "CannotPullContainerError: toomanyrequests"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ShouldRetry(tt.strategy, tt.made, tt.o); got != tt.want {
				t.Errorf("ShouldRetry(attempts made %d, %+v) = %v, want %v", tt.made, tt.o, got, tt.want)
			}
		})
	}
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"abc", "ab", false},
		{"abc*", "abcd", true},
		{"abc*", "abc", true},
		{"abc*", "ab", false},
		{"*", "", true},
		{"*", "anything", true},
		{"a*c", "a*c", true},
		{"a*c", "abc", false},
	}
	for _, tt := range tests {
		if got := matchPattern(tt.pattern, tt.value); got != tt.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
}
