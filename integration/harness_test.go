//go:build unix

package integration

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/integration/instances"
)

// The image and instance type of the test instances: one moto knows, and
// one of Tanda's catalogue.
const (
	testAMI  = "ami-12c6146b"
	testType = ec2types.InstanceTypeM6iLarge
)

// harnessTimeout bounds each wait on the harness in these tests.
const harnessTimeout = 15 * time.Second

// tandaTags are the tags Tanda's fleet puts on an instance.
func tandaTags(stack, ce string) []ec2types.TagSpecification {
	return []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: []ec2types.Tag{
		{Key: aws.String(ec2fleet.TagStack), Value: aws.String(stack)},
		{Key: aws.String(ec2fleet.TagComputeEnvironment), Value: aws.String(ce)},
		{Key: aws.String(ec2fleet.TagManagedBy), Value: aws.String(ec2fleet.ManagedByValue)},
	}}}
}

// runInstance starts an on-demand instance with RunInstances.
func runInstance(t *testing.T, client *ec2.Client, subnet, stack, ce string, userData []byte) string {
	t.Helper()
	out, err := client.RunInstances(t.Context(), &ec2.RunInstancesInput{
		ImageId: aws.String(testAMI), InstanceType: testType,
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: aws.String(subnet),
		UserData:          aws.String(base64.StdEncoding.EncodeToString(userData)),
		TagSpecifications: tandaTags(stack, ce),
	})
	if err != nil || len(out.Instances) != 1 {
		t.Fatalf("RunInstances: %v", err)
	}
	return aws.ToString(out.Instances[0].InstanceId)
}

// launchSpot starts a Spot instance the way Tanda's provisioner does: an
// instant CreateFleet from a launch template holding the user data.
func launchSpot(t *testing.T, client *ec2.Client, subnet, stack, ce string, settings awsstack.Settings, userData []byte) string {
	t.Helper()
	ctx := t.Context()
	_, err := client.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String(settings.LaunchTemplate),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{
			ImageId: aws.String(testAMI), InstanceType: testType,
			UserData: aws.String(base64.StdEncoding.EncodeToString(userData)),
		},
	})
	if err != nil {
		t.Fatalf("CreateLaunchTemplate: %v", err)
	}
	out, err := client.CreateFleet(ctx, &ec2.CreateFleetInput{
		Type: ec2types.FleetTypeInstant,
		LaunchTemplateConfigs: []ec2types.FleetLaunchTemplateConfigRequest{{
			LaunchTemplateSpecification: &ec2types.FleetLaunchTemplateSpecificationRequest{
				LaunchTemplateName: aws.String(settings.LaunchTemplate), Version: aws.String("$Default"),
			},
			Overrides: []ec2types.FleetLaunchTemplateOverridesRequest{{InstanceType: testType, SubnetId: aws.String(subnet)}},
		}},
		TargetCapacitySpecification: &ec2types.TargetCapacitySpecificationRequest{
			TotalTargetCapacity: aws.Int32(1), DefaultTargetCapacityType: ec2types.DefaultTargetCapacityTypeSpot,
		},
		TagSpecifications: tandaTags(stack, ce),
	})
	if err != nil || len(out.Instances) != 1 || len(out.Instances[0].InstanceIds) != 1 {
		t.Fatalf("CreateFleet = %+v, %v; want one instance", out, err)
	}
	return out.Instances[0].InstanceIds[0]
}

// fakeAgents runs a harness on the stack whose agents are the fake agent,
// reporting in dir.
func fakeAgents(t *testing.T, client *ec2.Client, stack, dir string) *instances.Harness {
	t.Helper()
	command, err := fakeAgentCommand()
	if err != nil {
		t.Fatal(err)
	}
	return instances.Run(t, instances.Options{
		EC2: client, Stack: stack, Region: mototest.Region, Credentials: mototest.Credentials(),
		Command: command, Env: []string{fakeAgentEnv + "=" + dir},
	})
}

// await waits until cond holds, re-checking after each poll.
func await(t *testing.T, h *instances.Harness, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), harnessTimeout)
	defer cancel()
	if err := h.Await(ctx, cond); err != nil {
		t.Fatalf("waiting until %s: %v", what, err)
	}
}

// awaitReport waits for the fake agent of the instance to report.
func awaitReport(t *testing.T, h *instances.Harness, dir, id string) fakeAgentReport {
	t.Helper()
	var r fakeAgentReport
	await(t, h, "the agent of "+id+" reports", func() bool {
		data, err := os.ReadFile(reportPath(dir, id))
		return err == nil && json.Unmarshal(data, &r) == nil
	})
	return r
}

func TestHarnessPlaysTheStacksInstances(t *testing.T) {
	client, endpoint := motoEC2(t)
	stack := uniqueName("it")
	subnets, _ := defaultNetwork(t, client)
	subnet := subnets[0]
	settings := awsstack.Settings{Stack: stack, Region: mototest.Region, Endpoint: endpoint}.WithDefaults()
	userData, err := settings.AgentScript("")
	if err != nil {
		t.Fatal(err)
	}
	onDemand := runInstance(t, client, subnet, stack, "ce-od", userData)
	spot := launchSpot(t, client, subnet, stack, "ce-spot", settings, userData)
	stranger := runInstance(t, client, subnet, uniqueName("other"), "ce-od", userData)

	dir := t.TempDir()
	h := fakeAgents(t, client, stack, dir)
	want := []string{onDemand, spot}
	slices.Sort(want)
	await(t, h, "both instances have agents", func() bool { return slices.Equal(h.Agents(), want) })

	for _, c := range []struct{ id, lifecycle, ce string }{
		{onDemand, "on-demand", "ce-od"},
		{spot, "spot", "ce-spot"},
	} {
		got := awaitReport(t, h, dir, c.id)
		a, _ := h.Agent(c.id)
		wantID := imds.Identity{
			InstanceID: c.id, InstanceType: string(testType), Region: mototest.Region,
			AvailabilityZone: a.Metadata.AvailabilityZone, AccountID: "123456789012", ImageID: testAMI,
		}
		if got.Identity != wantID || a.Metadata.AvailabilityZone == "" {
			t.Errorf("%s: agent saw identity %+v, want %+v", c.id, got.Identity, wantID)
		}
		if got.Lifecycle != c.lifecycle || got.ComputeEnvironment != c.ce {
			t.Errorf("%s: agent saw lifecycle %q, compute environment %q; want %q, %q", c.id, got.Lifecycle, got.ComputeEnvironment, c.lifecycle, c.ce)
		}
		if got.Settings != settings {
			t.Errorf("%s: agent saw settings %+v, want %+v", c.id, got.Settings, settings)
		}
		if got.Region != mototest.Region || got.AccessKeyID != "AKIDTEST" || got.PID != a.PID {
			t.Errorf("%s: agent had region %q, key %q, pid %d; want %s, AKIDTEST, %d", c.id, got.Region, got.AccessKeyID, got.PID, mototest.Region, a.PID)
		}
	}
	if _, ok := h.Agent(stranger); ok {
		t.Errorf("the harness played %s, an instance of another stack", stranger)
	}

	// The provisioner terminates an instance: its agent is killed.
	if _, err := client.TerminateInstances(t.Context(), &ec2.TerminateInstancesInput{InstanceIds: []string{onDemand}}); err != nil {
		t.Fatalf("TerminateInstances: %v", err)
	}
	await(t, h, "the terminated instance's agent is gone", func() bool { return slices.Equal(h.Agents(), []string{spot}) })
	if a, _ := h.Agent(onDemand); !a.Killed || !killedBySIGKILL(a.Err) {
		t.Errorf("agent of the terminated instance: %+v, want killed by SIGKILL", a)
	}

	// A Spot interruption: notice first, termination at its time.
	a, _ := h.Agent(spot)
	c := imds.New(a.IMDS, imds.Options{})
	if n, err := c.SpotInterruption(t.Context()); err != nil || n != nil {
		t.Fatalf("spot notice before Interrupt = %+v, %v; want none", n, err)
	}
	if err := h.Interrupt(spot, 2*time.Second); err != nil {
		t.Fatalf("Interrupt: %v", err)
	}
	n, err := c.SpotInterruption(t.Context())
	if err != nil || n == nil || n.Action != "terminate" || time.Until(n.Time) > 3*time.Second {
		t.Fatalf("spot notice = %+v, %v; want terminate within 3s", n, err)
	}
	if got := h.Agents(); !slices.Equal(got, []string{spot}) {
		t.Errorf("agents right after the notice = %v, want the interrupted one still running", got)
	}
	await(t, h, "the interrupted instance's agent is gone", func() bool { return len(h.Agents()) == 0 })
	if now := time.Now(); now.Before(n.Time) {
		t.Errorf("agent killed at %v, before the notice's time %v", now, n.Time)
	}
	if s := stateOf(t, client, spot); s == ec2types.InstanceStateNameRunning || s == ec2types.InstanceStateNamePending {
		t.Errorf("interrupted instance is %s in EC2, want it terminated", s)
	}
}

func killedBySIGKILL(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}
