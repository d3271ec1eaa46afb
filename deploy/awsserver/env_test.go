package awsserver_test

import (
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/deploy/awsserver"
)

func TestSubnetsFromEnv(t *testing.T) {
	tests := []struct {
		value string
		want  []string
	}{
		{"", nil},
		{"subnet-0a1b", []string{"subnet-0a1b"}},
		{"subnet-0a1b, subnet-2c3d,,", []string{"subnet-0a1b", "subnet-2c3d"}},
	}
	for _, tt := range tests {
		got := awsserver.SubnetsFromEnv(func(k string) string {
			if k == awsserver.EnvSubnets {
				return tt.value
			}
			return ""
		})
		if !slices.Equal(got, tt.want) {
			t.Errorf("SubnetsFromEnv(%q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}
