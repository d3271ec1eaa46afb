package ec2fleet

import (
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/tanda-batch/tanda/provisioner"
)

// capacityErrors returns the type and zone of each insufficient-capacity
// error joined in err.
func capacityErrors(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		var ice *provisioner.InsufficientCapacityError
		if multi, ok := e.(interface{ Unwrap() []error }); ok {
			for _, m := range multi.Unwrap() {
				walk(m)
			}
			return
		}
		if errors.As(e, &ice) {
			out = append(out, ice.Type+"@"+ice.Zone)
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

func TestCallErrorTranslation(t *testing.T) {
	types := []string{"m5.large", "c5.xlarge"}
	tests := []struct {
		code string
		want []string // capacity errors; nil means a plain error
	}{
		{"InsufficientInstanceCapacity", []string{"m5.large@", "c5.xlarge@"}},
		{"InsufficientCapacity", []string{"m5.large@", "c5.xlarge@"}},
		{"SpotMaxPriceTooLow", []string{"m5.large@", "c5.xlarge@"}},
		{"Unsupported", []string{"m5.large@", "c5.xlarge@"}},
		{"InstanceLimitExceeded", []string{"m5.large@", "c5.xlarge@"}},
		{"MaxSpotInstanceCountExceeded", []string{"m5.large@", "c5.xlarge@"}},
		{"VcpuLimitExceeded", []string{"m5.large@", "c5.xlarge@"}},
		{"UnauthorizedOperation", nil},
		{"InvalidLaunchTemplateName.NotFoundException", nil},
		{"RequestLimitExceeded", nil},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			cause := &smithy.GenericAPIError{Code: tt.code, Message: "from EC2"}
			err := callError(cause, types)
			if got := capacityErrors(err); !slices.Equal(got, tt.want) {
				t.Errorf("capacity errors of %s = %v, want %v", tt.code, got, tt.want)
			}
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.code {
				t.Errorf("error %v does not wrap the API error %s", err, tt.code)
			}
		})
	}
}

func TestFleetErrorsTranslation(t *testing.T) {
	entry := func(code, typ, zone string) ec2types.CreateFleetError {
		return ec2types.CreateFleetError{
			ErrorCode: aws.String(code), ErrorMessage: aws.String("no luck"), Lifecycle: ec2types.InstanceLifecycleSpot,
			LaunchTemplateAndOverrides: &ec2types.LaunchTemplateAndOverridesResponse{
				Overrides: &ec2types.FleetLaunchTemplateOverrides{InstanceType: ec2types.InstanceType(typ), AvailabilityZone: aws.String(zone)},
			},
		}
	}
	tests := []struct {
		name      string
		list      []ec2types.CreateFleetError
		want      []string
		wantOther bool
	}{
		{"none", nil, nil, false},
		{"one offering", []ec2types.CreateFleetError{entry("InsufficientInstanceCapacity", "m5.large", "us-east-1a")}, []string{"m5.large@us-east-1a"}, false},
		{"duplicates merged", []ec2types.CreateFleetError{
			entry("InsufficientInstanceCapacity", "m5.large", "us-east-1a"),
			entry("InsufficientInstanceCapacity", "m5.large", "us-east-1a"),
			entry("SpotMaxPriceTooLow", "c5.xlarge", "us-east-1b"),
		}, []string{"m5.large@us-east-1a", "c5.xlarge@us-east-1b"}, false},
		{"other codes kept apart", []ec2types.CreateFleetError{
			entry("Unsupported", "m5.large", "us-east-1a"),
			entry("InvalidParameterValue", "c5.xlarge", "us-east-1a"),
		}, []string{"m5.large@us-east-1a"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fleetErrors(tt.list)
			if got := capacityErrors(err); !slices.Equal(got, tt.want) {
				t.Errorf("capacity errors = %v, want %v", got, tt.want)
			}
			other := 0
			if err != nil {
				other = len(err.(interface{ Unwrap() []error }).Unwrap()) - len(tt.want)
			}
			if (other > 0) != tt.wantOther {
				t.Errorf("other errors in %v: %d, want some: %v", err, other, tt.wantOther)
			}
		})
	}
}
