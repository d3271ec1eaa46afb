package imds_test

import (
	"testing"
)

func TestInstanceTag(t *testing.T) {
	const tagPath = "/latest/meta-data/tags/instance/tanda:compute-environment"
	tests := []struct {
		name      string
		routes    map[string]route
		key       string
		want      string
		wantFound bool
		wantErr   bool
	}{
		{"present", map[string]route{tagPath: always(200, "spot-ce")}, "tanda:compute-environment", "spot-ce", true, false},
		{"other key absent", map[string]route{tagPath: always(200, "spot-ce")}, "team", "", false, false},
		{"tags not enabled", nil, "tanda:compute-environment", "", false, false},
		{"key escaped", map[string]route{"/latest/meta-data/tags/instance/a b": always(200, "v")}, "a b", "v", true, false},
		{"server error", map[string]route{tagPath: always(500, "")}, "tanda:compute-environment", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(newFakeIMDS(t, newFakeClock(), tt.routes), 0)
			got, found, err := c.InstanceTag(t.Context(), tt.key)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("InstanceTag(%q) error = %v, want error %v", tt.key, err, tt.wantErr)
			}
			if got != tt.want || found != tt.wantFound {
				t.Errorf("InstanceTag(%q) = %q, %v; want %q, %v", tt.key, got, found, tt.want, tt.wantFound)
			}
		})
	}
}
