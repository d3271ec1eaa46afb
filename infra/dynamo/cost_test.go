package dynamo_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/infra/dynamo"
	"github.com/tanda-batch/tanda/infra/dynamo/dynamotest"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// List prices, us-east-1, on-demand, in dollars per million requests or
// units (DynamoDB after the November 2024 reduction).
const (
	priceWriteUnit  = 0.625
	priceReadUnit   = 0.125
	priceSQSRequest = 0.40
)

// countingDoer counts the HTTP requests of an SDK client.
type countingDoer struct {
	next awsclient.Doer
	mu   sync.Mutex
	n    int
}

func (c *countingDoer) Do(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.next.Do(r)
}

func (c *countingDoer) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// costRig is the control plane on a metered DynamoDB store and counted
// SQS queues, driven by hand as the scheduler and one agent drive it.
type costRig struct {
	t     *testing.T
	ctx   context.Context
	meter *dynamotest.Meter
	sqs   *countingDoer
	q     *sqsqueue.Queues
	store *dynamo.Store
	svc   *control.Service
}

func newCostRig(t *testing.T) *costRig {
	t.Helper()
	endpoint := mototest.Endpoint(t)
	stack := uniqueStack(t)
	meter := dynamotest.NewMeter(motoDynamo(t))
	doer := &countingDoer{next: awsclient.HTTPClient()}
	q := sqsqueue.New(sqs.New(sqs.Options{
		Region: mototest.Region, BaseEndpoint: aws.String(endpoint),
		Credentials: mototest.Credentials(), HTTPClient: doer,
	}), sqsqueue.Options{Prefix: stack, CreateMissing: true})
	store := dynamo.New(meter, dynamo.Options{JobsTable: stack + "-jobs", ItemsTable: stack + "-items", Queues: q})
	ctx := context.Background()
	if err := store.CreateTables(ctx); err != nil {
		t.Fatalf("CreateTables: %v", err)
	}
	svc := control.New(store, control.Options{
		Partition: batch.Partition{Region: mototest.Region, Account: "123456789012"},
		Queues:    q,
		// moto slows down as the array grows; the rig plays no sweeper,
		// and a lease must not run out while it works through a batch.
		LeaseDuration: 10 * time.Minute,
	})
	r := &costRig{t: t, ctx: ctx, meter: meter, sqs: doer, q: q, store: store, svc: svc}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("setting up: %v", err)
		}
	}
	one, eight := 1, 8
	must(svc.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: "ce", Type: batch.TypeManaged,
		ComputeResources: &batch.ComputeResource{Type: batch.ComputeEC2, MinvCpus: new(int), MaxvCpus: &eight, InstanceTypes: []string{"m5.large"}},
	}))
	must(svc.CreateJobQueue(ctx, &batch.CreateJobQueueInput{
		JobQueueName: "q", Priority: &one,
		ComputeEnvironmentOrder: []batch.ComputeEnvironmentOrder{{Order: 1, ComputeEnvironment: "ce"}},
	}))
	must(svc.RegisterJobDefinition(ctx, &batch.RegisterJobDefinitionInput{
		JobDefinitionName: "def", Type: batch.DefinitionTypeContainer,
		ContainerProperties: &batch.ContainerProperties{
			Image: "public.ecr.aws/docker/library/busybox:latest", Command: []string{"echo", "Ref::greeting"},
			ResourceRequirements: []batch.ResourceRequirement{{Type: batch.ResourceVCPU, Value: "1"}, {Type: batch.ResourceMemory, Value: "512"}},
		},
	}))
	// Queues exist before the measurement, as they do in a running stack.
	for _, name := range []string{control.SubmissionsQueue, control.ReadyQueue("q")} {
		if err := q.Ensure(ctx, name); err != nil {
			t.Fatalf("creating queue %s: %v", name, err)
		}
	}
	return r
}

// reading is the counters at one moment.
type reading struct {
	db  dynamotest.Usage
	sqs int
}

func (r *costRig) read() reading { return reading{db: r.meter.Usage(), sqs: r.sqs.count()} }

// scheduler plays the scheduler: it evaluates what rings on the
// submissions queue until nothing does.
func (r *costRig) scheduler() {
	r.t.Helper()
	for {
		ds, err := r.q.Receive(r.ctx, control.SubmissionsQueue, 10, time.Minute, 0)
		if err != nil {
			r.t.Fatalf("receiving submissions: %v", err)
		}
		if len(ds) == 0 {
			return
		}
		for _, d := range ds {
			if err := r.svc.Evaluate(r.ctx, d.ID); err != nil {
				r.t.Fatalf("Evaluate(%s): %v", d.ID, err)
			}
			if err := r.q.Delete(r.ctx, control.SubmissionsQueue, d.Receipt); err != nil {
				r.t.Fatalf("deleting a submission: %v", err)
			}
		}
	}
}

// agent plays an agent as bootstrap runs one: it receives up to ten
// doorbells, reads each job, claims it (deleting the doorbell), marks it
// RUNNING and finishes it with exit code 0. It returns how many it ran.
func (r *costRig) agent() int {
	r.t.Helper()
	ds, err := r.q.Receive(r.ctx, control.ReadyQueue("q"), 10, time.Minute, 0)
	if err != nil {
		r.t.Fatalf("receiving doorbells: %v", err)
	}
	for _, d := range ds {
		j, err := r.svc.Job(r.ctx, d.ID)
		if err != nil {
			r.t.Fatalf("reading job %s: %v", d.ID, err)
		}
		held, err := r.svc.ClaimJob(r.ctx, j, control.Placement{InstanceID: "i-1", ComputeEnvironment: "ce"}, d)
		if err != nil {
			r.t.Fatalf("claiming %s: %v", d.ID, err)
		}
		if held, err = r.svc.MarkHeldRunning(r.ctx, held); err != nil {
			r.t.Fatalf("running %s: %v", d.ID, err)
		}
		zero := 0
		if _, err := r.svc.FinishHeld(r.ctx, held, batch.AttemptOutcome{ExitCode: &zero}); err != nil {
			r.t.Fatalf("finishing %s: %v", d.ID, err)
		}
	}
	return len(ds)
}

// cost is what n jobs used between two readings, per job.
type cost struct {
	writeUnits, indexWrites, readUnits, dynamoRequests, sqsRequests float64
}

func perJob(from, to reading, n int) cost {
	d := to.db.Sub(from.db)
	f := float64(n)
	return cost{
		writeUnits: float64(d.WriteUnits) / f, indexWrites: float64(d.IndexWrites) / f,
		readUnits: d.ReadUnits() / f, dynamoRequests: float64(d.Requests) / f,
		sqsRequests: float64(to.sqs-from.sqs) / f,
	}
}

// dollarsPerMillion is the list price of a million jobs at c.
func (c cost) dollarsPerMillion() float64 {
	return c.writeUnits*priceWriteUnit + c.readUnits*priceReadUnit + c.sqsRequests*priceSQSRequest
}

func (c cost) String() string {
	return fmt.Sprintf("%.2f write units (%.2f of them index writes), %.2f read units, %.2f DynamoDB requests, %.2f SQS requests: $%.2f per million jobs",
		c.writeUnits, c.indexWrites, c.readUnits, c.dynamoRequests, c.sqsRequests, c.dollarsPerMillion())
}

// TestCostPerJob measures what a job costs in DynamoDB and SQS requests
// through its whole life, submitted as an SDK client submits (with an
// invocation id, so the submission is recorded for idempotency) and run
// as the scheduler and an agent run it. docs/BENCHMARKS.md records the
// figures; the limits below keep them from creeping up.
func TestCostPerJob(t *testing.T) {
	const jobs = 20
	r := newCostRig(t)
	before := r.read()
	for i := range jobs {
		ctx := batch.WithRequestInfo(r.ctx, batch.RequestInfo{AccessKeyID: "AKID", InvocationID: fmt.Sprintf("inv-%d", i)})
		if _, err := r.svc.SubmitJob(ctx, &batch.SubmitJobInput{JobName: "one", JobQueue: "q", JobDefinition: "def"}); err != nil {
			t.Fatalf("SubmitJob: %v", err)
		}
	}
	r.scheduler()
	for ran := 0; ran < jobs; {
		ran += r.agent()
	}
	r.scheduler()
	single := perJob(before, r.read(), jobs)
	t.Logf("single job: %v", single)

	size := arraySize(t, 200)
	before = r.read()
	n := size
	if _, err := r.svc.SubmitJob(r.ctx, &batch.SubmitJobInput{JobName: "arr", JobQueue: "q", JobDefinition: "def", ArrayProperties: &batch.ArrayProperties{Size: &n}}); err != nil {
		t.Fatalf("SubmitJob(array): %v", err)
	}
	r.scheduler()
	for ran := 0; ran < size; {
		ran += r.agent()
	}
	r.scheduler()
	child := perJob(before, r.read(), size)
	t.Logf("array child (of %d): %v", size, child)

	// Where the figures stand (docs/BENCHMARKS.md), so that they do not
	// creep up unnoticed.
	if single.writeUnits > 9.5 || single.readUnits > 5 || single.sqsRequests > 3 {
		t.Errorf("a single job costs %v; want at most 9.5 write units, 5 read units and 3 SQS requests", single)
	}
	if child.writeUnits > 12.5 || child.readUnits > 5 || child.sqsRequests > 4 {
		t.Errorf("an array child costs %v; want at most 12.5 write units, 5 read units and 4 SQS requests", child)
	}
}

// arraySize is the size of the arrays the cost tests measure: small in
// `make test` (moto slows down as a table grows), TANDA_COST_ARRAY for the
// figures docs/BENCHMARKS.md records (1000).
func arraySize(t *testing.T, small int) int {
	v := os.Getenv("TANDA_COST_ARRAY")
	if v == "" {
		return small
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 2 || n > 10_000 {
		t.Fatalf("TANDA_COST_ARRAY=%q: want an array size from 2 to 10000", v)
	}
	return n
}
