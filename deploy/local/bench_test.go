package local

// The benchmarks of docs/BENCHMARKS.md. Each iteration does a fixed amount
// of work (a batch of jobs, a run of latency samples, an array job), so
// `go test -run '^$' -bench . ./deploy/local` runs each once; add -count 3
// for a range. Tanda runs with its production intervals, on a compute
// environment of its own whose capacity is provisioned before timing.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
)

const (
	benchQueue = "bench" // the benchmarks' job queue and compute environment

	throughputJobs  = 2000 // jobs per BenchmarkThroughput iteration
	submitters      = 16   // concurrent SubmitJob callers
	latencySamples  = 200  // sequential jobs per BenchmarkSubmitToRunning iteration
	arraySize       = 10_000
	benchJobTimeout = 2 * time.Minute
)

// activeStatuses are the statuses of a job that has not finished.
var activeStatuses = []batch.Status{batch.Submitted, batch.Pending, batch.Runnable, batch.Starting, batch.Running}

// BenchmarkThroughput submits jobs that do no work through the signed
// HTTP API from concurrent SDK clients and measures jobs per second from
// the first submit to the last job SUCCEEDED, and the CPU time the process
// (Tanda and the clients) spends per job.
func BenchmarkThroughput(b *testing.B) {
	td := startBench(b, noopRuntime{}, 256)
	client := td.benchClient()
	jobs := 0
	var cpu time.Duration
	for b.Loop() {
		cpu -= processCPU()
		if err := submitConcurrently(client, throughputJobs, submitters); err != nil {
			b.Fatal(err)
		}
		td.waitQueueDone(b)
		cpu += processCPU()
		jobs += throughputJobs
	}
	td.requireNoFailure(b)
	b.ReportMetric(float64(jobs)/b.Elapsed().Seconds(), "jobs/s")
	if cpu > 0 {
		b.ReportMetric(millis(cpu)/float64(jobs), "cpu-ms/job")
	}
}

// BenchmarkSubmitToRunning measures, one job at a time on idle warm
// capacity, the time from calling SubmitJob to the job being RUNNING in the
// store. The job's execution holds until the sample is taken; the next job
// is submitted once it has SUCCEEDED.
func BenchmarkSubmitToRunning(b *testing.B) {
	for _, vcpus := range []int{8, 256} {
		b.Run(fmt.Sprintf("vcpus=%d", vcpus), func(b *testing.B) {
			rt := newHeldRuntime()
			td := startBench(b, rt, vcpus)
			client := td.benchClient()
			var toRunning, submit []time.Duration
			for b.Loop() {
				for range latencySamples {
					r, s := td.sampleSubmitToRunning(b, client, rt)
					toRunning, submit = append(toRunning, r), append(submit, s)
				}
			}
			b.ReportMetric(millis(percentile(toRunning, 50)), "p50-ms")
			b.ReportMetric(millis(percentile(toRunning, 99)), "p99-ms")
			b.ReportMetric(millis(percentile(submit, 50)), "submit-p50-ms")
		})
	}
}

// BenchmarkArray10000 submits one array job of 10,000 children that do no
// work and measures the time until the parent is SUCCEEDED.
func BenchmarkArray10000(b *testing.B) {
	td := startBench(b, noopRuntime{}, 256)
	client := td.benchClient()
	ctx := context.Background()
	arrays := 0
	for b.Loop() {
		res, err := client.SubmitJob(ctx, benchSubmit(&types.ArrayProperties{Size: aws.Int32(arraySize)}))
		if err != nil {
			b.Fatalf("SubmitJob: %v", err)
		}
		j := td.waitJob(b, aws.ToString(res.JobId), 100*time.Millisecond)
		if j.Status != batch.Succeeded {
			b.Fatalf("array job = %s (%s), want SUCCEEDED", j.Status, j.StatusReason)
		}
		arrays++
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(arrays), "s/array")
}

// startBench runs Tanda with its default intervals and runtime rt, with a
// compute environment and job queue named benchQueue whose vcpus of
// capacity are up before it returns.
func startBench(b *testing.B, rt bootstrap.Runtime, vcpus int) *tanda {
	b.Helper()
	td := runTanda(b, Config{DataDir: b.TempDir(), Listen: "127.0.0.1:0", Runtime: rt, Logger: testLogger()})
	ctx := context.Background()
	ctl := td.Control()
	_, err := ctl.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: benchQueue,
		Type:                   batch.TypeManaged,
		ComputeResources: &batch.ComputeResource{
			Type: "EC2", MinvCpus: &vcpus, MaxvCpus: &vcpus,
			InstanceTypes: []string{"local"}, AllocationStrategy: "BEST_FIT_PROGRESSIVE",
		},
	})
	if err != nil {
		b.Fatalf("CreateComputeEnvironment: %v", err)
	}
	prio := 1
	_, err = ctl.CreateJobQueue(ctx, &batch.CreateJobQueueInput{
		JobQueueName: benchQueue, Priority: &prio,
		ComputeEnvironmentOrder: []batch.ComputeEnvironmentOrder{{Order: 1, ComputeEnvironment: benchQueue}},
	})
	if err != nil {
		b.Fatalf("CreateJobQueue: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for registeredVCPUs(ctx, td) < float64(vcpus) {
		if time.Now().After(deadline) {
			b.Fatalf("%d vCPUs of capacity not up after 30s", vcpus)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return td
}

// registeredVCPUs sums the vCPUs of the instances whose agents have
// registered in the benchmarks' compute environment.
func registeredVCPUs(ctx context.Context, td *tanda) float64 {
	recs, err := td.Control().Instances(ctx, benchQueue)
	if err != nil {
		return 0
	}
	sum := 0.0
	for _, r := range recs {
		sum += r.VCPUs
	}
	return sum
}

// benchClient is an SDK client whose connection pool keeps a connection
// per submitter, so the benchmark does not measure TCP handshakes.
func (td *tanda) benchClient() *awsbatch.Client {
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = 2 * submitters
	})
	return awsbatch.NewFromConfig(td.cfg, func(o *awsbatch.Options) {
		o.BaseEndpoint = aws.String(td.Endpoint())
		o.HTTPClient = hc
	})
}

// benchSubmit is a SubmitJob of the example definition (1 vCPU) to the
// benchmarks' queue.
func benchSubmit(array *types.ArrayProperties) *awsbatch.SubmitJobInput {
	return &awsbatch.SubmitJobInput{
		JobName: aws.String("noop"), JobQueue: aws.String(benchQueue),
		JobDefinition: aws.String(ExampleJobDefinition), ArrayProperties: array,
	}
}

// submitConcurrently submits n jobs from workers goroutines.
func submitConcurrently(client *awsbatch.Client, n, workers int) error {
	var (
		next atomic.Int64
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if _, err := client.SubmitJob(context.Background(), benchSubmit(nil)); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("SubmitJob: %w", errors.Join(errs...))
	}
	return nil
}

// waitQueueDone waits until no job of the benchmarks' queue is in an active
// status. It asks the control plane in process for one job per status,
// which is a few index lookups: paging SUCCEEDED jobs, or describing every
// job through the API, would load the machine the benchmark measures.
func (td *tanda) waitQueueDone(b *testing.B) {
	b.Helper()
	deadline := time.Now().Add(benchJobTimeout)
	for td.anyJob(b, activeStatuses...) {
		if time.Now().After(deadline) {
			b.Fatalf("jobs still active after %v", benchJobTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// requireNoFailure fails the benchmark if a job of its queue FAILED.
func (td *tanda) requireNoFailure(b *testing.B) {
	b.Helper()
	if td.anyJob(b, batch.Failed) {
		b.Fatal("a job FAILED; every job should have SUCCEEDED")
	}
}

// anyJob reports whether a top-level job of the benchmarks' queue has one
// of the statuses.
func (td *tanda) anyJob(b *testing.B, statuses ...batch.Status) bool {
	b.Helper()
	one := 1
	for _, st := range statuses {
		out, err := td.Control().ListJobs(context.Background(), &batch.ListJobsInput{JobQueue: benchQueue, JobStatus: st.String(), MaxResults: &one})
		if err != nil {
			b.Fatalf("ListJobs(%s): %v", st, err)
		}
		if len(out.JobSummaryList) > 0 {
			return true
		}
	}
	return false
}

// waitJob polls the store every interval until the job has finished.
func (td *tanda) waitJob(b *testing.B, id string, interval time.Duration) batch.Job {
	b.Helper()
	deadline := time.Now().Add(benchJobTimeout)
	for {
		j, err := td.Control().Job(context.Background(), id)
		if err != nil {
			b.Fatalf("reading job %s: %v", id, err)
		}
		if j.Status.Terminal() {
			return j
		}
		if time.Now().After(deadline) {
			b.Fatalf("job %s still %s after %v", id, j.Status, benchJobTimeout)
		}
		time.Sleep(interval)
	}
}

// sampleSubmitToRunning submits one held job and returns the time from
// calling SubmitJob until the job is RUNNING, and the SubmitJob call's own
// time. The runtime tells when the execution starts; the agent marks the
// job RUNNING right after, which a tight poll of the store then sees. The
// job is released and waited for, so the next sample starts on idle
// capacity.
func (td *tanda) sampleSubmitToRunning(b *testing.B, client *awsbatch.Client, rt heldRuntime) (toRunning, submit time.Duration) {
	b.Helper()
	ctx := context.Background()
	t0 := time.Now()
	res, err := client.SubmitJob(ctx, benchSubmit(nil))
	if err != nil {
		b.Fatalf("SubmitJob: %v", err)
	}
	submit = time.Since(t0)
	id := aws.ToString(res.JobId)
	var e *heldExecution
	select {
	case e = <-rt.starts:
	case <-time.After(benchJobTimeout):
		b.Fatalf("job %s did not start within %v", id, benchJobTimeout)
	}
	if e.jobID != id {
		b.Fatalf("started job %s, want %s", e.jobID, id)
	}
	for {
		j, err := td.Control().Job(ctx, id)
		if err != nil {
			b.Fatalf("reading job %s: %v", id, err)
		}
		if j.Status == batch.Running {
			break
		}
		if j.Status.Terminal() {
			b.Fatalf("job %s = %s before RUNNING was seen (%s)", id, j.Status, j.StatusReason)
		}
		time.Sleep(100 * time.Microsecond)
	}
	toRunning = time.Since(t0)
	e.release()
	if j := td.waitJob(b, id, time.Millisecond); j.Status != batch.Succeeded {
		b.Fatalf("job %s = %s (%s), want SUCCEEDED", id, j.Status, j.StatusReason)
	}
	return toRunning, submit
}

// percentile is the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// processCPU is the CPU time, user and system, this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
