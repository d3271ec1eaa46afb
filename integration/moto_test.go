//go:build unix

package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/integration/instances"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// motoEC2 is an EC2 client of the moto server `make test` starts, or
// skips the test without one.
func motoEC2(t *testing.T) (*ec2.Client, string) {
	t.Helper()
	endpoint := mototest.Endpoint(t)
	return ec2.New(ec2.Options{
		Region:       mototest.Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  mototest.Credentials(),
		HTTPClient:   awsclient.HTTPClient(),
	}), endpoint
}

// instanceRole is the name of stack's instance role: the agent API accepts
// only its sessions (moto's STS assumes a role whether or not IAM has it).
func instanceRole(stack string) string { return stack + "-InstanceRole" }

// agentSessions gives each agent the harness plays a session of stack's
// instance role named after its instance, from moto's STS at endpoint, as
// EC2 gives an instance its role's credentials.
func agentSessions(endpoint, stack string) func(ctx context.Context, instanceID, account string) (aws.Credentials, error) {
	api := sts.New(sts.Options{
		Region: mototest.Region, BaseEndpoint: aws.String(endpoint), Credentials: mototest.Credentials(), HTTPClient: awsclient.HTTPClient(),
	})
	return instances.RoleSessions(api, instanceRole(stack))
}

// uniqueName is prefix and random hex: a stack or resource name no other
// test sharing the moto server uses.
func uniqueName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return prefix + "-" + hex.EncodeToString(b)
}

// resetMoto wipes all of moto's state. Only for a moto server this suite
// has to itself: see README.md.
func resetMoto(ctx context.Context, endpoint string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(endpoint, "/")+"/moto-api/reset", nil)
	if err != nil {
		return fmt.Errorf("resetting moto: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("resetting moto: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
		return fmt.Errorf("resetting moto: status %d: %s", res.StatusCode, body)
	}
	return nil
}

// defaultNetwork finds two subnets and the default security group of
// moto's default VPC.
func defaultNetwork(t *testing.T, client *ec2.Client) (subnets []string, group string) {
	t.Helper()
	ctx := t.Context()
	vpcs, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{
		{Name: aws.String("is-default"), Values: []string{"true"}},
	}})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Fatalf("describing the default VPC: %v", err)
	}
	inVPC := ec2types.Filter{Name: aws.String("vpc-id"), Values: []string{aws.ToString(vpcs.Vpcs[0].VpcId)}}
	subs, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
		inVPC, {Name: aws.String("default-for-az"), Values: []string{"true"}},
	}})
	if err != nil || len(subs.Subnets) < 2 {
		t.Fatalf("describing the default subnets: %v (want 2 or more)", err)
	}
	groups, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		inVPC, {Name: aws.String("group-name"), Values: []string{"default"}},
	}})
	if err != nil || len(groups.SecurityGroups) != 1 {
		t.Fatalf("describing the default security group: %v", err)
	}
	for _, s := range subs.Subnets[:2] {
		subnets = append(subnets, aws.ToString(s.SubnetId))
	}
	return subnets, aws.ToString(groups.SecurityGroups[0].GroupId)
}

// stateOf is the instance's state in EC2.
func stateOf(t *testing.T, client *ec2.Client, id string) ec2types.InstanceStateName {
	t.Helper()
	out, err := client.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil || len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		t.Fatalf("describing %s: %v", id, err)
	}
	return out.Reservations[0].Instances[0].State.Name
}
