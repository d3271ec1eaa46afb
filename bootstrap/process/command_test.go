package process

import (
	"slices"
	"testing"
)

func TestProcessEnv(t *testing.T) {
	tests := []struct {
		name      string
		env       []string
		agentPath string
		want      []string
	}{
		{"empty env gets agent PATH", nil, "/bin", []string{"PATH=/bin"}},
		{"empty env, no agent PATH, stays empty", nil, "", []string{}},
		{"own PATH kept", []string{"PATH=/job", "A=1"}, "/bin", []string{"PATH=/job", "A=1"}},
		{"empty PATH counts as set", []string{"PATH="}, "/bin", []string{"PATH="}},
		{"PATH added last", []string{"A=1"}, "/bin", []string{"A=1", "PATH=/bin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := processEnv(tt.env, tt.agentPath)
			if got == nil || !slices.Equal(got, tt.want) {
				t.Errorf("processEnv = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestLookupEnv(t *testing.T) {
	env := []string{"A=1", "B=2", "A=3", "NOEQUALS"}
	tests := []struct {
		key    string
		want   string
		wantOK bool
	}{
		{"A", "3", true},
		{"B", "2", true},
		{"C", "", false},
		{"NOEQUALS", "", false},
	}
	for _, tt := range tests {
		got, ok := lookupEnv(env, tt.key)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("lookupEnv(%q) = %q, %v, want %q, %v", tt.key, got, ok, tt.want, tt.wantOK)
		}
	}
}
