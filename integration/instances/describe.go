//go:build unix

package instances

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// tagStack is the tag naming an instance's Tanda stack (ec2fleet.TagStack).
const tagStack = "tanda:stack"

// observed is an instance DescribeInstances reported running, with the
// account that owns its reservation.
type observed struct {
	inst  ec2types.Instance
	owner string
}

// describeLive lists the stack's pending and running instances, by id.
func (h *Harness) describeLive(ctx context.Context) (map[string]observed, error) {
	in := &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + tagStack), Values: []string{h.opts.Stack}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}},
	}}
	live := map[string]observed{}
	pages := ec2.NewDescribeInstancesPaginator(h.opts.EC2, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing the instances of stack %s: %w", h.opts.Stack, err)
		}
		for _, r := range page.Reservations {
			for _, i := range r.Instances {
				live[aws.ToString(i.InstanceId)] = observed{inst: i, owner: aws.ToString(r.OwnerId)}
			}
		}
	}
	return live, nil
}
