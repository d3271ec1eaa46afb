package ec2fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/provisioner"

	"github.com/tanda-batch/tanda/batch/batchtest"
)

// motoEC2 is an EC2 client of the moto server `make test` starts
// (scripts/moto.sh).
func motoEC2(t *testing.T) *ec2.Client {
	t.Helper()
	endpoint := mototest.Endpoint(t)
	return ec2.New(ec2.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  mototest.Credentials(),
	})
}

// motoFleet is a fleet of a stack of its own on moto, with a launch
// template and the default VPC's subnets, and the client behind it.
func motoFleet(t *testing.T, clock *fakeClock) (*Fleet, *ec2.Client) {
	t.Helper()
	client := motoEC2(t)
	ctx := context.Background()
	stack := "test-" + randomHex(6)
	subnets, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
		{Name: aws.String("default-for-az"), Values: []string{"true"}},
	}})
	if err != nil || len(subnets.Subnets) < 2 {
		t.Fatalf("describing default subnets: %v (%d found, want 2 or more)", err, len(subnets.Subnets))
	}
	var ids []string
	for _, s := range subnets.Subnets[:2] {
		ids = append(ids, aws.ToString(s.SubnetId))
	}
	lt, err := client.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("tanda-" + stack),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{
			ImageId:      aws.String("ami-12c6146b"),
			InstanceType: ec2types.InstanceTypeT3Micro,
			MetadataOptions: &ec2types.LaunchTemplateInstanceMetadataOptionsRequest{
				HttpTokens: ec2types.LaunchTemplateHttpTokensStateRequired, HttpPutResponseHopLimit: aws.Int32(1),
			},
		},
	})
	if err != nil {
		t.Fatalf("creating launch template: %v", err)
	}
	f := New(client, Options{Stack: stack, LaunchTemplateID: aws.ToString(lt.LaunchTemplate.LaunchTemplateId), Subnets: ids, Clock: clock})
	return f, client
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tagsOf returns the tags of an instance as moto reports them.
func tagsOf(t *testing.T, client *ec2.Client, id string) map[string]string {
	t.Helper()
	out, err := client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil || len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		t.Fatalf("describing %s: %v", id, err)
	}
	tags := map[string]string{}
	for _, tag := range out.Reservations[0].Instances[0].Tags {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return tags
}

func ids(list []provisioner.Instance) []string {
	var out []string
	for _, i := range list {
		out = append(out, i.ID)
	}
	slices.Sort(out)
	return out
}

// catalogue is moto's (and EC2's) capacity of the types the tests use.
var catalogue = map[string]capacity{"m5.large": {2, 8192, 0}, "c5.xlarge": {4, 8192, 0}}

func TestLaunchListTerminateOnMoto(t *testing.T) {
	clock := batchtest.NewClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	f, client := motoFleet(t, clock)
	ctx := context.Background()
	ce := computeEnvironment("onDemand", "EC2", "BEST_FIT_PROGRESSIVE", map[string]string{"team": "genomics"})
	req := provisioner.LaunchRequest{CE: ce, ClientToken: "tanda-" + randomHex(16), Items: []provisioner.LaunchItem{
		{Type: m5large, Count: 2}, {Type: c5xlarge, Count: 1},
	}}

	launched, err := f.Launch(ctx, req)
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	if len(launched) != 3 {
		t.Fatalf("launched %d instances, want 3: %+v", len(launched), launched)
	}
	// Each type is launched as planned (one CreateFleet per type).
	perType := map[string]int{}
	for _, in := range launched {
		perType[in.Type]++
	}
	if perType[m5large.Name] != 2 || perType[c5xlarge.Name] != 1 {
		t.Errorf("launched types %v, want 2 x %s and 1 x %s", perType, m5large.Name, c5xlarge.Name)
	}
	for _, in := range launched {
		c, ok := catalogue[in.Type]
		if !ok || in.VCPUs != c.vcpus || in.MemoryMiB != c.memoryMiB || in.Spot || in.State != provisioner.InstancePending || !in.LaunchedAt.Equal(clock.Now()) {
			t.Errorf("launched %+v, want a pending on-demand m5.large or c5.xlarge with its capacity, launched now", in)
		}
		tags := tagsOf(t, client, in.ID)
		want := map[string]string{TagStack: f.opts.Stack, TagComputeEnvironment: "onDemand", TagManagedBy: "tanda", "team": "genomics"}
		for k, v := range want {
			if tags[k] != v {
				t.Errorf("instance %s tag %s = %q, want %q", in.ID, k, tags[k], v)
			}
		}
	}

	listed, err := f.Instances(ctx, "onDemand")
	if err != nil {
		t.Fatalf("Instances: %v", err)
	}
	if got, want := ids(listed), ids(launched); !slices.Equal(got, want) {
		t.Fatalf("Instances = %v, want %v", got, want)
	}
	for _, in := range listed {
		c := catalogue[in.Type]
		if in.VCPUs != c.vcpus || in.MemoryMiB != c.memoryMiB || in.Spot || in.State != provisioner.InstanceRunning || in.LaunchedAt.IsZero() {
			t.Errorf("listed %+v, want a running on-demand instance with its type's capacity and launch time", in)
		}
	}
	if other, err := f.Instances(ctx, "elsewhere"); err != nil || len(other) != 0 {
		t.Errorf("Instances(elsewhere) = %v, %v; want none", other, err)
	}

	again, err := f.Launch(ctx, req)
	if err != nil || !slices.Equal(ids(again), ids(launched)) {
		t.Errorf("repeated Launch = %v, %v; want the first call's %v", ids(again), err, ids(launched))
	}
	if listed, _ := f.Instances(ctx, "onDemand"); len(listed) != 3 {
		t.Errorf("%d instances after a repeated launch, want 3", len(listed))
	}

	if err := f.Terminate(ctx, "onDemand", ids(launched)); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	if listed, err := f.Instances(ctx, "onDemand"); err != nil || len(listed) != 0 {
		t.Errorf("Instances after Terminate = %+v, %v; want none", listed, err)
	}
	gone := append(ids(launched), "i-0123456789abcdef0")
	if err := f.Terminate(ctx, "onDemand", gone); err != nil {
		t.Errorf("Terminate of instances already gone: %v, want nil", err)
	}
}

func TestTokenExpiryAndTerminateUnknownOnMoto(t *testing.T) {
	clock := batchtest.NewClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	f, _ := motoFleet(t, clock)
	ctx := context.Background()
	req := provisioner.LaunchRequest{
		CE: computeEnvironment("ce", "EC2", "BEST_FIT", nil), ClientToken: "tanda-" + randomHex(16),
		Items: []provisioner.LaunchItem{{Type: m5large, Count: 1}},
	}
	first, err := f.Launch(ctx, req)
	if err != nil || len(first) != 1 {
		t.Fatalf("Launch = %v, %v; want one instance", first, err)
	}
	clock.Advance(TokenTTL)
	second, err := f.Launch(ctx, req)
	if err != nil || len(second) != 1 || second[0].ID == first[0].ID {
		t.Fatalf("Launch after the token expired = %v, %v; want a new instance", second, err)
	}
	// EC2 fails a whole TerminateInstances call naming an unknown id: the
	// live instances of the batch must still go.
	if err := f.Terminate(ctx, "ce", []string{"i-0123456789abcdef0", first[0].ID, second[0].ID}); err != nil {
		t.Fatalf("Terminate with an unknown id: %v", err)
	}
	if listed, err := f.Instances(ctx, "ce"); err != nil || len(listed) != 0 {
		t.Errorf("Instances after Terminate = %+v, %v; want none", listed, err)
	}
}

func TestSpotLaunchOnMoto(t *testing.T) {
	clock := batchtest.NewClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	f, client := motoFleet(t, clock)
	ctx := context.Background()
	ce := computeEnvironment("spot", "SPOT", "SPOT_PRICE_CAPACITY_OPTIMIZED", map[string]string{"cost-center": "42"})
	launched, err := f.Launch(ctx, provisioner.LaunchRequest{CE: ce, ClientToken: "tanda-" + randomHex(16), Items: []provisioner.LaunchItem{{Type: c5xlarge, Count: 2}}})
	if err != nil || len(launched) != 2 {
		t.Fatalf("Launch = %+v, %v; want two instances", launched, err)
	}
	listed, err := f.Instances(ctx, "spot")
	if err != nil {
		t.Fatalf("Instances: %v", err)
	}
	if got, want := ids(listed), ids(launched); !slices.Equal(got, want) {
		t.Fatalf("Instances = %v, want %v", got, want)
	}
	for i := range listed {
		if !launched[i].Spot || !listed[i].Spot || listed[i].Type != "c5.xlarge" || listed[i].VCPUs != 4 {
			t.Errorf("launched %+v, listed %+v; want spot c5.xlarge with 4 vCPUs", launched[i], listed[i])
		}
		if tag := tagsOf(t, client, listed[i].ID)["cost-center"]; tag != "42" {
			t.Errorf("instance %s tag cost-center = %q, want 42", listed[i].ID, tag)
		}
	}
	if err := f.Terminate(ctx, "spot", ids(launched)); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
}
