package ec2agent_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/deploy/ec2agent"
)

// testSettings are the test stack's settings, as user data carries them.
var testSettings = awsstack.Settings{Stack: "test", Region: region, Endpoint: "http://127.0.0.1:5000", Runtime: "process"}

// hostCapacity stands for the machine when the catalogue does not know
// the instance type.
func hostCapacity() (ec2agent.Capacity, error) {
	return ec2agent.Capacity{VCPUs: 3, MemoryMiB: 5000, Source: ec2agent.FromHost}, nil
}

func TestDiscover(t *testing.T) {
	f := newFakeIMDS(t, testSettings)
	got, err := ec2agent.Discover(t.Context(), imds.New(f.URL, imds.Options{}), ec2agent.DiscoverOptions{Host: hostCapacity})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	want := ec2agent.Instance{
		Identity: imds.Identity{
			InstanceID: instanceID, InstanceType: instanceType, Region: region,
			AvailabilityZone: "us-east-1a", AccountID: account, Lifecycle: "spot",
		},
		Settings:           testSettings.WithDefaults(),
		ComputeEnvironment: ceName,
		Capacity:           ec2agent.Capacity{VCPUs: 4, MemoryMiB: 16384, Source: ec2agent.FromInstanceType},
	}
	if got != want {
		t.Errorf("Discover =\n%+v\nwant\n%+v", got, want)
	}
	if p, wantP := got.Partition(), (batch.Partition{Region: region, Account: account}); p != wantP {
		t.Errorf("Partition() = %+v, want %+v", p, wantP)
	}
}

func TestDiscoverSizesUnknownTypesFromTheHost(t *testing.T) {
	f := newFakeIMDS(t, testSettings)
	f.set(identityPath, `{"accountId":"123456789012","instanceId":"i-1","instanceType":"x9.weird","region":"us-east-1"}`)
	tests := []struct {
		name    string
		host    func() (ec2agent.Capacity, error)
		want    ec2agent.Capacity
		wantErr string
	}{
		{"host known", hostCapacity, ec2agent.Capacity{VCPUs: 3, MemoryMiB: 5000, Source: ec2agent.FromHost}, ""},
		{"host unknown", func() (ec2agent.Capacity, error) { return ec2agent.Capacity{}, errors.New("no /proc") }, ec2agent.Capacity{}, `instance type "x9.weird"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ec2agent.Discover(t.Context(), imds.New(f.URL, imds.Options{}), ec2agent.DiscoverOptions{Host: tt.host})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Discover error = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			if got.Capacity != tt.want {
				t.Errorf("Capacity = %+v, want %+v", got.Capacity, tt.want)
			}
		})
	}
}

func TestDiscoverExplainsWhatIsMissing(t *testing.T) {
	tests := []struct {
		name  string
		path  string // served with body instead
		body  string
		wants []string
	}{
		{"no user data", userDataPath, "", []string{instanceID, "no TANDA_SETTINGS", "launch template"}},
		{"user data without settings", userDataPath, "#!/bin/sh\necho hello\n", []string{instanceID, "no TANDA_SETTINGS", "launch template"}},
		{"invalid settings", userDataPath, "TANDA_SETTINGS='eyJzdGFjayI6IjEifQ=='\n", []string{instanceID, "stack name"}},
		{"no compute environment tag", ceTagPath, "", []string{instanceID, "tanda:compute-environment", "InstanceMetadataTags"}},
		{"blank compute environment tag", ceTagPath, "  ", []string{"tanda:compute-environment"}},
		{"no identity", identityPath, "", []string{"instance identity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIMDS(t, testSettings)
			f.set(tt.path, tt.body)
			_, err := ec2agent.Discover(t.Context(), imds.New(f.URL, imds.Options{}), ec2agent.DiscoverOptions{Host: hostCapacity})
			if err == nil {
				t.Fatal("Discover succeeded, want an error")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Discover error = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}
