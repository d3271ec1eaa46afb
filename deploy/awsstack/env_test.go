package awsstack_test

import (
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/deploy/awsstack"
)

func TestEnvRoundTrip(t *testing.T) {
	want := awsstack.Settings{Stack: "prod", Region: "eu-west-1", LeaseSeconds: 45}.WithDefaults()
	env := want.Env()
	env[awsstack.EnvRegion] = "eu-west-1"
	got, err := awsstack.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	if got != want {
		t.Errorf("FromEnv(Env()) = %+v, want %+v", got, want)
	}
	for k := range env {
		if !contains(awsstack.EnvVars, k) {
			t.Errorf("Env sets %s, which EnvVars does not list", k)
		}
	}
}

func TestFromEnvErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no stack", map[string]string{"AWS_REGION": "us-east-1"}, "stack name"},
		{"no region", map[string]string{"TANDA_STACK": "s"}, "region"},
		{"bad lease", map[string]string{"TANDA_STACK": "s", "AWS_REGION": "r", "TANDA_LEASE_SECONDS": "soon"}, "TANDA_LEASE_SECONDS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := awsstack.FromEnv(func(k string) string { return tt.env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("FromEnv error = %v, want one naming %q", err, tt.want)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
