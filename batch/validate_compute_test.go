package batch

import "testing"

func validManagedCE() *CreateComputeEnvironmentInput {
	return &CreateComputeEnvironmentInput{
		ComputeEnvironmentName: "spot-ce",
		Type:                   "MANAGED",
		ComputeResources: &ComputeResource{
			Type:          "EC2",
			MinvCpus:      new(0),
			MaxvCpus:      new(64),
			InstanceTypes: []string{"optimal"},
		},
	}
}

func TestValidateCreateComputeEnvironment(t *testing.T) {
	cr := func(f func(*ComputeResource)) func(*CreateComputeEnvironmentInput) {
		return func(in *CreateComputeEnvironmentInput) { f(in.ComputeResources) }
	}
	tests := []struct {
		name   string
		modify func(*CreateComputeEnvironmentInput)
		want   string
	}{
		{"managed", func(*CreateComputeEnvironmentInput) {}, ""},
		{"unmanaged", func(in *CreateComputeEnvironmentInput) {
			in.Type, in.ComputeResources, in.UnmanagedvCpus = "UNMANAGED", nil, new(16)
		}, ""},
		{"name missing", func(in *CreateComputeEnvironmentInput) { in.ComputeEnvironmentName = "" }, "computeEnvironmentName is required"},
		{"name with dot", func(in *CreateComputeEnvironmentInput) { in.ComputeEnvironmentName = "a.b" },
			`computeEnvironmentName must be 1-128 characters of letters, numbers, hyphens and underscores (got "a.b")`},
		{"type missing", func(in *CreateComputeEnvironmentInput) { in.Type = "" }, "type is required: MANAGED or UNMANAGED"},
		{"type unknown", func(in *CreateComputeEnvironmentInput) { in.Type = "managed" }, `type must be MANAGED or UNMANAGED (got "managed")`},
		{"disabled", func(in *CreateComputeEnvironmentInput) { in.State = "DISABLED" }, ""},
		{"bad state", func(in *CreateComputeEnvironmentInput) { in.State = "ON" }, `state must be ENABLED or DISABLED (got "ON")`},
		{"EKS", func(in *CreateComputeEnvironmentInput) { in.EksConfiguration = map[string]any{"eksClusterArn": "x"} },
			"eksConfiguration: EKS compute environments are not supported by Tanda"},
		{"tags", func(in *CreateComputeEnvironmentInput) { in.Tags = map[string]string{"aws:x": "1"} }, `tags keys must not start with "aws:"`},
		{"service role ARN", func(in *CreateComputeEnvironmentInput) {
			in.ServiceRole = "arn:aws:iam::123456789012:role/service-role/AWSBatchServiceRole"
		}, ""},
		{"service role name", func(in *CreateComputeEnvironmentInput) { in.ServiceRole = "AWSBatchServiceRole" }, ""},
		{"service role name with path", func(in *CreateComputeEnvironmentInput) { in.ServiceRole = "service-role/AWSBatchServiceRole" }, ""},
		{"service role a user", func(in *CreateComputeEnvironmentInput) { in.ServiceRole = "arn:aws:iam::123456789012:user/bob" },
			`serviceRole must be an IAM role ARN (arn:aws:iam::<account>:role/<name>) or a role name (got "arn:aws:iam::123456789012:user/bob")`},
		{"service role another service", func(in *CreateComputeEnvironmentInput) { in.ServiceRole = "arn:aws:s3:::bucket" },
			"serviceRole must be an IAM role ARN"},
		{"service role with spaces", func(in *CreateComputeEnvironmentInput) { in.ServiceRole = "my role" },
			"serviceRole must be an IAM role ARN"},
		{"unmanaged with resources", func(in *CreateComputeEnvironmentInput) { in.Type = "UNMANAGED" },
			"computeResources must be omitted for an UNMANAGED compute environment"},
		{"unmanaged negative vCPUs", func(in *CreateComputeEnvironmentInput) {
			in.Type, in.ComputeResources, in.UnmanagedvCpus = "UNMANAGED", nil, new(-1)
		}, "unmanagedvCpus must be at least 0 (got -1)"},
		{"managed with unmanaged vCPUs", func(in *CreateComputeEnvironmentInput) { in.UnmanagedvCpus = new(4) },
			"unmanagedvCpus is only for UNMANAGED compute environments"},
		{"managed without resources", func(in *CreateComputeEnvironmentInput) { in.ComputeResources = nil },
			"computeResources is required for a MANAGED compute environment"},
		{"spot", cr(func(c *ComputeResource) {
			c.Type = "SPOT"
			c.AllocationStrategy = "SPOT_PRICE_CAPACITY_OPTIMIZED"
			c.BidPercentage = new(60)
		}), ""},
		{"resource type missing", cr(func(c *ComputeResource) { c.Type = "" }), "computeResources.type is required: EC2 or SPOT"},
		{"fargate", cr(func(c *ComputeResource) { c.Type = "FARGATE" }),
			"computeResources.type: Fargate compute environments (FARGATE, FARGATE_SPOT) are not supported by Tanda"},
		{"fargate spot", cr(func(c *ComputeResource) { c.Type = "FARGATE_SPOT" }), "are not supported by Tanda"},
		{"resource type unknown", cr(func(c *ComputeResource) { c.Type = "ec2" }), `computeResources.type must be EC2 or SPOT (got "ec2")`},
		{"max missing", cr(func(c *ComputeResource) { c.MaxvCpus = nil }), "computeResources.maxvCpus is required"},
		{"max zero", cr(func(c *ComputeResource) { c.MaxvCpus = new(0) }), ""},
		{"max negative", cr(func(c *ComputeResource) { c.MaxvCpus = new(-1) }), "computeResources.maxvCpus must be at least 0 (got -1)"},
		{"min negative", cr(func(c *ComputeResource) { c.MinvCpus = new(-2) }), "computeResources.minvCpus must be at least 0 (got -2)"},
		{"min missing", cr(func(c *ComputeResource) { c.MinvCpus = nil }), ""},
		{"min above max", cr(func(c *ComputeResource) { c.MinvCpus = new(65) }), "computeResources.minvCpus must not exceed maxvCpus (got minvCpus 65, maxvCpus 64)"},
		{"min equals max", cr(func(c *ComputeResource) { c.MinvCpus = new(64) }), ""},
		{"desired in range", cr(func(c *ComputeResource) { c.MinvCpus, c.DesiredvCpus = new(4), new(8) }), ""},
		{"desired below min", cr(func(c *ComputeResource) { c.MinvCpus, c.DesiredvCpus = new(4), new(2) }),
			"computeResources.desiredvCpus must be at least minvCpus (got desiredvCpus 2, minvCpus 4)"},
		{"desired above max", cr(func(c *ComputeResource) { c.DesiredvCpus = new(65) }),
			"computeResources.desiredvCpus must not exceed maxvCpus (got desiredvCpus 65, maxvCpus 64)"},
		{"desired negative", cr(func(c *ComputeResource) { c.MinvCpus, c.DesiredvCpus = nil, new(-1) }), "computeResources.desiredvCpus must be at least 0"},
		{"best fit", cr(func(c *ComputeResource) { c.AllocationStrategy = "BEST_FIT" }), ""},
		{"progressive ordered on EC2", cr(func(c *ComputeResource) { c.AllocationStrategy = "BEST_FIT_PROGRESSIVE_ORDERED" }), ""},
		{"progressive ordered on SPOT", cr(func(c *ComputeResource) { c.Type, c.AllocationStrategy = "SPOT", "BEST_FIT_PROGRESSIVE_ORDERED" }),
			"computeResources.allocationStrategy BEST_FIT_PROGRESSIVE_ORDERED is only for EC2 (On-Demand) compute resources (type is SPOT)"},
		{"spot strategy on EC2", cr(func(c *ComputeResource) { c.AllocationStrategy = "SPOT_CAPACITY_OPTIMIZED" }),
			"computeResources.allocationStrategy SPOT_CAPACITY_OPTIMIZED is only for SPOT compute resources (type is EC2)"},
		{"prioritized spot on SPOT", cr(func(c *ComputeResource) { c.Type, c.AllocationStrategy = "SPOT", "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED" }), ""},
		{"unknown strategy", cr(func(c *ComputeResource) { c.AllocationStrategy = "CHEAPEST" }),
			`computeResources.allocationStrategy must be one of BEST_FIT, BEST_FIT_PROGRESSIVE, BEST_FIT_PROGRESSIVE_ORDERED, SPOT_CAPACITY_OPTIMIZED, SPOT_PRICE_CAPACITY_OPTIMIZED, SPOT_CAPACITY_OPTIMIZED_PRIORITIZED (got "CHEAPEST")`},
		{"no instance types", cr(func(c *ComputeResource) { c.InstanceTypes = nil }), "computeResources.instanceTypes is required for EC2"},
		{"empty instance type", cr(func(c *ComputeResource) { c.InstanceTypes = []string{"c5", ""} }), "computeResources.instanceTypes[1] must not be empty"},
		{"bid 0", cr(func(c *ComputeResource) { c.BidPercentage = new(0) }), ""},
		{"bid 100", cr(func(c *ComputeResource) { c.BidPercentage = new(100) }), ""},
		{"bid 101", cr(func(c *ComputeResource) { c.BidPercentage = new(101) }), "computeResources.bidPercentage must be between 0 and 100 (got 101)"},
		{"scale-down delay 0", cr(func(c *ComputeResource) { c.ScalingPolicy = &ScalingPolicy{MinScaleDownDelayMinutes: new(0)} }), ""},
		{"scale-down delay 20", cr(func(c *ComputeResource) { c.ScalingPolicy = &ScalingPolicy{MinScaleDownDelayMinutes: new(20)} }), ""},
		{"scale-down delay 10080", cr(func(c *ComputeResource) { c.ScalingPolicy = &ScalingPolicy{MinScaleDownDelayMinutes: new(10080)} }), ""},
		{"scale-down delay 19", cr(func(c *ComputeResource) { c.ScalingPolicy = &ScalingPolicy{MinScaleDownDelayMinutes: new(19)} }),
			"computeResources.scalingPolicy.minScaleDownDelayMinutes must be 0 (unset) or between 20 and 10080 (got 19)"},
		{"scale-down delay 10081", cr(func(c *ComputeResource) { c.ScalingPolicy = &ScalingPolicy{MinScaleDownDelayMinutes: new(10081)} }),
			"minScaleDownDelayMinutes must be 0 (unset) or between 20 and 10080 (got 10081)"},
		{"instance tags", cr(func(c *ComputeResource) { c.Tags = map[string]string{"aws:x": "y"} }), `computeResources.tags keys must not start with "aws:"`},
		{"two ec2 configurations", cr(func(c *ComputeResource) {
			c.Ec2Configuration = []map[string]any{{"imageType": "ECS_AL2023"}, {"imageType": "ECS_AL2023_NVIDIA"}}
		}), ""},
		{"three ec2 configurations", cr(func(c *ComputeResource) { c.Ec2Configuration = make([]map[string]any, 3) }),
			"computeResources.ec2Configuration must have at most 2 entries (got 3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validManagedCE()
			tt.modify(in)
			wantClientError(t, ValidateCreateComputeEnvironment(in), tt.want)
		})
	}
}

func TestValidateUpdateComputeEnvironment(t *testing.T) {
	tests := []struct {
		name string
		in   UpdateComputeEnvironmentInput
		want string
	}{
		{"state only", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", State: "DISABLED"}, ""},
		{"by ARN", UpdateComputeEnvironmentInput{ComputeEnvironment: "arn:aws:batch:us-east-1:1:compute-environment/ce"}, ""},
		{"reference missing", UpdateComputeEnvironmentInput{}, "computeEnvironment is required"},
		{"reference of a queue", UpdateComputeEnvironmentInput{ComputeEnvironment: "arn:aws:batch:us-east-1:1:job-queue/ce"},
			"computeEnvironment must be a compute environment name or ARN"},
		{"bad state", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", State: "enabled"}, `state must be ENABLED or DISABLED (got "enabled")`},
		{"negative unmanaged vCPUs", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", UnmanagedvCpus: new(-1)}, "unmanagedvCpus must be at least 0"},
		{"update timeout", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", UpdatePolicy: &UpdatePolicy{JobExecutionTimeoutMinutes: new(int64(7200))}}, ""},
		{"update timeout 0", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", UpdatePolicy: &UpdatePolicy{JobExecutionTimeoutMinutes: new(int64(0))}},
			"updatePolicy.jobExecutionTimeoutMinutes must be between 1 and 7200 (got 0)"},
		{"scaling", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", ComputeResources: &ComputeResourceUpdate{MinvCpus: new(2), MaxvCpus: new(8), DesiredvCpus: new(4)}}, ""},
		{"desired only", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", ComputeResources: &ComputeResourceUpdate{DesiredvCpus: new(400)}}, ""},
		{"min above max", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", ComputeResources: &ComputeResourceUpdate{MinvCpus: new(9), MaxvCpus: new(8)}},
			"computeResources.minvCpus must not exceed maxvCpus (got minvCpus 9, maxvCpus 8)"},
		{"desired above max", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", ComputeResources: &ComputeResourceUpdate{MaxvCpus: new(8), DesiredvCpus: new(9)}},
			"computeResources.desiredvCpus must not exceed maxvCpus"},
		{"negative max", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", ComputeResources: &ComputeResourceUpdate{MaxvCpus: new(-8)}},
			"computeResources.maxvCpus must be at least 0 (got -8)"},
		{"to BEST_FIT", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", ComputeResources: &ComputeResourceUpdate{AllocationStrategy: "BEST_FIT"}},
			"computeResources.allocationStrategy cannot be changed to BEST_FIT"},
		{"to progressive", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", ComputeResources: &ComputeResourceUpdate{AllocationStrategy: "BEST_FIT_PROGRESSIVE"}}, ""},
		{"spot strategy with EC2", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", ComputeResources: &ComputeResourceUpdate{Type: "EC2", AllocationStrategy: "SPOT_CAPACITY_OPTIMIZED"}},
			"computeResources.allocationStrategy SPOT_CAPACITY_OPTIMIZED is only for SPOT compute resources"},
		{"to fargate", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", ComputeResources: &ComputeResourceUpdate{Type: "FARGATE"}},
			"computeResources.type: Fargate compute environments"},
		{"bid", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", ComputeResources: &ComputeResourceUpdate{BidPercentage: new(-1)}},
			"computeResources.bidPercentage must be between 0 and 100 (got -1)"},
		{"scale-down delay", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", ComputeResources: &ComputeResourceUpdate{ScalingPolicy: &ScalingPolicy{MinScaleDownDelayMinutes: new(5)}}},
			"computeResources.scalingPolicy.minScaleDownDelayMinutes must be 0 (unset) or between 20 and 10080 (got 5)"},
		{"empty instance type", UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", ComputeResources: &ComputeResourceUpdate{InstanceTypes: []string{""}}},
			"computeResources.instanceTypes[0] must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, ValidateUpdateComputeEnvironment(&tt.in), tt.want)
		})
	}
}

func TestCheckDesiredUpdate(t *testing.T) {
	current := ComputeResource{Type: "EC2", MinvCpus: new(2), MaxvCpus: new(16), DesiredvCpus: new(8)}
	tests := []struct {
		name string
		upd  ComputeResourceUpdate
		want string
	}{
		{"nothing", ComputeResourceUpdate{}, ""},
		{"raise desired", ComputeResourceUpdate{DesiredvCpus: new(12)}, ""},
		{"same desired", ComputeResourceUpdate{DesiredvCpus: new(8)}, ""},
		{"lower desired", ComputeResourceUpdate{DesiredvCpus: new(4)},
			"computeResources.desiredvCpus: Manually scaling down compute environment is not supported. Disconnecting job queues from compute environment will cause it to scale-down to minvCpus. (current desiredvCpus 8, requested 4)"},
		{"desired above current max", ComputeResourceUpdate{DesiredvCpus: new(17)},
			"computeResources.desiredvCpus must not exceed maxvCpus (got desiredvCpus 17, maxvCpus 16)"},
		{"desired within new max", ComputeResourceUpdate{MaxvCpus: new(32), DesiredvCpus: new(20)}, ""},
		{"desired below new min", ComputeResourceUpdate{MinvCpus: new(10), DesiredvCpus: new(9)},
			"computeResources.desiredvCpus must be at least minvCpus (got desiredvCpus 9, minvCpus 10)"},
		{"new min above current max", ComputeResourceUpdate{MinvCpus: new(17)},
			"computeResources.minvCpus must not exceed maxvCpus (got minvCpus 17, maxvCpus 16)"},
		{"new max below current min", ComputeResourceUpdate{MaxvCpus: new(1)},
			"computeResources.minvCpus must not exceed maxvCpus (got minvCpus 2, maxvCpus 1)"},
		{"lower max below desired", ComputeResourceUpdate{MaxvCpus: new(4)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, CheckDesiredUpdate(current, tt.upd), tt.want)
		})
	}
	t.Run("no current desired", func(t *testing.T) {
		cur := ComputeResource{MaxvCpus: new(16)}
		wantClientError(t, CheckDesiredUpdate(cur, ComputeResourceUpdate{DesiredvCpus: new(0)}), "")
	})
}

func TestCheckComputeResourceUpdate(t *testing.T) {
	spot := ComputeResource{Type: "SPOT", AllocationStrategy: "SPOT_CAPACITY_OPTIMIZED", MaxvCpus: new(16), DesiredvCpus: new(4)}
	ec2 := ComputeResource{Type: "EC2", AllocationStrategy: "BEST_FIT_PROGRESSIVE", MaxvCpus: new(16)}
	tests := []struct {
		name    string
		current ComputeResource
		upd     ComputeResourceUpdate
		want    string
	}{
		{"spot strategy on spot", spot, ComputeResourceUpdate{AllocationStrategy: "SPOT_PRICE_CAPACITY_OPTIMIZED"}, ""},
		{"spot strategy on EC2", ec2, ComputeResourceUpdate{AllocationStrategy: "SPOT_PRICE_CAPACITY_OPTIMIZED"},
			"computeResources.allocationStrategy SPOT_PRICE_CAPACITY_OPTIMIZED is only for SPOT compute resources (type is EC2)"},
		{"type to EC2 keeping a spot strategy", spot, ComputeResourceUpdate{Type: "EC2"},
			"computeResources.allocationStrategy SPOT_CAPACITY_OPTIMIZED is only for SPOT compute resources (type is EC2)"},
		{"type and strategy together", spot, ComputeResourceUpdate{Type: "EC2", AllocationStrategy: "BEST_FIT_PROGRESSIVE"}, ""},
		{"ordered on spot", spot, ComputeResourceUpdate{AllocationStrategy: "BEST_FIT_PROGRESSIVE_ORDERED"},
			"BEST_FIT_PROGRESSIVE_ORDERED is only for EC2 (On-Demand) compute resources (type is SPOT)"},
		{"scaling down", spot, ComputeResourceUpdate{DesiredvCpus: new(2)}, "Manually scaling down compute environment is not supported."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, CheckComputeResourceUpdate(tt.current, tt.upd), tt.want)
		})
	}
}
