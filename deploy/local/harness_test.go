package local

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/internal/awsclient"
	"github.com/tanda-batch/tanda/scheduler"
)

// tanda is a one-machine Tanda running for a test.
type tanda struct {
	*Server
	dir    string
	client *awsbatch.Client
	cfg    aws.Config
}

// fastConfig shortens every interval so tests finish in seconds.
func fastConfig(dir string) Config {
	return Config{
		DataDir:        dir,
		Listen:         "127.0.0.1:0",
		IdleGrace:      2 * time.Second,
		LeaseDuration:  3 * time.Second,
		HeartbeatEvery: 200 * time.Millisecond,
		KillGrace:      time.Second,
		ProvisionEvery: 100 * time.Millisecond,
		Scheduler: scheduler.Options{
			QueuePassEvery: 200 * time.Millisecond,
			SweepEvery:     500 * time.Millisecond,
			Stale:          2 * time.Second,
			StalePending:   5 * time.Second,
		},
		Logger: testLogger(),
	}
}

func testLogger() *slog.Logger {
	if os.Getenv("TANDA_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startTanda runs Tanda in the background until the test ends.
func startTanda(t *testing.T, mutate ...func(*Config)) *tanda {
	t.Helper()
	dir := t.TempDir()
	cfg := fastConfig(dir)
	for _, m := range mutate {
		m(&cfg)
	}
	return runTanda(t, cfg)
}

func runTanda(t testing.TB, cfg Config) *tanda {
	t.Helper()
	srv, _ := runUntilStopped(t, cfg)
	return connect(t, srv, cfg)
}

// connect is a client of srv, with the credentials it wrote.
func connect(t testing.TB, srv *Server, cfg Config) *tanda {
	t.Helper()
	awsCfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithSharedCredentialsFiles([]string{filepath.Join(cfg.DataDir, "credentials")}),
		config.WithSharedConfigFiles([]string{filepath.Join(cfg.DataDir, "config")}),
		config.WithSharedConfigProfile(kit.Profile),
	)
	if err != nil {
		t.Fatalf("loading the credentials tanda wrote: %v", err)
	}
	awsCfg.HTTPClient = awsclient.Wrap(awsCfg.HTTPClient)
	client := awsbatch.NewFromConfig(awsCfg, func(o *awsbatch.Options) { o.BaseEndpoint = aws.String(srv.Endpoint()) })
	return &tanda{Server: srv, dir: cfg.DataDir, client: client, cfg: awsCfg}
}

// runUntilStopped runs Tanda on cfg and returns it with the function that
// stops it and waits for it to end.
func runUntilStopped(t testing.TB, cfg Config) (*Server, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("opening tanda: %v", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Run(ctx); err != nil {
			t.Errorf("running tanda: %v", err)
		}
	})
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return srv, stop
}

// submit submits a job to the default queue running command.
func (td *tanda) submit(t *testing.T, in *awsbatch.SubmitJobInput) string {
	t.Helper()
	if in.JobQueue == nil {
		in.JobQueue = aws.String(DefaultJobQueue)
	}
	if in.JobDefinition == nil {
		in.JobDefinition = aws.String(ExampleJobDefinition)
	}
	if in.JobName == nil {
		in.JobName = aws.String("test")
	}
	res, err := td.client.SubmitJob(context.Background(), in)
	if err != nil {
		t.Fatalf("SubmitJob: %v", err)
	}
	return aws.ToString(res.JobId)
}

func command(args ...string) *types.ContainerOverrides {
	return &types.ContainerOverrides{Command: args}
}

// describe reads one job.
func (td *tanda) describe(t *testing.T, id string) types.JobDetail {
	t.Helper()
	res, err := td.client.DescribeJobs(context.Background(), &awsbatch.DescribeJobsInput{Jobs: []string{id}})
	if err != nil {
		t.Fatalf("DescribeJobs: %v", err)
	}
	if len(res.Jobs) != 1 {
		t.Fatalf("DescribeJobs(%s) returned %d jobs", id, len(res.Jobs))
	}
	return res.Jobs[0]
}

// waitFor polls until cond holds or the deadline passes. detail, if
// given, says what was seen last.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool, detail ...func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			seen := ""
			for _, d := range detail {
				seen += "; last seen: " + d()
			}
			t.Fatalf("timed out after %v waiting for %s%s", timeout, what, seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitDone waits for a job to end and returns it.
func (td *tanda) waitDone(t *testing.T, id string, timeout time.Duration) types.JobDetail {
	t.Helper()
	var j types.JobDetail
	waitFor(t, timeout, "job "+id+" to finish", func() bool {
		j = td.describe(t, id)
		return j.Status == types.JobStatusSucceeded || j.Status == types.JobStatusFailed
	})
	return j
}
