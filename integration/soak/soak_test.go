//go:build linux

package soak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/internal/awsclient"
	"github.com/tanda-batch/tanda/internal/childproc"
)

// The soak's settings, from the environment (make soak sets them).
type settings struct {
	duration  time.Duration // TANDA_SOAK: the length of the run
	rate      float64       // TANDA_SOAK_RATE: submissions per second (200)
	retention time.Duration // TANDA_SOAK_RETENTION: tanda up --retention (a sixth of the run, at least 1m)
	every     time.Duration // TANDA_SOAK_EVERY: the sampling interval (5s)
	vcpus     int           // TANDA_SOAK_VCPUS: the soak compute environment's vCPUs (64)
	workers   int           // TANDA_SOAK_WORKERS: concurrent submitters (32)
	bin       string        // TANDA_SOAK_BIN: the tanda binary (built when unset)
	out       string        // TANDA_SOAK_OUT: where soak.csv, soak.png and summary.txt go (a temporary directory)
	profiles  string        // TANDA_SOAK_PROFILES: where CPU and heap profiles go ("": none taken)
}

func soakSettings(t *testing.T) settings {
	v := os.Getenv("TANDA_SOAK")
	if v == "" {
		t.Skip("the soak runs tanda up for minutes at 200 jobs/s: set TANDA_SOAK=30m (make soak) or a shorter length to run it")
	}
	s := settings{rate: 200, every: 5 * time.Second, vcpus: 64, workers: 32}
	var err error
	if s.duration, err = time.ParseDuration(v); err != nil || s.duration < time.Minute {
		t.Fatalf("TANDA_SOAK=%q: want a length of at least 1m (%v)", v, err)
	}
	s.retention = max(s.duration/6, time.Minute)
	for name, parse := range map[string]func(string) error{
		"TANDA_SOAK_RATE":      func(v string) (err error) { s.rate, err = strconv.ParseFloat(v, 64); return },
		"TANDA_SOAK_RETENTION": func(v string) (err error) { s.retention, err = time.ParseDuration(v); return },
		"TANDA_SOAK_EVERY":     func(v string) (err error) { s.every, err = time.ParseDuration(v); return },
		"TANDA_SOAK_VCPUS":     func(v string) (err error) { s.vcpus, err = strconv.Atoi(v); return },
		"TANDA_SOAK_WORKERS":   func(v string) (err error) { s.workers, err = strconv.Atoi(v); return },
	} {
		if v := os.Getenv(name); v != "" {
			if err := parse(v); err != nil {
				t.Fatalf("%s=%q: %v", name, v, err)
			}
		}
	}
	s.bin, s.out, s.profiles = os.Getenv("TANDA_SOAK_BIN"), os.Getenv("TANDA_SOAK_OUT"), os.Getenv("TANDA_SOAK_PROFILES")
	if s.out == "" {
		s.out = t.TempDir()
	}
	return s
}

// TestSoak runs `tanda up` under a steady rate of jobs that run `true`,
// samples it, writes the series, and fails if a watched figure keeps
// growing, a submission fails, or the rate is not held.
func TestSoak(t *testing.T) {
	s := soakSettings(t)
	bin := s.bin
	if bin == "" {
		bin = buildTanda(t)
	}
	ctx := context.Background()
	up := startUp(t, bin, s)
	client := up.client(t, s.workers)
	setUp(ctx, t, client, s.vcpus)

	proc := &Process{PID: up.proc.PID(), DataDir: up.dataDir, Goroutines: up.profiles + "goroutine?debug=1"}
	pacer := &Pacer{Rate: s.rate, Workers: s.workers, Submit: func(ctx context.Context) error {
		_, err := client.SubmitJob(ctx, &awsbatch.SubmitJobInput{
			JobName: aws.String("soak"), JobQueue: aws.String(soakName), JobDefinition: aws.String(soakName),
		})
		return err
	}}
	t.Logf("soak: %v at %.0f jobs/s, retention %v, sampling every %v, %d vCPUs, %d submitters; tanda up pid %d, data %s",
		s.duration, s.rate, s.retention, s.every, s.vcpus, s.workers, proc.PID, up.dataDir)

	var wg sync.WaitGroup
	runCtx, stopRun := context.WithCancel(ctx)
	defer func() { stopRun(); wg.Wait() }()
	paced := make(chan struct{})
	wg.Go(func() { defer close(paced); pacer.Run(runCtx, s.duration) })
	if s.profiles != "" {
		wg.Go(func() { takeCPUProfile(runCtx, t, up.profiles, s) })
	}

	start := time.Now()
	driverCPU0, err := readCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	samples := sampleUntil(ctx, t, proc, pacer, client, start, s.every, paced)
	total := pacer.Total()
	elapsed := time.Since(start)
	driverCPU1, err := readCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	driverCores := float64(driverCPU1-driverCPU0) / float64(elapsed)

	drainStart := time.Now()
	backlog := drain(ctx, t, client, 5*time.Minute)
	drained := time.Since(drainStart)
	if s.profiles != "" {
		saveProfile(ctx, t, up.profiles+"heap", filepath.Join(s.profiles, "heap.pprof"))
	}
	up.stop(t)

	verdicts, err := Judge(samples)
	if err != nil {
		t.Fatal(err)
	}
	summary := summarize(s, total, elapsed, samples, verdicts, backlog, drained, driverCores)
	t.Log("\n" + summary)
	writeReports(t, s.out, samples, summary, s)

	for _, v := range verdicts {
		if !v.Plateau {
			t.Errorf("%v", v)
		}
	}
	if total.Errors > 0 {
		t.Errorf("%d submissions failed; the last: %v", total.Errors, total.LastErr)
	}
	if achieved := float64(total.Acked) / elapsed.Seconds(); achieved < 0.95*s.rate {
		t.Errorf("achieved %.1f jobs/s, under 95 %% of the %.0f asked for (%d slots skipped as over %v late)", achieved, s.rate, total.Skipped, maxLag)
	}
	if backlog > 0 {
		t.Errorf("%d jobs still not finished %v after the submissions stopped", backlog, drained.Round(time.Second))
	}
}

const soakName = "soak"

// upProcess is the `tanda up` under soak.
type upProcess struct {
	proc     *childproc.Process
	dataDir  string
	endpoint string // the API's URL
	profiles string // its /debug/pprof/ URL
}

func buildTanda(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tanda")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/tanda-batch/tanda/cmd/tanda").CombinedOutput()
	if err != nil {
		t.Fatalf("building tanda: %v\n%s", err, out)
	}
	return bin
}

// startUp runs `tanda up` with jobs as processes, the soak's retention and
// Go's profiles on loopback, and waits for its API.
func startUp(t *testing.T, bin string, s settings) *upProcess {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cmd := exec.Command(bin, "up", "--data-dir", data, "--listen", "127.0.0.1:0", "--runtime", "process",
		"--retention", s.retention.String(), "--pprof-listen", "127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = childproc.WithoutAWS(os.Environ())
	proc, err := childproc.Start(cmd, filepath.Join(dir, "tanda.log"))
	if err != nil {
		t.Fatal(err)
	}
	up := &upProcess{proc: proc, dataDir: data}
	t.Cleanup(func() {
		proc.Kill()
		if t.Failed() {
			t.Logf("tanda up log (tail):\n%s", proc.Tail(16<<10))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if up.profiles, err = proc.AwaitLine(ctx, func(line string) (string, bool) {
		return strings.CutPrefix(line, "Go profiles at ")
	}); err != nil {
		t.Fatalf("waiting for tanda up's profiles address: %v", err)
	}
	if up.endpoint, err = proc.AwaitLine(ctx, func(line string) (string, bool) {
		rest, ok := strings.CutPrefix(line, "Tanda is up: AWS Batch API at ")
		ep, _, _ := strings.Cut(rest, " ")
		return ep, ok
	}); err != nil {
		t.Fatalf("waiting for tanda up's banner: %v", err)
	}
	if err := proc.AwaitHTTP(ctx, up.endpoint+"/ping"); err != nil {
		t.Fatalf("waiting for tanda up's API: %v", err)
	}
	return up
}

// client is an SDK client with the credentials tanda up wrote, and a
// connection per submitter.
func (up *upProcess) client(t *testing.T, conns int) *awsbatch.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithSharedCredentialsFiles([]string{filepath.Join(up.dataDir, "credentials")}),
		config.WithSharedConfigFiles([]string{filepath.Join(up.dataDir, "config")}),
		config.WithSharedConfigProfile(kit.Profile),
	)
	if err != nil {
		t.Fatalf("loading the credentials tanda up wrote: %v", err)
	}
	cfg.HTTPClient = awsclient.Wrap(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = conns
	}))
	return awsbatch.NewFromConfig(cfg, func(o *awsbatch.Options) { o.BaseEndpoint = aws.String(up.endpoint) })
}

// stop interrupts tanda up and waits for it to end cleanly.
func (up *upProcess) stop(t *testing.T) {
	t.Helper()
	if err := up.proc.Signal(syscall.SIGINT); err != nil {
		t.Errorf("interrupting tanda up: %v", err)
		return
	}
	select {
	case <-up.proc.Done():
		if err := up.proc.Err(); err != nil {
			t.Errorf("tanda up ended with %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Errorf("tanda up did not stop within 60s of SIGINT")
	}
}

// setUp makes the soak's compute environment (vcpus kept up), job queue
// and job definition (`true`, 1 vCPU, 64 MiB), and runs one job through
// them so the capacity is warm before the clock starts.
func setUp(ctx context.Context, t *testing.T, c *awsbatch.Client, vcpus int) {
	t.Helper()
	v := int32(vcpus)
	if _, err := c.CreateComputeEnvironment(ctx, &awsbatch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: aws.String(soakName), Type: types.CETypeManaged,
		ComputeResources: &types.ComputeResource{
			Type: types.CRTypeEc2, MinvCpus: aws.Int32(v), MaxvCpus: aws.Int32(v), DesiredvCpus: aws.Int32(v),
			InstanceTypes: []string{"local.medium"}, AllocationStrategy: types.CRAllocationStrategyBestFitProgressive,
			Subnets: []string{"subnet-local"}, InstanceRole: aws.String("ecsInstanceRole"),
		},
	}); err != nil {
		t.Fatalf("CreateComputeEnvironment: %v", err)
	}
	if _, err := c.CreateJobQueue(ctx, &awsbatch.CreateJobQueueInput{
		JobQueueName: aws.String(soakName), Priority: aws.Int32(1),
		ComputeEnvironmentOrder: []types.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String(soakName)}},
	}); err != nil {
		t.Fatalf("CreateJobQueue: %v", err)
	}
	if _, err := c.RegisterJobDefinition(ctx, &awsbatch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String(soakName), Type: types.JobDefinitionTypeContainer,
		ContainerProperties: &types.ContainerProperties{
			Image: aws.String("public.ecr.aws/docker/library/busybox:latest"), Command: []string{"true"},
			ResourceRequirements: []types.ResourceRequirement{
				{Type: types.ResourceTypeVcpu, Value: aws.String("1")},
				{Type: types.ResourceTypeMemory, Value: aws.String("64")},
			},
		},
	}); err != nil {
		t.Fatalf("RegisterJobDefinition: %v", err)
	}
	res, err := c.SubmitJob(ctx, &awsbatch.SubmitJobInput{JobName: aws.String("warm"), JobQueue: aws.String(soakName), JobDefinition: aws.String(soakName)})
	if err != nil {
		t.Fatalf("SubmitJob: %v", err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, err := c.DescribeJobs(ctx, &awsbatch.DescribeJobsInput{Jobs: []string{aws.ToString(res.JobId)}})
		if err != nil {
			t.Fatalf("DescribeJobs: %v", err)
		}
		if len(out.Jobs) == 1 && out.Jobs[0].Status == types.JobStatusSucceeded {
			return
		}
		if len(out.Jobs) == 1 && out.Jobs[0].Status == types.JobStatusFailed {
			t.Fatalf("the warm-up job failed: %s", aws.ToString(out.Jobs[0].StatusReason))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the warm-up job did not succeed within 2 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// sampleUntil samples every interval until the pacer is done, and once
// more after it.
func sampleUntil(ctx context.Context, t *testing.T, proc *Process, pacer *Pacer, c *awsbatch.Client, start time.Time, every time.Duration, done <-chan struct{}) []Sample {
	t.Helper()
	tick := time.NewTicker(every)
	defer tick.Stop()
	var samples []Sample
	acked := 0
	last := start
	take := func() {
		now := time.Now()
		s, err := proc.Sample(ctx, now)
		if err != nil {
			t.Fatalf("sampling tanda up: %v", err)
		}
		f := pacer.Take()
		acked += f.Acked
		s.At, s.Submitted, s.Errors, s.P50, s.P99, s.TotalAcked = now.Sub(start), f.Acked, f.Errors, f.P50, f.P99, acked
		s.Rate = float64(f.Acked) / now.Sub(last).Seconds()
		last = now
		var by string
		if s.Backlog, by, err = countBacklog(ctx, c); err != nil {
			t.Fatalf("counting the backlog: %v", err)
		}
		if s.Wait, s.Run, err = lastRuns(ctx, c); err != nil {
			t.Fatalf("reading the last jobs: %v", err)
		}
		samples = append(samples, s)
		if len(samples) == 1 || len(samples)%max(int(time.Minute/every), 1) == 0 {
			t.Logf("%6.0fs rss %6.1f MiB goroutines %4d threads %3d fds %4d (sockets %d, tcp established %d) cpu %.2f db %6.1f MiB (wal %5.1f) other %6.1f MiB/%d files; %5.1f jobs/s p50 %v p99 %v errors %d backlog %d (%s); wait %v run %v",
				s.At.Seconds(), float64(s.RSSKiB)/1024, s.Goroutines, s.Threads, s.FDs, s.Sockets, s.TCPEstab, s.CPU,
				float64(s.DBBytes)/(1<<20), float64(s.WALBytes)/(1<<20), float64(s.OtherBytes)/(1<<20), s.OtherFiles,
				s.Rate, s.P50.Round(10*time.Microsecond), s.P99.Round(10*time.Microsecond), s.Errors, s.Backlog, by, s.Wait, s.Run)
		}
	}
	take()
	for {
		select {
		case <-done:
			take()
			return samples
		case <-tick.C:
			take()
		}
	}
}

// backlogCap bounds the jobs countBacklog pages through.
const backlogCap = 2_000

// activeStatuses are the statuses of jobs not yet finished.
var activeStatuses = []types.JobStatus{types.JobStatusSubmitted, types.JobStatusPending, types.JobStatusRunnable, types.JobStatusStarting, types.JobStatusRunning}

// countBacklog counts the soak queue's jobs that have not finished, up to
// backlogCap, and says how many are in each status.
func countBacklog(ctx context.Context, c *awsbatch.Client) (int, string, error) {
	n := 0
	var by []string
	for _, st := range activeStatuses {
		p := awsbatch.NewListJobsPaginator(c, &awsbatch.ListJobsInput{JobQueue: aws.String(soakName), JobStatus: st, MaxResults: aws.Int32(1000)})
		k := 0
		for p.HasMorePages() && n+k < backlogCap {
			page, err := p.NextPage(ctx)
			if err != nil {
				return n, "", fmt.Errorf("listing %s jobs: %w", st, err)
			}
			k += len(page.JobSummaryList)
		}
		if k > 0 {
			by = append(by, fmt.Sprintf("%s %d", st, k))
		}
		n += k
	}
	return n, strings.Join(by, ", "), nil
}

// lastRuns reads up to 100 of the soak queue's jobs created in the 30 s
// before the last 5 and returns the median wait (creation to start) of
// those that started and run (start to stop) of those that ended.
func lastRuns(ctx context.Context, c *awsbatch.Client) (wait, run time.Duration, err error) {
	after := strconv.FormatInt(time.Now().Add(-35*time.Second).UnixMilli(), 10)
	page, err := c.ListJobs(ctx, &awsbatch.ListJobsInput{JobQueue: aws.String(soakName), MaxResults: aws.Int32(100),
		Filters: []types.KeyValuesPair{{Name: aws.String("AFTER_CREATED_AT"), Values: []string{after}}}})
	if err != nil {
		return 0, 0, fmt.Errorf("listing recent jobs: %w", err)
	}
	var waits, runs []time.Duration
	for _, j := range page.JobSummaryList {
		created, started, stopped := aws.ToInt64(j.CreatedAt), aws.ToInt64(j.StartedAt), aws.ToInt64(j.StoppedAt)
		if created != 0 && started != 0 {
			waits = append(waits, time.Duration(started-created)*time.Millisecond)
		}
		if started != 0 && stopped != 0 {
			runs = append(runs, time.Duration(stopped-started)*time.Millisecond)
		}
	}
	return figures(waits, 0).P50, figures(runs, 0).P50, nil
}

// drain waits up to limit for the backlog to empty and returns what is
// left.
func drain(ctx context.Context, t *testing.T, c *awsbatch.Client, limit time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		n, _, err := countBacklog(ctx, c)
		if err != nil {
			t.Fatalf("counting the backlog: %v", err)
		}
		if n == 0 || time.Now().After(deadline) {
			return n
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// takeCPUProfile takes a 30 s CPU profile from the middle of the run.
func takeCPUProfile(ctx context.Context, t *testing.T, profiles string, s settings) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(max(s.duration/2-15*time.Second, 0)):
	}
	saveProfile(ctx, t, profiles+"profile?seconds=30", filepath.Join(s.profiles, "cpu.pprof"))
}

func saveProfile(ctx context.Context, t *testing.T, url, path string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Errorf("profile %s: %v", url, err)
		return
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("profile %s: %v", url, err)
		return
	}
	defer res.Body.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Errorf("profile %s: %v", url, err)
		return
	}
	f, err := os.Create(path)
	if err != nil {
		t.Errorf("profile %s: %v", url, err)
		return
	}
	if _, err := io.Copy(f, res.Body); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("profile %s: %v", url, err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("profile %s: %v", url, err)
	}
	t.Logf("profile saved: %s", path)
}

// summarize states the run's figures: what was asked and achieved, and the
// verdict on each watched series.
func summarize(s settings, total Figures, elapsed time.Duration, samples []Sample, verdicts []Verdict, backlog int, drained time.Duration, driverCores float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "soak of tanda up: %v at %.0f jobs/s asked (retention %v, %d vCPUs, %d submitters, sampled every %v)\n",
		s.duration, s.rate, s.retention, s.vcpus, s.workers, s.every)
	fmt.Fprintf(&b, "achieved: %d submissions acknowledged in %v: %.1f jobs/s; %d failed; %d slots skipped as over %v late\n",
		total.Acked, elapsed.Round(time.Second), float64(total.Acked)/elapsed.Seconds(), total.Errors, total.Skipped, maxLag)
	fmt.Fprintf(&b, "submit latency: p50 %v, p99 %v, max %v\n", total.P50.Round(10*time.Microsecond), total.P99.Round(10*time.Microsecond), total.Max.Round(time.Millisecond))
	peak, cpu := 0, 0.0
	for _, smp := range samples {
		peak = max(peak, smp.Backlog)
		cpu += smp.CPU
	}
	fmt.Fprintf(&b, "backlog: peak %d jobs while submitting; %d left %v after the submissions stopped\n", peak, backlog, drained.Round(100*time.Millisecond))
	fmt.Fprintf(&b, "CPU: tanda up %.2f cores on average, this driver %.2f (of %d); load average at the end: %s\n",
		cpu/float64(max(len(samples)-1, 1)), driverCores, runtime.NumCPU(), loadAverage())
	for _, v := range verdicts {
		fmt.Fprintf(&b, "%v\n", v)
	}
	return b.String()
}

// loadAverage is /proc/loadavg's first three figures.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// writeReports writes soak.csv, soak.png and summary.txt into dir.
func writeReports(t *testing.T, dir string, samples []Sample, summary string, s settings) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, fn func(io.Writer) error) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := fn(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write("soak.csv", func(w io.Writer) error { return WriteCSV(w, samples) })
	title := fmt.Sprintf("tanda up, %v at %.0f jobs/s asked, retention %v", s.duration, s.rate, s.retention)
	write("soak.png", func(w io.Writer) error { return WriteChart(w, title, samples, 1400, 1200) })
	write("summary.txt", func(w io.Writer) error { _, err := io.WriteString(w, summary); return err })
	t.Logf("soak reports in %s", dir)
}

// TestJudgeRecordedSoak judges and draws again the run recorded in the CSV
// TANDA_SOAK_CSV names, writing summary lines and soak.png beside it.
func TestJudgeRecordedSoak(t *testing.T) {
	path := os.Getenv("TANDA_SOAK_CSV")
	if path == "" {
		t.Skip("set TANDA_SOAK_CSV to a soak.csv to judge a recorded run again")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	samples, err := ReadCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	verdicts, err := Judge(samples)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range verdicts {
		t.Log(v)
		if !v.Plateau {
			t.Errorf("%v", v)
		}
	}
}
