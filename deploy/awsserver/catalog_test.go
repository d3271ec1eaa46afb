package awsserver_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/infra/ec2catalog/catalogtest"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/infra/pricelist/pricelisttest"
	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/provisioner/prices"
)

// TestComputeEnvironmentsOfEC2sTypesLaunchWhatTheyPlan opens a stack on
// moto with EC2's own catalogue (no override: the backend lists moto's
// types and stores them), creates compute environments of the names
// people give (exact types, families, optimal, default_arm64; On-Demand
// and Spot), submits a job to each, runs one provisioner pass and checks
// that CreateFleet launched the planned types and desiredvCpus follows.
func TestComputeEnvironmentsOfEC2sTypesLaunchWhatTheyPlan(t *testing.T) {
	awsCfg, st := motoStack(t)
	ctx := context.Background()
	if _, err := awsserver.Init(ctx, awsCfg, st, awsserver.InitOptions{AMI: "ami-12c6146b", Logger: quiet()}); err != nil {
		t.Fatalf("Init: %v", err)
	}
	b, err := awsserver.OpenBackend(ctx, awsCfg, st, awsserver.BackendOptions{Logger: quiet()})
	if err != nil {
		t.Fatalf("OpenBackend: %v", err)
	}
	cat := catalogtest.Moto(t)
	api := ec2.NewFromConfig(awsCfg)

	type job struct {
		vcpus, memory, gpus string
	}
	cases := []struct {
		name, crType, strategy string
		instanceTypes          []string
		job                    job
	}{
		{"exact", batch.ComputeEC2, "BEST_FIT_PROGRESSIVE", []string{"c5.large"}, job{"2", "2048", ""}},
		{"family-spot", batch.ComputeSpot, "SPOT_PRICE_CAPACITY_OPTIMIZED", []string{"m5"}, job{"4", "8192", ""}},
		{"gpu", batch.ComputeEC2, "BEST_FIT_PROGRESSIVE", []string{"g5.xlarge"}, job{"4", "8192", "1"}},
		{"optimal", batch.ComputeEC2, "BEST_FIT_PROGRESSIVE", []string{"optimal"}, job{"2", "4096", ""}},
		{"arm-spot", batch.ComputeSpot, "SPOT_CAPACITY_OPTIMIZED", []string{"default_arm64"}, job{"2", "4096", ""}},
	}
	for _, c := range cases {
		maxv := 64
		if _, err := b.Control.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
			ComputeEnvironmentName: c.name, Type: batch.TypeManaged,
			ComputeResources: &batch.ComputeResource{
				Type: c.crType, AllocationStrategy: c.strategy, MaxvCpus: &maxv, InstanceTypes: c.instanceTypes,
			},
		}); err != nil {
			t.Fatalf("%s: CreateComputeEnvironment(%v): %v", c.name, c.instanceTypes, err)
		}
		if _, err := b.Control.CreateJobQueue(ctx, &batch.CreateJobQueueInput{
			JobQueueName: c.name, Priority: new(1),
			ComputeEnvironmentOrder: []batch.ComputeEnvironmentOrder{{Order: 1, ComputeEnvironment: c.name}},
		}); err != nil {
			t.Fatalf("%s: CreateJobQueue: %v", c.name, err)
		}
		reqs := []batch.ResourceRequirement{{Type: batch.ResourceVCPU, Value: c.job.vcpus}, {Type: batch.ResourceMemory, Value: c.job.memory}}
		if c.job.gpus != "" {
			reqs = append(reqs, batch.ResourceRequirement{Type: batch.ResourceGPU, Value: c.job.gpus})
		}
		if _, err := b.Control.RegisterJobDefinition(ctx, &batch.RegisterJobDefinitionInput{
			JobDefinitionName: c.name, Type: "container",
			ContainerProperties: &batch.ContainerProperties{Image: "busybox", Command: []string{"true"}, ResourceRequirements: reqs},
		}); err != nil {
			t.Fatalf("%s: RegisterJobDefinition: %v", c.name, err)
		}
		if _, err := b.Control.SubmitJob(ctx, &batch.SubmitJobInput{JobName: c.name, JobQueue: c.name, JobDefinition: c.name}); err != nil {
			t.Fatalf("%s: SubmitJob: %v", c.name, err)
		}
	}

	if err := b.Provisioner(ctx).Reconcile(ctx); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	t.Cleanup(func() { terminateStack(t, api, st.Stack) })

	for _, c := range cases {
		allowed, err := cat.ExpandFor(c.instanceTypes, c.crType)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		launched := launchedTypes(t, api, st.Stack, c.name)
		if len(launched) == 0 {
			t.Errorf("%s: nothing launched for %v", c.name, c.instanceTypes)
			continue
		}
		vcpus := 0.0
		for _, typ := range launched {
			i := slices.IndexFunc(allowed, func(it provisioner.InstanceType) bool { return it.Name == typ })
			if i < 0 {
				t.Errorf("%s: launched %s, which %v does not allow", c.name, typ, c.instanceTypes)
				continue
			}
			vcpus += allowed[i].VCPUs
		}
		ces, err := b.Control.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{c.name}})
		if err != nil || len(ces.ComputeEnvironments) != 1 {
			t.Fatalf("%s: DescribeComputeEnvironments: %v", c.name, err)
		}
		t.Logf("%s (%s %v): launched %v", c.name, c.crType, c.instanceTypes, launched)
		if got := *ces.ComputeEnvironments[0].ComputeResources.DesiredvCpus; float64(got) != vcpus {
			t.Errorf("%s: desiredvCpus %d, want the %v vCPUs launched (%v)", c.name, got, vcpus, launched)
		}
	}
}

// TestCatalogPricesComeFromThePriceListAPI opens stacks on moto (EC2's
// types, the items table) whose Price List API is a stand-in answering in
// its wire format (moto has none), and checks that the catalogue takes
// the API's prices over the generated table's, keeps them when the API
// later denies, and keeps the table's when it denies from the start.
func TestCatalogPricesComeFromThePriceListAPI(t *testing.T) {
	ctx := context.Background()
	tableC5, _ := prices.OnDemand(mototest.Region, "c5.large")
	tableM5, _ := prices.OnDemand(mototest.Region, "m5.large")
	const apiC5 = 0.5 // far from the table's, to tell them apart
	api := pricelisttest.NewServer(t, []string{
		pricelisttest.Product{InstanceType: "c5.large", Region: mototest.Region, OnDemand: []string{"0.5000000000"}}.JSON(),
	})
	clock := batchtest.NewClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	open := func(priceList string) *awsserver.Backend {
		t.Helper()
		awsCfg, st := motoStack(t)
		if _, err := awsserver.Init(ctx, awsCfg, st, awsserver.InitOptions{AMI: "ami-12c6146b", Logger: quiet()}); err != nil {
			t.Fatalf("Init: %v", err)
		}
		b, err := awsserver.OpenBackend(ctx, awsCfg, st, awsserver.BackendOptions{Logger: quiet(), Clock: clock, PriceListEndpoint: priceList})
		if err != nil {
			t.Fatalf("OpenBackend: %v", err)
		}
		return b
	}
	check := func(when string, b *awsserver.Backend, name string, want float64) {
		t.Helper()
		got, ok := awsserver.CatalogOf(b).Lookup(name)
		if !ok || got.PricePerHour != want || got.PriceEstimated {
			t.Errorf("%s: %s costs %v (estimated %v), want %v, not estimated", when, name, got.PricePerHour, got.PriceEstimated, want)
		}
	}

	b := open(api.URL)
	check("the API answering", b, "c5.large", apiC5)
	check("the API answering", b, "m5.large", tableM5) // the API did not price it
	reqs := api.Requests()
	if len(reqs) != 1 || reqs[0].SigningRegion != mototest.Region || !slices.Contains(reqs[0].Filters,
		pricelisttest.Filter{Type: "TERM_MATCH", Field: "regionCode", Value: mototest.Region}) {
		t.Errorf("Price List calls %+v, want one, for the stack's region", reqs)
	}

	clock.Advance(25 * time.Hour) // the stored catalogue is old: it is listed, and priced, anew
	api.SetDenied(true)
	if err := b.RefreshCatalog(ctx); err != nil {
		t.Fatalf("RefreshCatalog: %v", err)
	}
	if len(api.Requests()) != 2 {
		t.Errorf("%d Price List calls, want a second one with the new listing", len(api.Requests()))
	}
	check("the API denying after a day", b, "c5.large", apiC5)

	denied := open(api.URL) // a new stack: nothing stored
	check("the API denying from the start", denied, "c5.large", tableC5)
	check("the API denying from the start", denied, "m5.large", tableM5)
}

func TestComputeEnvironmentsRefuseWhatEC2DoesNotOffer(t *testing.T) {
	awsCfg, st := motoStack(t)
	ctx := context.Background()
	cat := catalogtest.Moto(t)
	b, err := awsserver.OpenBackend(ctx, awsCfg, st, awsserver.BackendOptions{Logger: quiet(), Catalog: cat})
	if err != nil {
		t.Fatalf("OpenBackend: %v", err)
	}
	types := cat.Types()
	noSpot := types[slices.IndexFunc(types, func(t provisioner.InstanceType) bool { return t.NoSpot && !t.NoOnDemand })]
	maxv := 64
	for _, tt := range []struct {
		crType string
		types  []string
		want   string
	}{
		{batch.ComputeSpot, []string{noSpot.Name}, noSpot.Name + " is not offered as Spot capacity"},
		{batch.ComputeEC2, []string{"c5.huge"}, `unknown instance type or family "c5.huge"`},
		{batch.ComputeEC2, []string{"c5.large", "m6g.large"}, "mix architectures"},
	} {
		_, err := b.Control.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
			ComputeEnvironmentName: "refused", Type: batch.TypeManaged,
			ComputeResources: &batch.ComputeResource{Type: tt.crType, MaxvCpus: &maxv, InstanceTypes: tt.types,
				AllocationStrategy: map[string]string{batch.ComputeSpot: "SPOT_CAPACITY_OPTIMIZED", batch.ComputeEC2: "BEST_FIT"}[tt.crType]},
		})
		if err == nil || !batch.IsClientError(err) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: error %v, want a ClientException saying %q", tt.crType, tt.types, err, tt.want)
		}
	}
}

// launchedTypes lists the types of the stack's instances of a compute
// environment.
func launchedTypes(t *testing.T, api *ec2.Client, stack, ce string) []string {
	t.Helper()
	out, err := api.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + ec2fleet.TagStack), Values: []string{stack}},
		{Name: aws.String("tag:" + ec2fleet.TagComputeEnvironment), Values: []string{ce}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}},
	}})
	if err != nil {
		t.Fatalf("DescribeInstances: %v", err)
	}
	var types []string
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			types = append(types, string(i.InstanceType))
		}
	}
	return types
}

// terminateStack terminates the stack's instances.
func terminateStack(t *testing.T, api *ec2.Client, stack string) {
	ctx := context.Background()
	out, err := api.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + ec2fleet.TagStack), Values: []string{stack}},
	}})
	if err != nil {
		t.Logf("listing the stack's instances: %v", err)
		return
	}
	var ids []string
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			ids = append(ids, aws.ToString(i.InstanceId))
		}
	}
	if len(ids) > 0 {
		_, _ = api.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids})
	}
}
