package ec2fleet

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/tanda-batch/tanda/provisioner"
)

// capacityCodes are the EC2 error codes that mean an offering (a type in
// a zone, Spot or On-Demand) cannot be launched now: the provisioner skips
// it for a while and tries others.
var capacityCodes = map[string]bool{
	"InsufficientInstanceCapacity": true,
	"InsufficientCapacity":         true,
	"InsufficientHostCapacity":     true,
	"UnfulfillableCapacity":        true,
	"Unsupported":                  true,
	"SpotMaxPriceTooLow":           true,
	"InstanceLimitExceeded":        true,
	"MaxSpotInstanceCountExceeded": true,
	"VcpuLimitExceeded":            true,
}

// notFoundCodes mean an instance is already gone.
var notFoundCodes = map[string]bool{
	"InvalidInstanceID.NotFound": true,
}

// isCapacityCode reports whether code means no capacity for an offering.
func isCapacityCode(code string) bool { return capacityCodes[code] }

// apiCode returns err's AWS error code, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// callError translates an error of the whole CreateFleet call: a capacity
// code becomes an *InsufficientCapacityError for each type asked for.
func callError(err error, types []string) error {
	if !isCapacityCode(apiCode(err)) || len(types) == 0 {
		return fmt.Errorf("creating fleet: %w", err)
	}
	errs := make([]error, 0, len(types))
	for _, t := range types {
		errs = append(errs, provisioner.NewInsufficientCapacityError(t, "", err))
	}
	return errors.Join(errs...)
}

// fleetErrors translates CreateFleet's Errors list: one
// *InsufficientCapacityError per type and zone without capacity, the other
// errors as they are.
func fleetErrors(list []ec2types.CreateFleetError) error {
	var errs []error
	seen := map[[2]string]bool{}
	for _, fe := range list {
		code, msg := aws.ToString(fe.ErrorCode), aws.ToString(fe.ErrorMessage)
		cause := &smithy.GenericAPIError{Code: code, Message: msg}
		typ, zone := "", ""
		if lo := fe.LaunchTemplateAndOverrides; lo != nil && lo.Overrides != nil {
			typ, zone = string(lo.Overrides.InstanceType), aws.ToString(lo.Overrides.AvailabilityZone)
		}
		if !isCapacityCode(code) || typ == "" {
			errs = append(errs, fmt.Errorf("creating fleet: launching %s %s: %w", fe.Lifecycle, typ, cause))
			continue
		}
		if key := [2]string{typ, zone}; !seen[key] {
			seen[key] = true
			errs = append(errs, provisioner.NewInsufficientCapacityError(typ, zone, cause))
		}
	}
	return errors.Join(errs...)
}
