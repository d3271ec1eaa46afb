package batch

import (
	"strings"
	"testing"
)

func TestValidateLogConfiguration(t *testing.T) {
	awslogs := func(opts map[string]string) *LogConfiguration {
		return &LogConfiguration{LogDriver: "awslogs", Options: opts}
	}
	const path = "containerProperties.logConfiguration"
	tests := []struct {
		name string
		lc   *LogConfiguration
		want string // "" for valid; else part of the message, from its start
	}{
		{"none", nil, ""},
		{"awslogs without options", awslogs(nil), ""},
		{"every option", awslogs(map[string]string{
			"awslogs-group": "/aws/batch/my_app-1.0#x", "awslogs-region": "us-gov-west-1",
			"awslogs-stream-prefix": "nightly/etl", "awslogs-create-group": "true",
		}), ""},
		{"create-group false, any case", awslogs(map[string]string{"awslogs-create-group": "False"}), ""},
		{"no driver", &LogConfiguration{}, path + ".logDriver is required: Tanda supports awslogs"},
		{"json-file", &LogConfiguration{LogDriver: "json-file"},
			path + `.logDriver "json-file" is not supported by Tanda: the agent sends each job's output to CloudWatch Logs; use awslogs, the only log driver Tanda supports`},
		{"awsfirelens", &LogConfiguration{LogDriver: "awsfirelens"}, path + `.logDriver "awsfirelens" is not supported by Tanda`},
		{"logentries", &LogConfiguration{LogDriver: "logentries"}, path + `.logDriver "logentries" is not supported by Tanda`},
		{"unknown driver", &LogConfiguration{LogDriver: "AWSLOGS"}, path + `.logDriver must be one of awslogs, awsfirelens, fluentd, gelf, journald, json-file, logentries, splunk, syslog (got "AWSLOGS"); Tanda supports awslogs`},
		{"secret options", &LogConfiguration{LogDriver: "awslogs", SecretOptions: []Secret{{Name: "k", ValueFrom: "arn:aws:ssm:us-east-1:123456789012:parameter/k"}}},
			path + ".secretOptions are not supported by Tanda: none of the awslogs options it honours (awslogs-group, awslogs-region, awslogs-stream-prefix, awslogs-create-group) takes a secret"},
		{"unknown option", awslogs(map[string]string{"awslogs-grop": "g"}),
			path + `.options["awslogs-grop"] is not an option Tanda's awslogs takes; it takes awslogs-group, awslogs-region, awslogs-stream-prefix, awslogs-create-group`},
		{"multiline pattern", awslogs(map[string]string{"awslogs-multiline-pattern": "^INFO"}),
			path + `.options["awslogs-multiline-pattern"] is not supported by Tanda (Tanda keeps each line of output as one log event); remove it`},
		{"mode", awslogs(map[string]string{"mode": "non-blocking"}), path + `.options["mode"] is not supported by Tanda`},
		{"empty group", awslogs(map[string]string{"awslogs-group": ""}), path + `.options["awslogs-group"] must be a log group name of 1 to 512 characters (got 0)`},
		{"group of 512", awslogs(map[string]string{"awslogs-group": strings.Repeat("g", 512)}), ""},
		{"group of 513", awslogs(map[string]string{"awslogs-group": strings.Repeat("g", 513)}), path + `.options["awslogs-group"] must be a log group name of 1 to 512 characters (got 513)`},
		{"group with a space", awslogs(map[string]string{"awslogs-group": "my logs"}),
			path + `.options["awslogs-group"] must be a log group name of letters, digits and the characters _ - / . # (got "my logs")`},
		{"group with a colon", awslogs(map[string]string{"awslogs-group": "a:b"}), path + `.options["awslogs-group"] must be a log group name of letters`},
		{"region", awslogs(map[string]string{"awslogs-region": "US-EAST-1"}), path + `.options["awslogs-region"] must be an AWS region such as us-east-1 (got "US-EAST-1")`},
		{"region without number", awslogs(map[string]string{"awslogs-region": "us-east"}), path + `.options["awslogs-region"] must be an AWS region`},
		{"empty prefix", awslogs(map[string]string{"awslogs-stream-prefix": ""}),
			path + `.options["awslogs-stream-prefix"] must not be empty: leave it out to name streams after the job definition`},
		{"prefix with a star", awslogs(map[string]string{"awslogs-stream-prefix": "a*"}),
			path + `.options["awslogs-stream-prefix"] must not contain ':' or '*', which CloudWatch Logs refuses in a stream name (got "a*")`},
		{"prefix of 439", awslogs(map[string]string{"awslogs-stream-prefix": strings.Repeat("p", 439)}), ""},
		{"prefix of 440", awslogs(map[string]string{"awslogs-stream-prefix": strings.Repeat("p", 440)}),
			path + `.options["awslogs-stream-prefix"] must be at most 439 characters, so that the stream name <prefix>/default/<task id> fits CloudWatch Logs' 512 (got 440)`},
		{"create-group yes", awslogs(map[string]string{"awslogs-create-group": "yes"}), path + `.options["awslogs-create-group"] must be true or false (got "yes")`},
		{"first problem by key", awslogs(map[string]string{"awslogs-region": "x", "awslogs-group": "a b"}), path + `.options["awslogs-group"]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateLogConfiguration(path, tc.lc)
			wantClientError(t, err, tc.want)
		})
	}
}

func TestRegisterJobDefinitionChecksLogConfiguration(t *testing.T) {
	in := validDefinition()
	in.ContainerProperties.LogConfiguration = &LogConfiguration{LogDriver: "syslog"}
	wantClientError(t, ValidateRegisterJobDefinition(in), `containerProperties.logConfiguration.logDriver "syslog" is not supported by Tanda`)
}

func TestSubmitJobRefusesALogConfigurationOverride(t *testing.T) {
	in := &SubmitJobInput{JobName: "j", JobQueue: "q", JobDefinition: "d",
		ContainerOverrides: &ContainerOverrides{LogConfiguration: &LogConfiguration{LogDriver: "awslogs"}}}
	wantClientError(t, ValidateSubmitJob(in),
		"containerOverrides.logConfiguration cannot be overridden: AWS Batch takes a job's log settings from its job definition; register a revision whose containerProperties.logConfiguration uses awslogs, the log driver Tanda supports")
}

func TestLogTargetAndStreamName(t *testing.T) {
	c := &ContainerProperties{LogConfiguration: &LogConfiguration{LogDriver: "awslogs", Options: map[string]string{
		"awslogs-group": "/app/etl", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "etl", "awslogs-create-group": "TRUE",
	}}}
	got := LogTargetOf(c)
	if want := (LogTarget{Group: "/app/etl", Region: "eu-west-1", StreamPrefix: "etl", CreateGroup: true}); got != want {
		t.Errorf("LogTargetOf = %+v, want %+v", got, want)
	}
	if !got.Elsewhere() {
		t.Error("a target with a group is not Elsewhere")
	}
	if s := LogStreamName(got, "def", "abc-1"); s != "etl/default/abc-1" {
		t.Errorf("stream with a prefix = %q, want etl/default/abc-1", s)
	}
	for _, c := range []*ContainerProperties{nil, {}, {LogConfiguration: &LogConfiguration{LogDriver: "awslogs"}}} {
		if got := LogTargetOf(c); got != (LogTarget{}) || got.Elsewhere() {
			t.Errorf("LogTargetOf(%+v) = %+v, want the default", c, got)
		}
	}
	if s := LogStreamName(LogTarget{}, "def", "abc-1"); s != "def/default/abc-1" {
		t.Errorf("stream without a prefix = %q, want def/default/abc-1", s)
	}
	long := strings.Repeat("d", 210)
	if s := LogStreamName(LogTarget{}, long, "t"); s != long[:200]+"/default/t" {
		t.Errorf("a long definition name is not cut to 200 characters: %q", s)
	}
}
