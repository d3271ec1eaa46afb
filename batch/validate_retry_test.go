package batch

import (
	"strings"
	"testing"
)

func TestValidateRetryStrategy(t *testing.T) {
	rules := func(r ...EvaluateOnExit) *RetryStrategy {
		return &RetryStrategy{Attempts: new(3), EvaluateOnExit: r}
	}
	tests := []struct {
		name string
		rs   *RetryStrategy
		want string
	}{
		{"none", nil, ""},
		{"empty", &RetryStrategy{}, ""},
		{"one attempt", &RetryStrategy{Attempts: new(1)}, ""},
		{"ten attempts", &RetryStrategy{Attempts: new(10)}, ""},
		{"zero attempts", &RetryStrategy{Attempts: new(0)}, "rs.attempts must be between 1 and 10 (got 0)"},
		{"eleven attempts", &RetryStrategy{Attempts: new(11)}, "rs.attempts must be between 1 and 10 (got 11)"},
		{"rules need attempts", &RetryStrategy{EvaluateOnExit: []EvaluateOnExit{{OnExitCode: "1", Action: "EXIT"}}}, "rs.attempts is required when evaluateOnExit is given"},
		{"five rules", rules(
			EvaluateOnExit{OnExitCode: "1", Action: "EXIT"}, EvaluateOnExit{OnExitCode: "2", Action: "EXIT"},
			EvaluateOnExit{OnExitCode: "3", Action: "EXIT"}, EvaluateOnExit{OnExitCode: "4", Action: "EXIT"},
			EvaluateOnExit{OnReason: "*", Action: "RETRY"}), ""},
		{"six rules", rules(
			EvaluateOnExit{OnExitCode: "1", Action: "EXIT"}, EvaluateOnExit{OnExitCode: "2", Action: "EXIT"},
			EvaluateOnExit{OnExitCode: "3", Action: "EXIT"}, EvaluateOnExit{OnExitCode: "4", Action: "EXIT"},
			EvaluateOnExit{OnExitCode: "5", Action: "EXIT"}, EvaluateOnExit{OnReason: "*", Action: "RETRY"}),
			"rs.evaluateOnExit must have at most 5 entries (got 6)"},
		{"lowercase actions", rules(EvaluateOnExit{OnExitCode: "1", Action: "retry"}, EvaluateOnExit{OnReason: "*", Action: "exit"}), ""},
		{"action missing", rules(EvaluateOnExit{OnExitCode: "1"}), "rs.evaluateOnExit[0].action is required: RETRY or EXIT"},
		{"action unknown", rules(EvaluateOnExit{OnExitCode: "1", Action: "STOP"}), `rs.evaluateOnExit[0].action must be RETRY or EXIT (got "STOP")`},
		{"rule without conditions", rules(EvaluateOnExit{Action: "RETRY"}), ""},
		{"exit code prefix", rules(EvaluateOnExit{OnExitCode: "13*", Action: "RETRY"}), ""},
		{"exit code star", rules(EvaluateOnExit{OnExitCode: "*", Action: "RETRY"}), ""},
		{"exit code letters", rules(EvaluateOnExit{OnExitCode: "1a", Action: "RETRY"}), `rs.evaluateOnExit[0].onExitCode must be digits, optionally ending in * (got "1a")`},
		{"exit code negative", rules(EvaluateOnExit{OnExitCode: "-1", Action: "RETRY"}), "onExitCode must be digits"},
		{"exit code inner star", rules(EvaluateOnExit{OnExitCode: "1*3", Action: "RETRY"}), "onExitCode must be digits"},
		{"reason with allowed characters", rules(EvaluateOnExit{OnReason: "CannotPullContainerError: x.y\tz*", Action: "RETRY"}), ""},
		{"reason with a hyphen", rules(EvaluateOnExit{OnReason: "Task-failed", Action: "RETRY"}), `rs.evaluateOnExit[0].onReason may contain only letters, numbers, periods, colons and white space, optionally ending in * (got "Task-failed")`},
		{"status reason AWS example", rules(EvaluateOnExit{OnStatusReason: "Host EC2*", Action: "RETRY"}), ""},
		{"status reason with parenthesis", rules(EvaluateOnExit{OnStatusReason: "Host (x)", Action: "RETRY"}), "rs.evaluateOnExit[0].onStatusReason may contain only"},
		{"pattern of 512", rules(EvaluateOnExit{OnReason: strings.Repeat("a", 511) + "*", Action: "RETRY"}), ""},
		{"pattern of 513", rules(EvaluateOnExit{OnStatusReason: strings.Repeat("a", 513), Action: "RETRY"}), "rs.evaluateOnExit[0].onStatusReason must be at most 512 characters (got 513)"},
		{"second rule named", rules(EvaluateOnExit{OnExitCode: "1", Action: "RETRY"}, EvaluateOnExit{OnExitCode: "x", Action: "EXIT"}), "rs.evaluateOnExit[1].onExitCode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, validateRetryStrategy("rs", tt.rs), tt.want)
		})
	}
}

func TestValidateTimeout(t *testing.T) {
	tests := []struct {
		name string
		to   *JobTimeout
		want string
	}{
		{"none", nil, ""},
		{"no duration", &JobTimeout{}, ""},
		{"sixty", &JobTimeout{AttemptDurationSeconds: new(int64(60))}, ""},
		{"a week", &JobTimeout{AttemptDurationSeconds: new(int64(604800))}, ""},
		{"fifty-nine", &JobTimeout{AttemptDurationSeconds: new(int64(59))}, "timeout.attemptDurationSeconds must be at least 60 seconds (got 59)"},
		{"zero", &JobTimeout{AttemptDurationSeconds: new(int64(0))}, "must be at least 60 seconds (got 0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, validateTimeout("timeout", tt.to), tt.want)
		})
	}
}
