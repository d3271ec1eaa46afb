package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/tanda-batch/tanda/integration/chaos/jobrecord"
)

// The run's names in Tanda.
const (
	JobQueue           = "default"
	ComputeEnvironment = "default"
	JobDefinition      = "chaos"
	// KindProbe is a submission made while a fault that asks for one
	// (Injection.Probe) holds, to see how the API answers.
	KindProbe = "probe"
)

// Options configures a run.
type Options struct {
	Seed     uint64
	Workload Workload
	// Window is how long submissions and faults are spread over.
	Window time.Duration
	// Faults is how many faults of each kind to inject; a kind the
	// backend cannot inject is reported and left out.
	Faults           map[string]int
	HoldMin, HoldMax time.Duration
	// ClientBreakRate is the share of calls the client-network fault
	// breaks while it holds; BaselineBreakRate the share broken all
	// through the window (so that SDK retries of SubmitJob happen all
	// along).
	ClientBreakRate   float64
	BaselineBreakRate float64
	// Stall and Settle bound the wait, after the faults, for every job to
	// end: the run gives up when no open job has moved for Stall (a stuck
	// job), or after Settle in all. A slow machine is not a stuck one: on
	// a loaded machine, moto serves a few jobs a second, and the open jobs
	// keep moving.
	Stall, Settle time.Duration
	MaxvCpus      int32
	// Records is the directory where executions record themselves.
	Records string
	Logf    func(format string, args ...any)
}

// Injected is a fault as it happened.
type Injected struct {
	Event
	At time.Time
	// HealedAt is when healing began (a restart: when it was started).
	HealedAt time.Time
	Detail   string
	Healed   Healed
	Lost     []string
	Probe    string // how the API answered a probe submission
	Err      error
}

// Result is what a run found.
type Result struct {
	Seed        uint64
	Plan        Plan
	Schedule    []Event
	Injected    []Injected
	Unavailable map[string]string // fault kinds the backend cannot inject, and why
	Report      Report
	// Recovery is, for each attempt an instance loss took, the time from
	// the loss (or from the restart, after a kill of the control plane)
	// until Tanda ended the attempt: the job RUNNABLE again or FAILED.
	Recovery map[string][]time.Duration
	// Slowest names, for each fault kind, the attempt with the longest
	// recovery, for a post-mortem of one over the target.
	Slowest     map[string]string
	APIAnswered []time.Duration // restarted control plane to API answering
	SubmitErrs  map[string]int  // why submissions failed, by message
	Proxy       map[string]int64
	Elapsed     time.Duration
	// Last is the job that ended last, with its history.
	Last string
}

// Run drives the workload through the backend while it injects the
// faults, lets Tanda settle and checks the ledger.
func Run(ctx context.Context, b Backend, o Options) (Result, error) {
	res := Result{Seed: o.Seed, Unavailable: map[string]string{}, Recovery: map[string][]time.Duration{}, SubmitErrs: map[string]int{}}
	began := time.Now()
	o.Logf("chaos: backend %s, seed %d (replay with TANDA_CHAOS_SEED=%d)", b.Name(), o.Seed, o.Seed)
	if err := b.Start(ctx, o.Records); err != nil {
		return res, err
	}
	proxy, err := StartProxy(b.Endpoint, o.Seed)
	if err != nil {
		return res, err
	}
	defer proxy.Close()
	cfg, err := b.AWSConfig(ctx)
	if err != nil {
		return res, err
	}
	client := newClient(cfg, proxy.URL(), 8)
	probe := newClient(cfg, proxy.URL(), 1)
	if err := setUp(ctx, client, b, o.MaxvCpus); err != nil {
		return res, err
	}

	res.Plan = NewPlan(rand.New(rand.NewPCG(o.Seed, 1)), o.Workload)
	faults, missing := b.Faults()
	faults = append(faults, proxyFault{p: proxy, rate: o.ClientBreakRate})
	byKind := map[string]Fault{}
	for _, f := range faults {
		byKind[f.Kind()] = f
	}
	counts := map[string]int{}
	for k, n := range o.Faults {
		if _, ok := byKind[k]; ok {
			counts[k] = n
			continue
		}
		why := missing[k]
		if why == "" {
			why = "the backend has no such fault"
		}
		res.Unavailable[k] = why
	}
	res.Schedule = NewSchedule(rand.New(rand.NewPCG(o.Seed, 2)), o.Window, counts, o.HoldMin, o.HoldMax)
	o.Logf("chaos: %d submissions making %d jobs %v, %d cancels and terminates, over %v", len(res.Plan.Items), res.Plan.Jobs(), res.Plan.Counts(), res.Plan.Actions, o.Window)
	o.Logf("chaos: faults: %s", FormatSchedule(res.Schedule))
	for k, why := range res.Unavailable {
		o.Logf("chaos: fault %s not injected: %s", k, why)
	}

	proxy.Baseline(o.BaselineBreakRate)
	led := NewLedger()
	d := &driver{b: b, client: client, probe: probe, led: led, o: o, res: &res, start: time.Now()}
	var wg sync.WaitGroup
	wg.Go(func() { d.submit(ctx) })
	wg.Go(func() { d.act(ctx, rand.New(rand.NewPCG(o.Seed, 3))) })
	wg.Go(func() { d.inject(ctx, byKind, rand.New(rand.NewPCG(o.Seed, 4))) })
	wg.Wait()
	proxy.Baseline(0)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	res.Proxy = map[string]int64{
		"forwarded": proxy.Forwarded.Load(), "dropped": proxy.Dropped.Load(), "lost answers": proxy.LostAnswers.Load(),
		"500s after the write": proxy.ServerErrors.Load(), "delayed": proxy.Delayed.Load(),
	}

	settled := time.Now()
	if err := settle(ctx, client, led, o.Stall, o.Settle); err != nil {
		o.Logf("chaos: %v", err)
		stallReport(ctx, client, b, led, o.Logf)
	}
	o.Logf("chaos: settled %v after the last fault", time.Since(settled).Round(time.Millisecond))
	obs, err := observe(ctx, client, led)
	if err != nil {
		return res, err
	}
	if insts, err := b.Instances(ctx); err != nil {
		return res, err
	} else {
		obs.Instances = map[string]bool{}
		for _, id := range insts {
			obs.Instances[id] = true
		}
	}
	execs, err := jobrecord.ReadExecutions(o.Records)
	if err != nil {
		return res, err
	}
	res.Report = Check(led.Snapshot(), execs, obs)
	res.recovery(obs)
	res.Last = lastEnded(obs, res.Plan)
	res.Elapsed = time.Since(began)
	return res, nil
}

func newClient(cfg aws.Config, endpoint string, attempts int) *awsbatch.Client {
	return awsbatch.NewFromConfig(cfg, func(o *awsbatch.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = attempts
			so.MaxBackoff = 2 * time.Second
			so.RateLimiter = ratelimit.None // retry while the control plane restarts
		})
	})
}

// setUp sizes the compute environment and registers the chaos job
// definition.
func setUp(ctx context.Context, c *awsbatch.Client, b Backend, maxv int32) error {
	if _, err := c.UpdateComputeEnvironment(ctx, &awsbatch.UpdateComputeEnvironmentInput{
		ComputeEnvironment: aws.String(ComputeEnvironment),
		ComputeResources:   &types.ComputeResourceUpdate{MaxvCpus: aws.Int32(maxv)},
	}); err != nil {
		return fmt.Errorf("sizing the compute environment: %w", err)
	}
	cmd, env := b.Job(nil)
	var kv []types.KeyValuePair
	for k, v := range env {
		kv = append(kv, types.KeyValuePair{Name: aws.String(k), Value: aws.String(v)})
	}
	if _, err := c.RegisterJobDefinition(ctx, &awsbatch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String(JobDefinition),
		Type:              types.JobDefinitionTypeContainer,
		ContainerProperties: &types.ContainerProperties{
			Image:       aws.String("tanda-chaos"),
			Command:     cmd,
			Environment: kv,
			ResourceRequirements: []types.ResourceRequirement{
				{Type: types.ResourceTypeVcpu, Value: aws.String("1")},
				{Type: types.ResourceTypeMemory, Value: aws.String("128")},
			},
		},
	}); err != nil {
		return fmt.Errorf("registering the chaos job definition: %w", err)
	}
	return nil
}

// driver runs the workload, the cancels and the faults.
type driver struct {
	b      Backend
	client *awsbatch.Client
	probe  *awsbatch.Client
	led    *Ledger
	o      Options
	res    *Result
	start  time.Time

	mu sync.Mutex // guards res.SubmitErrs and res.Injected
}

// submit submits the plan's items in order, paced over the window.
func (d *driver) submit(ctx context.Context) {
	total := d.res.Plan.Jobs()
	ids := map[int]string{}
	made := 0
	for i, it := range d.res.Plan.Items {
		due := d.start.Add(time.Duration(float64(d.o.Window) * float64(made) / float64(total)))
		made += it.Jobs()
		if !sleepUntil(ctx, due) {
			return
		}
		in, ack, ok := d.input(it, ids)
		if !ok {
			continue // it waits for a job whose submission got no answer
		}
		out, err := d.client.SubmitJob(ctx, in)
		if err != nil {
			d.led.Indeterminate(it.Name, it.Kind)
			d.submitErr(err)
			continue
		}
		ack.JobID, ack.At = aws.ToString(out.JobId), time.Now()
		d.led.Acknowledged(ack)
		ids[i] = ack.JobID
	}
}

func (d *driver) submitErr(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.res.SubmitErrs[errorLine(err)]++
}

// errorLine is an SDK error as one line: the HTTP status and the API's
// message.
func errorLine(err error) string {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return fmt.Sprintf("HTTP %d: %v", re.HTTPStatusCode(), re.Err)
	}
	var qe *retry.MaxAttemptsError
	if errors.As(err, &qe) {
		return "retries exhausted: " + errorLine(qe.Err)
	}
	return err.Error()
}

// input builds an item's SubmitJob; ok is false when it depends on a job
// that was never acknowledged.
func (d *driver) input(it Item, ids map[int]string) (*awsbatch.SubmitJobInput, Ack, bool) {
	cmd, _ := d.b.Job(it.Args.Command())
	in := &awsbatch.SubmitJobInput{
		JobName:            aws.String(it.Name),
		JobQueue:           aws.String(JobQueue),
		JobDefinition:      aws.String(JobDefinition),
		ContainerOverrides: &types.ContainerOverrides{Command: cmd},
		RetryStrategy:      &types.RetryStrategy{Attempts: aws.Int32(it.Attempts), EvaluateOnExit: it.EvaluateOnExit},
	}
	ack := Ack{Name: it.Name, Kind: it.Kind, ArraySize: it.ArraySize, Sequential: it.Sequential}
	if it.TimeoutSecs > 0 {
		in.Timeout = &types.JobTimeout{AttemptDurationSeconds: aws.Int32(it.TimeoutSecs)}
	}
	if it.ArraySize > 0 {
		in.ArrayProperties = &types.ArrayProperties{Size: aws.Int32(int32(it.ArraySize))}
	}
	if it.Sequential {
		in.DependsOn = append(in.DependsOn, types.JobDependency{Type: types.ArrayJobDependencySequential})
	}
	for _, i := range it.DependsOn {
		id, ok := ids[i]
		if !ok {
			return nil, ack, false
		}
		in.DependsOn = append(in.DependsOn, types.JobDependency{JobId: aws.String(id)})
		ack.DependsOn = append(ack.DependsOn, id)
	}
	for _, i := range it.NToN {
		id, ok := ids[i]
		if !ok {
			return nil, ack, false
		}
		in.DependsOn = append(in.DependsOn, types.JobDependency{JobId: aws.String(id), Type: types.ArrayJobDependencyNToN})
		ack.NToN = append(ack.NToN, id)
	}
	return in, ack, true
}

// act cancels and terminates acknowledged jobs at random moments.
func (d *driver) act(ctx context.Context, rng *rand.Rand) {
	n := d.res.Plan.Actions
	at := make([]time.Duration, n)
	for i := range at {
		at[i] = time.Duration(rng.Int64N(int64(d.o.Window)))
	}
	slices.Sort(at)
	for i, offset := range at {
		if !sleepUntil(ctx, d.start.Add(offset)) {
			return
		}
		acks := d.led.Acks()
		if len(acks) == 0 {
			continue
		}
		target := acks[rng.IntN(len(acks))]
		a := Action{JobID: target.JobID, At: time.Now()}
		if rng.IntN(2) == 0 {
			a.Op, a.Reason = "cancel", "chaos cancel "+strconv.Itoa(i)
			_, a.Err = d.client.CancelJob(ctx, &awsbatch.CancelJobInput{JobId: aws.String(a.JobID), Reason: aws.String(a.Reason)})
		} else {
			a.Op, a.Reason = "terminate", "chaos terminate "+strconv.Itoa(i)
			_, a.Err = d.client.TerminateJob(ctx, &awsbatch.TerminateJobInput{JobId: aws.String(a.JobID), Reason: aws.String(a.Reason)})
		}
		d.led.Issued(a)
	}
}

// inject runs the fault schedule.
func (d *driver) inject(ctx context.Context, byKind map[string]Fault, rng *rand.Rand) {
	for _, e := range d.res.Schedule {
		if !sleepUntil(ctx, d.start.Add(e.At)) {
			return
		}
		in := Injected{Event: e, At: time.Now()}
		inj, err := byKind[e.Kind].Inject(ctx, rng)
		in.Detail, in.Lost, in.Err = inj.Detail, inj.Lost, err
		d.o.Logf("chaos: +%v %s: %s %v", time.Since(d.start).Round(time.Millisecond), e.Kind, inj.Detail, errOrEmpty(err))
		if err == nil && inj.Probe {
			in.Probe = d.probeSubmit(ctx)
			d.o.Logf("chaos: +%v %s: a submission got %s", time.Since(d.start).Round(time.Millisecond), e.Kind, in.Probe)
		}
		if err == nil && inj.Heal != nil {
			sleepUntil(ctx, in.At.Add(e.Hold))
			in.HealedAt = time.Now()
			in.Healed, in.Err = inj.Heal(context.WithoutCancel(ctx))
			d.o.Logf("chaos: +%v %s healed: %s %v", time.Since(d.start).Round(time.Millisecond), e.Kind, in.Healed.Detail, errOrEmpty(in.Err))
		}
		d.mu.Lock()
		d.res.Injected = append(d.res.Injected, in)
		d.mu.Unlock()
	}
}

func errOrEmpty(err error) string {
	if err == nil {
		return ""
	}
	return "(error: " + err.Error() + ")"
}

// probeSubmit submits one job without retries and says how the API
// answered.
func (d *driver) probeSubmit(ctx context.Context) string {
	name := fmt.Sprintf("probe-%d", time.Now().UnixNano())
	cmd, _ := d.b.Job(jobrecord.JobArgs{}.Command())
	out, err := d.probe.SubmitJob(ctx, &awsbatch.SubmitJobInput{
		JobName: aws.String(name), JobQueue: aws.String(JobQueue), JobDefinition: aws.String(JobDefinition),
		ContainerOverrides: &types.ContainerOverrides{Command: cmd},
	})
	if err != nil {
		d.led.Indeterminate(name, KindProbe)
		return errorLine(err)
	}
	d.led.Acknowledged(Ack{JobID: aws.ToString(out.JobId), Name: name, Kind: KindProbe, At: time.Now()})
	return "acknowledged as " + aws.ToString(out.JobId)
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// settle waits until every acknowledged job is terminal. It gives up when
// no open job has moved for stall (changed status, begun an attempt, or,
// for an array, seen a child change status), or after limit in all.
func settle(ctx context.Context, c *awsbatch.Client, led *Ledger, stall, limit time.Duration) error {
	began := time.Now()
	moved, last := began, ""
	// A terminal job stays terminal: only the open ones are described
	// again, every 2 s (describing every job twice a second was much of
	// moto's work on a loaded machine).
	var ids []string
	for _, a := range led.Acks() {
		ids = append(ids, a.JobID)
	}
	for {
		jobs, err := describe(ctx, c, ids)
		open := 0
		if err == nil {
			var state strings.Builder
			still := ids[:0]
			for _, id := range ids {
				j, ok := jobs[id]
				if ok && terminal(j.Status) {
					continue
				}
				still = append(still, id)
				open++
				fmt.Fprintf(&state, "%s %s %d", id, j.Status, len(j.Attempts))
				if j.ArrayProperties != nil {
					fmt.Fprintf(&state, " %v", j.ArrayProperties.StatusSummary)
				}
				state.WriteByte('\n')
			}
			ids = still
			if open == 0 {
				return nil
			}
			if state.String() != last {
				moved, last = time.Now(), state.String()
			}
		}
		switch now := time.Now(); {
		case now.Sub(moved) > stall:
			return fmt.Errorf("%d jobs not terminal, and none moved for %v (%v after the faults; last error: %v)", open, stall, now.Sub(began).Round(time.Second), err)
		case now.Sub(began) > limit:
			return fmt.Errorf("%d jobs not terminal %v after the faults, though still moving (last error: %v)", open, limit, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// describe describes ids, 100 at a time.
func describe(ctx context.Context, c *awsbatch.Client, ids []string) (map[string]types.JobDetail, error) {
	out := make(map[string]types.JobDetail, len(ids))
	for chunk := range slices.Chunk(ids, 100) {
		res, err := c.DescribeJobs(ctx, &awsbatch.DescribeJobsInput{Jobs: chunk})
		if err != nil {
			return nil, fmt.Errorf("describing jobs: %w", err)
		}
		for _, j := range res.Jobs {
			out[aws.ToString(j.JobId)] = j
		}
	}
	return out, nil
}

// observe reads what Tanda says of every job: the listing, and every
// acknowledged or listed job with its children.
func observe(ctx context.Context, c *awsbatch.Client, led *Ledger) (Observed, error) {
	var obs Observed
	seen := map[string]bool{}
	var ids []string
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, s := range types.JobStatus("").Values() {
		p := awsbatch.NewListJobsPaginator(c, &awsbatch.ListJobsInput{JobQueue: aws.String(JobQueue), JobStatus: s, MaxResults: aws.Int32(1000)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return obs, fmt.Errorf("listing %s jobs: %w", s, err)
			}
			for _, j := range page.JobSummaryList {
				obs.Listed = append(obs.Listed, j)
				add(aws.ToString(j.JobId))
			}
		}
	}
	for _, a := range led.Acks() {
		add(a.JobID)
	}
	jobs, err := describe(ctx, c, ids)
	if err != nil {
		return obs, err
	}
	var children []string
	for _, j := range jobs {
		for i := range arraySize(j) {
			children = append(children, aws.ToString(j.JobId)+":"+strconv.Itoa(i))
		}
	}
	kids, err := describe(ctx, c, children)
	if err != nil {
		return obs, err
	}
	for id, j := range kids {
		jobs[id] = j
	}
	obs.Jobs = jobs
	return obs, nil
}

// recovery measures, for each instance a fault took, how long Tanda took
// to end the attempts it held. An instance can be taken by several faults
// (an agent killed, then the instance terminated): an attempt is counted
// for the latest fault on its instance that began before it stopped, so
// an attempt the second fault ended is not timed from the first (which
// read as recoveries of 24 s and 31 s after a kill-agent, and of -0.6 s
// after a terminate-instance, in seed 3 on moto).
func (r *Result) recovery(obs Observed) {
	byInstance := map[string][]int{} // instance to the faults that took it, in order
	for i, in := range r.Injected {
		for _, id := range in.Lost {
			byInstance[id] = append(byInstance[id], i)
		}
		if in.Healed.APIAnswered > 0 {
			r.APIAnswered = append(r.APIAnswered, in.Healed.APIAnswered)
		}
	}
	for _, j := range obs.Jobs {
		for _, a := range j.Attempts {
			faults := byInstance[attemptInstance(a)]
			if len(faults) == 0 || !hostTerminated(aws.ToString(a.StatusReason)) || a.StoppedAt == nil {
				continue
			}
			stopped := time.UnixMilli(*a.StoppedAt)
			cause := -1
			for _, i := range faults {
				if !r.Injected[i].At.After(stopped) {
					cause = i
				}
			}
			if cause < 0 {
				continue // ended before any fault took its instance
			}
			in := r.Injected[cause]
			if a.StartedAt != nil && time.UnixMilli(*a.StartedAt).After(in.At) {
				// Began after the fault (on the agent that replaced the
				// killed one) and lost its host later for another reason,
				// such as a skewed clock whose heartbeats were refused: not
				// this fault's to time (the long run on moto timed one such
				// attempt at 4m25s from a kill-agent before it began).
				continue
			}
			from := in.At
			if !in.HealedAt.IsZero() {
				from = in.HealedAt // a restart: measured from it
			}
			d := stopped.Sub(from)
			if d > slices.Max(append(r.Recovery[in.Kind], 0)) {
				if r.Slowest == nil {
					r.Slowest = map[string]string{}
				}
				r.Slowest[in.Kind] = fmt.Sprintf("%s on %s, the fault at %s, the attempt ended at %s (%s)", aws.ToString(j.JobId),
					attemptInstance(a), from.Format("15:04:05.000"), stopped.Format("15:04:05.000"), aws.ToString(a.StatusReason))
			}
			r.Recovery[in.Kind] = append(r.Recovery[in.Kind], d)
		}
	}
}

// Percentile is the p-th percentile (0-100) of ds, 0 for none.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// Lines is the run's figures, one per line.
func (r Result) Lines(leaseTTL time.Duration) []string {
	out := []string{
		fmt.Sprintf("seed %d; %d submissions, %d jobs with children; elapsed %v", r.Seed, len(r.Plan.Items), r.Plan.Jobs(), r.Elapsed.Round(time.Second)),
	}
	kinds := map[string]int{}
	for _, in := range r.Injected {
		kinds[in.Kind]++
		if in.Err != nil {
			out = append(out, fmt.Sprintf("fault %s at +%v failed: %v", in.Kind, in.Event.At.Round(time.Millisecond), in.Err))
		}
		if in.Probe != "" {
			out = append(out, fmt.Sprintf("fault %s: a submission while it held got %s", in.Kind, in.Probe))
		}
	}
	out = append(out, fmt.Sprintf("faults injected: %v; not injectable here: %v", kinds, r.Unavailable))
	for kind, ds := range r.Recovery {
		over := 0
		for _, d := range ds {
			if d > leaseTTL+10*time.Second {
				over++
			}
		}
		out = append(out, fmt.Sprintf("recovery after %s: %d attempts, p50 %v, p99 %v, max %v (lease TTL + 10 s = %v; %d over)",
			kind, len(ds), Percentile(ds, 50).Round(time.Millisecond), Percentile(ds, 99).Round(time.Millisecond),
			Percentile(ds, 100).Round(time.Millisecond), leaseTTL+10*time.Second, over))
		if over > 0 {
			out = append(out, fmt.Sprintf("slowest recovery after %s: %s", kind, r.Slowest[kind]))
		}
	}
	if len(r.APIAnswered) > 0 {
		out = append(out, fmt.Sprintf("control-plane restarts: %d, API answering after p50 %v, max %v",
			len(r.APIAnswered), Percentile(r.APIAnswered, 50).Round(time.Millisecond), Percentile(r.APIAnswered, 100).Round(time.Millisecond)))
	}
	out = append(out, fmt.Sprintf("proxy: %v", r.Proxy), "last job to end: "+r.Last)
	for msg, n := range r.SubmitErrs {
		out = append(out, fmt.Sprintf("submissions failed %d times: %s", n, msg))
	}
	return out
}

// lastEnded describes the job that ended last: what kept the run waiting.
func lastEnded(obs Observed, p Plan) string {
	var last types.JobDetail
	for _, j := range obs.Jobs {
		if aws.ToInt64(j.StoppedAt) > aws.ToInt64(last.StoppedAt) {
			last = j
		}
	}
	if last.JobId == nil {
		return "none"
	}
	return fmt.Sprintf("%s (%s) %s: created %s, stopped %s after %d attempts (%s)", aws.ToString(last.JobId), aws.ToString(last.JobName), last.Status,
		time.UnixMilli(aws.ToInt64(last.CreatedAt)).Format("15:04:05.000"), time.UnixMilli(aws.ToInt64(last.StoppedAt)).Format("15:04:05.000"),
		len(last.Attempts), aws.ToString(last.StatusReason))
}
