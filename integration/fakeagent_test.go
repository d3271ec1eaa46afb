//go:build unix

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
)

// fakeAgentEnv names the directory the fake agent writes its report in;
// when it is set, the test binary plays the agent instead of running
// tests (see TestMain).
const fakeAgentEnv = "TANDA_FAKE_AGENT_DIR"

// fakeAgentReport is what the fake agent saw of its instance.
type fakeAgentReport struct {
	Identity           imds.Identity     `json:"identity"`
	Lifecycle          string            `json:"lifecycle"` // Identity's is not encoded
	Settings           awsstack.Settings `json:"settings"`
	ComputeEnvironment string            `json:"computeEnvironment"`
	Region             string            `json:"region"`
	AccessKeyID        string            `json:"accessKeyId"`
	PID                int               `json:"pid"`
}

// fakeAgentCommand runs this test binary as the fake agent.
func fakeAgentCommand() ([]string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the test binary: %w", err)
	}
	return []string{self}, nil
}

// runFakeAgent plays `tanda agent` as far as the harness is concerned: it
// reads its instance from IMDS the way the agent does, writes what it saw
// to dir/<instance id>.json and waits to be killed (giving up after two
// minutes, so that it never outlives a crashed test for long).
func runFakeAgent(dir string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	report, err := readInstance(ctx, os.Getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake agent:", err)
		return 1
	}
	if err := writeReport(dir, report); err != nil {
		fmt.Fprintln(os.Stderr, "fake agent:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "fake agent: instance %s reported; waiting\n", report.Identity.InstanceID)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-stop:
	case <-time.After(2 * time.Minute):
	}
	return 0
}

func readInstance(ctx context.Context, endpoint string) (fakeAgentReport, error) {
	c := imds.New(endpoint, imds.Options{})
	id, err := c.Identity(ctx)
	if err != nil {
		return fakeAgentReport{}, err
	}
	ud, err := c.UserData(ctx)
	if err != nil {
		return fakeAgentReport{}, err
	}
	settings, err := awsstack.ParseUserData(ud)
	if err != nil {
		return fakeAgentReport{}, err
	}
	ce, found, err := c.InstanceTag(ctx, ec2fleet.TagComputeEnvironment)
	if err != nil || !found {
		return fakeAgentReport{}, fmt.Errorf("no compute environment tag (found %v): %v", found, err)
	}
	return fakeAgentReport{
		Identity: id, Lifecycle: id.Lifecycle, Settings: settings, ComputeEnvironment: ce,
		Region: os.Getenv("AWS_REGION"), AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"), PID: os.Getpid(),
	}, nil
}

// writeReport writes the report where the test finds it, whole or not at
// all.
func writeReport(dir string, r fakeAgentReport) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding the report: %w", err)
	}
	tmp := filepath.Join(dir, "."+r.Identity.InstanceID+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if err := os.Rename(tmp, reportPath(dir, r.Identity.InstanceID)); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

func reportPath(dir, instanceID string) string {
	return filepath.Join(dir, instanceID+".json")
}
