package ec2fleet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/provisioner"
)

// Launch starts the requested instances with one CreateFleet call. A
// repeated client token returns what its first call launched.
func (f *Fleet) Launch(ctx context.Context, req provisioner.LaunchRequest) ([]provisioner.Instance, error) {
	now := f.clock.Now()
	if prev, ok := f.tokens.get(req.ClientToken, now); ok {
		return prev, nil
	}
	// One CreateFleet per instance type: the planner chose each type for
	// the jobs it packed, and one call over several types would let EC2
	// fill it all with the cheapest. Each call's token derives from the
	// request's, so a retried request repeats each call's.
	var all []provisioner.Instance
	var errs []error
	for i, item := range req.Items {
		one := req
		one.Items = []provisioner.LaunchItem{item}
		if req.ClientToken != "" {
			one.ClientToken = req.ClientToken + "-" + strconv.Itoa(i)
		}
		launched, err := f.launchOne(ctx, one, now)
		all = append(all, launched...)
		errs = append(errs, err)
	}
	if len(all) > 0 {
		f.tokens.put(req.ClientToken, all, now)
	}
	return all, errors.Join(errs...)
}

// launchOne makes one CreateFleet call for req.
func (f *Fleet) launchOne(ctx context.Context, req provisioner.LaunchRequest, now time.Time) ([]provisioner.Instance, error) {
	groups, err := f.launchGroups(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("launching for compute environment %s: %w", req.CE.ComputeEnvironmentName, err)
	}
	in, err := f.fleetInput(req, groups)
	if err != nil {
		return nil, fmt.Errorf("launching for compute environment %s: %w", req.CE.ComputeEnvironmentName, err)
	}
	if in == nil {
		return nil, nil
	}
	out, err := f.api.CreateFleet(ctx, in)
	if err != nil {
		return nil, callError(err, requestedTypes(req.Items))
	}
	launched, err := f.launched(ctx, req, out, now)
	f.logger.Info("launched instances", "computeEnvironment", req.CE.ComputeEnvironmentName,
		"fleet", aws.ToString(out.FleetId), "count", len(launched), "images", groupImages(groups), "errors", len(out.Errors))
	return launched, errors.Join(err, fleetErrors(out.Errors))
}

// launchGroup is the types of a launch that start from one launch template
// version with one image.
type launchGroup struct {
	launchImage
	types []provisioner.InstanceType
}

// launchGroups groups the types req offers (each item's type and
// alternatives) by their launch template and image (see imageFor), in the
// order the types first appear.
func (f *Fleet) launchGroups(ctx context.Context, req provisioner.LaunchRequest) ([]launchGroup, error) {
	cr := req.CE.ComputeResources
	if cr == nil {
		return nil, errors.New("compute environment has no compute resources")
	}
	base, err := f.baseTemplate(cr)
	if err != nil {
		return nil, err
	}
	var groups []launchGroup
	seen := map[string]bool{}
	for _, it := range req.Items {
		if it.Count <= 0 {
			continue
		}
		for _, t := range offered(it) {
			if seen[t.Name] {
				continue
			}
			seen[t.Name] = true
			li, err := f.imageFor(ctx, cr, base, t)
			if err != nil {
				return nil, err
			}
			i := slices.IndexFunc(groups, func(g launchGroup) bool { return g.launchImage == li })
			if i < 0 {
				groups = append(groups, launchGroup{launchImage: li})
				i = len(groups) - 1
			}
			groups[i].types = append(groups[i].types, t)
		}
	}
	return groups, nil
}

// offered is the types an item lets EC2 launch: its alternatives, or its
// type.
func offered(it provisioner.LaunchItem) []provisioner.InstanceType {
	if len(it.Alternatives) > 0 {
		return it.Alternatives
	}
	return []provisioner.InstanceType{it.Type}
}

// groupImages names each group's template and image, for the log.
func groupImages(groups []launchGroup) []string {
	out := make([]string, 0, len(groups))
	for _, g := range groups {
		img := g.imageID
		if img == "" {
			img = "the template's image"
		}
		out = append(out, g.template.String()+": "+img)
	}
	return out
}

// fleetInput builds the CreateFleet call of req, whose types groups
// holds, or nil when req asks for nothing. Each group is one launch
// template config, its overrides carrying the group's image.
func (f *Fleet) fleetInput(req provisioner.LaunchRequest, groups []launchGroup) (*ec2.CreateFleetInput, error) {
	cr := req.CE.ComputeResources
	if cr == nil {
		return nil, errors.New("compute environment has no compute resources")
	}
	alloc, err := allocationFor(cr)
	if err != nil {
		return nil, err
	}
	total := 0
	for _, it := range req.Items {
		total += it.Count
	}
	if total <= 0 || len(groups) == 0 {
		return nil, nil
	}
	in := &ec2.CreateFleetInput{
		Type: ec2types.FleetTypeInstant,
		TargetCapacitySpecification: &ec2types.TargetCapacitySpecificationRequest{
			TotalTargetCapacity:       aws.Int32(int32(total)),
			DefaultTargetCapacityType: alloc.capacityType,
		},
		TagSpecifications: f.tagSpecifications(req.CE),
	}
	room := maxOverrides
	for _, g := range groups {
		overrides := f.overrides(cr, g, room)
		if len(overrides) == 0 {
			continue
		}
		room -= len(overrides)
		in.LaunchTemplateConfigs = append(in.LaunchTemplateConfigs, ec2types.FleetLaunchTemplateConfigRequest{
			LaunchTemplateSpecification: g.template.spec(),
			Overrides:                   overrides,
		})
	}
	if alloc.capacityType == ec2types.DefaultTargetCapacityTypeSpot {
		in.SpotOptions = &ec2types.SpotOptionsRequest{AllocationStrategy: alloc.spot}
	} else {
		in.OnDemandOptions = &ec2types.OnDemandOptionsRequest{AllocationStrategy: alloc.onDemand}
	}
	if req.ClientToken != "" {
		in.ClientToken = aws.String(req.ClientToken)
	}
	return in, nil
}

// spec is the launch template specification of a CreateFleet call.
func (t templateRef) spec() *ec2types.FleetLaunchTemplateSpecificationRequest {
	s := &ec2types.FleetLaunchTemplateSpecificationRequest{Version: aws.String(t.version)}
	if t.id != "" {
		s.LaunchTemplateId = aws.String(t.id)
	} else {
		s.LaunchTemplateName = aws.String(t.name)
	}
	return s
}

// maxOverrides is the most overrides one CreateFleet call takes.
const maxOverrides = 300

// overrides offers each of the group's types in each subnet, with the
// group's image when it overrides the template's and the Spot price capped
// by bidPercentage when it is set, up to room overrides.
func (f *Fleet) overrides(cr *batch.ComputeResource, g launchGroup, room int) []ec2types.FleetLaunchTemplateOverridesRequest {
	subnets := cr.Subnets
	if len(subnets) == 0 {
		subnets = f.opts.Subnets
	}
	var out []ec2types.FleetLaunchTemplateOverridesRequest
	for _, t := range g.types {
		if len(out)+max(len(subnets), 1) > room {
			break
		}
		o := ec2types.FleetLaunchTemplateOverridesRequest{InstanceType: ec2types.InstanceType(t.Name)}
		if g.imageID != "" {
			o.ImageId = aws.String(g.imageID)
		}
		if cr.Type == "SPOT" && cr.BidPercentage != nil && t.PricePerHour > 0 {
			price := t.PricePerHour * float64(*cr.BidPercentage) / 100
			o.MaxPrice = aws.String(strconv.FormatFloat(price, 'f', 5, 64))
		}
		if len(subnets) == 0 {
			out = append(out, o)
		}
		for _, s := range subnets {
			o.SubnetId = aws.String(s)
			out = append(out, o)
		}
	}
	return out
}

// tagSpecifications tags instances and volumes with the stack, the
// compute environment and the compute environment's own tags.
func (f *Fleet) tagSpecifications(ce batch.ComputeEnvironment) []ec2types.TagSpecification {
	tags := map[string]string{}
	if ce.ComputeResources != nil {
		maps.Copy(tags, ce.ComputeResources.Tags)
	}
	tags[TagStack] = f.opts.Stack
	tags[TagComputeEnvironment] = ce.ComputeEnvironmentName
	tags[TagManagedBy] = ManagedByValue
	list := make([]ec2types.Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		list = append(list, ec2types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return []ec2types.TagSpecification{
		{ResourceType: ec2types.ResourceTypeInstance, Tags: list},
		{ResourceType: ec2types.ResourceTypeVolume, Tags: list},
	}
}

// launched lists the instances CreateFleet started, with the capacity of
// their types as the request described them.
func (f *Fleet) launched(ctx context.Context, req provisioner.LaunchRequest, out *ec2.CreateFleetOutput, now time.Time) ([]provisioner.Instance, error) {
	// The request's types, alternatives included, carry their capacity:
	// only a type EC2 launched unasked would need describing.
	asked := map[string]capacity{}
	for _, it := range req.Items {
		for _, t := range append([]provisioner.InstanceType{it.Type}, it.Alternatives...) {
			asked[t.Name] = capacity{vcpus: t.VCPUs, memoryMiB: t.MemoryMiB, gpus: t.GPUs}
		}
	}
	var unknown []string
	for _, fi := range out.Instances {
		if _, ok := asked[string(fi.InstanceType)]; !ok {
			unknown = append(unknown, string(fi.InstanceType))
		}
	}
	var err error
	if len(unknown) > 0 {
		var found map[string]capacity
		found, err = f.capacities(ctx, unknown)
		maps.Copy(asked, found)
	}
	var list []provisioner.Instance
	for _, fi := range out.Instances {
		c := asked[string(fi.InstanceType)]
		for _, id := range fi.InstanceIds {
			list = append(list, provisioner.Instance{
				ID: id, Type: string(fi.InstanceType),
				VCPUs: c.vcpus, MemoryMiB: c.memoryMiB, GPUs: c.gpus,
				Spot:       fi.Lifecycle == ec2types.InstanceLifecycleSpot,
				LaunchedAt: now, State: provisioner.InstancePending,
			})
		}
	}
	return list, err
}

// requestedTypes names the types of items.
func requestedTypes(items []provisioner.LaunchItem) []string {
	var names []string
	for _, it := range items {
		if it.Count > 0 && !slices.Contains(names, it.Type.Name) {
			names = append(names, it.Type.Name)
		}
	}
	return names
}
