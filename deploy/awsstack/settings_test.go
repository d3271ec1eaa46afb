package awsstack_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tanda-batch/tanda/deploy/awsstack"
)

func TestUserDataRoundTrip(t *testing.T) {
	in := awsstack.Settings{Stack: "prod", Region: "eu-west-1", Endpoint: "http://127.0.0.1:5000", Runtime: "process"}.WithDefaults()
	script, err := in.AgentScript("systemctl start tanda-agent")
	if err != nil {
		t.Fatalf("AgentScript: %v", err)
	}
	if !strings.HasPrefix(string(script), "#!/bin/sh\n") || !strings.HasSuffix(string(script), "systemctl start tanda-agent\n") {
		t.Errorf("script = %q, want a shell script ending with the install step", script)
	}
	got, err := awsstack.ParseUserData(script)
	if err != nil {
		t.Fatalf("ParseUserData: %v", err)
	}
	if got != in {
		t.Errorf("ParseUserData = %+v, want %+v", got, in)
	}
}

func TestDefaults(t *testing.T) {
	got := awsstack.Settings{Stack: "s1", Region: "us-east-1"}.WithDefaults()
	want := awsstack.Settings{
		Stack: "s1", Region: "us-east-1",
		JobsTable: "s1-jobs", ItemsTable: "s1-items", QueuePrefix: "s1",
		LogGroup: "/tanda/s1/jobs", EventBus: "default", LaunchTemplate: "s1-agent",
		Runtime: "auto", LeaseSeconds: 30,
	}
	if got != want {
		t.Errorf("WithDefaults = %+v, want %+v", got, want)
	}
}

func TestParseUserDataErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"no line", "#!/bin/sh\necho hi\n", "no TANDA_SETTINGS"},
		{"bad base64", "TANDA_SETTINGS='%%%'\n", "reading TANDA_SETTINGS"},
		{"bad json", "TANDA_SETTINGS='bm90IGpzb24='\n", "reading TANDA_SETTINGS"},
		{"invalid settings", "TANDA_SETTINGS='eyJzdGFjayI6IjEifQ=='\n", "stack name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := awsstack.ParseUserData([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseUserData error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		s    awsstack.Settings
		want string
	}{
		{"ok", awsstack.Settings{Stack: "a-b", Region: "us-east-1"}, ""},
		{"bad stack", awsstack.Settings{Stack: "a_b", Region: "us-east-1"}, "stack name"},
		{"no region", awsstack.Settings{Stack: "a"}, "region"},
		{"bad runtime", awsstack.Settings{Stack: "a", Region: "r", Runtime: "vm"}, "runtime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestAWSConfigKeepsCABundle(t *testing.T) {
	// A CA bundle set in the environment must not make loading fail.
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, []byte(testCA), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	s := awsstack.Settings{Stack: "s", Region: "us-east-1", Endpoint: "http://127.0.0.1:1"}.WithDefaults()
	cfg, err := s.AWSConfig(context.Background())
	if err != nil {
		t.Fatalf("AWSConfig with AWS_CA_BUNDLE: %v", err)
	}
	if cfg.HTTPClient == nil || cfg.Region != "us-east-1" || aws.ToString(cfg.BaseEndpoint) != s.Endpoint {
		t.Errorf("config = region %q, endpoint %q, client %v", cfg.Region, aws.ToString(cfg.BaseEndpoint), cfg.HTTPClient)
	}
}

// testCA is a throwaway self-signed certificate.
const testCA = `-----BEGIN CERTIFICATE-----
MIIBgDCCASWgAwIBAgIUGSX8O9ekxoUpqw2xj6ILCz1JZCcwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKdGFuZGEtdGVzdDAeFw0yNjExMjkxNTE4MjJaFw0zNjExMjYx
NTE4MjJaMBUxEzARBgNVBAMMCnRhbmRhLXRlc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASiIgXuX/Lr1PJQ+B3auI4jo1/6cePtsGlpDdgvZeNyMvANQXoQVlw+
FmorXcnS0UqzNei0dkF4uQ1JFg+gtZY5o1MwUTAdBgNVHQ4EFgQUSn2t3qcWKkgc
n55+7+fTU2Cqh6kwHwYDVR0jBBgwFoAUSn2t3qcWKkgcn55+7+fTU2Cqh6kwDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEArW/yZAhSqrPjO5/Ulp3E
No+bM1HAk82cbmNUPA7za+4CIQCuiU27ouRiGPpprpteVA5c8bhrThLn2AOJtDyl
CeX65w==
-----END CERTIFICATE-----
`
