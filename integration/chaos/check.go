package chaos

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/tanda-batch/tanda/integration/chaos/jobrecord"
)

// AWS Batch's status reasons the checker knows.
const (
	reasonExited     = "Essential container in task exited"
	reasonTimeout    = "Job attempt duration exceeded timeout"
	reasonStartFail  = "Task failed to start"
	reasonDependency = "Dependent Job failed"
	reasonArrayChild = "Array Child Job failed"
)

// Kinds of violation.
const (
	Lost               = "lost"                // acknowledged, unknown to Tanda
	NotTerminal        = "not-terminal"        // acknowledged, not SUCCEEDED or FAILED after settling
	AckedTwice         = "acked-twice"         // two submissions acknowledged with one job id
	Unexpected         = "unexpected"          // a job nobody (acknowledged or indeterminate) asked for
	Unexplained        = "unexplained-failure" // FAILED with a reason nothing explains
	BadSuccess         = "bad-success"         // SUCCEEDED but its last attempt did not exit 0
	RanTwice           = "ran-twice"           // one (job, attempt) executed more than once
	ConcurrentRun      = "concurrent-run"      // one (job, attempt) executed twice at the same time
	Zombie             = "zombie"              // an attempt ran on after a later attempt began
	NoAttempt          = "execution-without-attempt"
	NoExecution        = "attempt-without-execution"
	WrongInstance      = "wrong-instance" // an execution ran elsewhere than its attempt says
	ExitMismatch       = "exit-mismatch"  // an execution's exit code is not its attempt's
	ArrayInconsistent  = "array-inconsistent"
	DependencyBroken   = "dependency-broken"
	RunningOnLostHost  = "running-on-lost-instance"
	overlapDescription = "at the same time"
)

// Violation is one broken promise.
type Violation struct {
	Kind   string
	JobID  string
	Detail string
}

func (v Violation) String() string {
	return fmt.Sprintf("VIOLATION %s %s: %s", v.Kind, v.JobID, v.Detail)
}

// Observed is what Tanda says after settling.
type Observed struct {
	// Jobs are the acknowledged jobs, the recovered ones (an indeterminate
	// submission that did land) and every array child, by id
	// (DescribeJobs).
	Jobs map[string]types.JobDetail
	// Listed is every job ListJobs shows (array children aside).
	Listed []types.JobSummary
	// Instances are the instances alive now.
	Instances map[string]bool
}

// Report is the checker's verdict.
type Report struct {
	Violations []Violation
	Acked      int // acknowledged submissions
	Recovered  int // indeterminate submissions that did make a job
	Unanswered int // indeterminate submissions that made none
	Children   int // array children
	Terminal   int // acknowledged or recovered jobs and children terminal
	Jobs       int // acknowledged or recovered jobs and children
	Succeeded  int
	Failed     int
	Executions int
	Killed     int // executions that did not record their end
}

// Accounted is the share of acknowledged jobs (children included) found
// terminal, in per cent.
func (r Report) Accounted() float64 {
	if r.Jobs == 0 {
		return 100
	}
	return 100 * float64(r.Terminal) / float64(r.Jobs)
}

// Count is how many violations are of kind.
func (r Report) Count(kind string) int {
	n := 0
	for _, v := range r.Violations {
		if v.Kind == kind {
			n++
		}
	}
	return n
}

// Summary is the report's one line.
func (r Report) Summary() string {
	return fmt.Sprintf("chaos check: %d acknowledged (+%d recovered, %d indeterminate without a job), %d array children: %d of %d terminal (%.3f %%), %d succeeded, %d failed; %d executions (%d killed); %d violations (%d concurrent runs of one attempt)",
		r.Acked, r.Recovered, r.Unanswered, r.Children, r.Terminal, r.Jobs, r.Accounted(), r.Succeeded, r.Failed,
		r.Executions, r.Killed, len(r.Violations), r.Count(ConcurrentRun))
}

// Lines is one line per violation, then the summary.
func (r Report) Lines() []string {
	out := make([]string, 0, len(r.Violations)+1)
	for _, v := range r.Violations {
		out = append(out, v.String())
	}
	return append(out, r.Summary())
}

// checker holds one check's state.
type checker struct {
	l      LedgerSnapshot
	obs    Observed
	execs  map[attemptKey][]jobrecord.Execution
	byJob  map[string][]jobrecord.Execution
	acks   map[string]Ack
	reason map[string]bool // reasons of cancels and terminates, by job id + "\x00" + reason
	r      Report
}

type attemptKey struct {
	job     string
	attempt int
}

func (c *checker) violate(kind, job, format string, args ...any) {
	c.r.Violations = append(c.r.Violations, Violation{Kind: kind, JobID: job, Detail: fmt.Sprintf(format, args...)})
}

// Check compares the ledger and the executions with what Tanda says.
func Check(l LedgerSnapshot, execs []jobrecord.Execution, obs Observed) Report {
	c := &checker{
		l: l, obs: obs,
		execs:  map[attemptKey][]jobrecord.Execution{},
		byJob:  map[string][]jobrecord.Execution{},
		acks:   map[string]Ack{},
		reason: map[string]bool{},
	}
	for _, x := range execs {
		k := attemptKey{x.JobID, x.Attempt}
		c.execs[k] = append(c.execs[k], x)
		c.byJob[x.JobID] = append(c.byJob[x.JobID], x)
		c.r.Executions++
		if !x.Ended {
			c.r.Killed++
		}
	}
	for _, a := range l.Actions {
		c.reason[a.JobID+"\x00"+a.Reason] = true
	}
	c.r.Acked = len(l.Acks)
	for _, a := range l.Acks {
		c.acks[a.JobID] = a
	}
	for _, a := range l.Twice {
		c.violate(AckedTwice, a.JobID, "submission %s was acknowledged with the id of submission %s", a.Name, c.acks[a.JobID].Name)
	}
	c.listing()
	for _, a := range c.sortedAcks() {
		c.job(a)
	}
	c.executions()
	c.r.Unanswered = len(l.Indeterminate) - c.r.Recovered
	sort.SliceStable(c.r.Violations, func(i, j int) bool { return c.r.Violations[i].Kind < c.r.Violations[j].Kind })
	return c.r
}

func (c *checker) sortedAcks() []Ack {
	out := make([]Ack, 0, len(c.acks))
	for _, a := range c.acks {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].JobID < out[j].JobID })
	return out
}

// listing finds the jobs Tanda has that nobody was told of: an
// indeterminate submission that landed (recovered, checked like an
// acknowledged job from now on), or a job nobody asked for.
func (c *checker) listing() {
	pending := map[string]string{}
	for name, kind := range c.l.Indeterminate {
		pending[name] = kind
	}
	for _, s := range c.obs.Listed {
		id, name := aws.ToString(s.JobId), aws.ToString(s.JobName)
		if _, ok := c.acks[id]; ok {
			continue
		}
		if kind, ok := pending[name]; ok {
			delete(pending, name)
			c.r.Recovered++
			c.acks[id] = Ack{JobID: id, Name: name, Kind: kind, ArraySize: arraySize(c.obs.Jobs[id])}
			continue
		}
		c.violate(Unexpected, id, "job %q (%s) is in Tanda but no submission made it, or its submission made another", name, s.Status)
	}
}

func arraySize(j types.JobDetail) int {
	if j.ArrayProperties != nil && j.ArrayProperties.Size != nil {
		return int(*j.ArrayProperties.Size)
	}
	return 0
}

func terminal(s types.JobStatus) bool {
	return s == types.JobStatusSucceeded || s == types.JobStatusFailed
}

// job checks an acknowledged (or recovered) job, its children and its
// dependencies.
func (c *checker) job(a Ack) {
	j, ok := c.obs.Jobs[a.JobID]
	if !ok {
		c.r.Jobs++
		c.violate(Lost, a.JobID, "%s job %q was acknowledged at %s and Tanda does not know it", a.Kind, a.Name, a.At.Format("15:04:05.000"))
		return
	}
	c.one(a.JobID, j, "")
	if a.ArraySize > 0 {
		c.array(a, j)
	}
	c.dependencies(a.JobID, a.DependsOn)
}

// dependencies checks a job against each of its dependencies, and that a
// job FAILED for a failed dependency has one.
func (c *checker) dependencies(id string, deps []string) {
	failed := false
	for _, dep := range deps {
		c.dependency(id, dep)
		if d, ok := c.obs.Jobs[dep]; ok && d.Status == types.JobStatusFailed {
			failed = true
		}
	}
	j := c.obs.Jobs[id]
	if j.Status == types.JobStatusFailed && aws.ToString(j.StatusReason) == reasonDependency && !failed {
		c.violate(DependencyBroken, id, "FAILED (%s) but none of its dependencies %v failed", reasonDependency, deps)
	}
}

// one checks the outcome of one job or array child.
func (c *checker) one(id string, j types.JobDetail, parent string) {
	c.r.Jobs++
	if !terminal(j.Status) {
		c.violate(NotTerminal, id, "%s %s (%s) after settling", c.label(id), j.Status, aws.ToString(j.StatusReason))
		if j.Status == types.JobStatusRunning || j.Status == types.JobStatusStarting {
			if inst := currentInstance(j); inst != "" && !c.obs.Instances[inst] {
				c.violate(RunningOnLostHost, id, "%s on %s, which no longer exists", j.Status, inst)
			}
		}
		return
	}
	c.r.Terminal++
	if j.Status == types.JobStatusSucceeded {
		c.r.Succeeded++
		if arraySize(j) > 0 {
			return // an array parent runs nothing: judged by its children
		}
		n := len(j.Attempts)
		if n == 0 || j.Attempts[n-1].Container == nil || aws.ToInt32(j.Attempts[n-1].Container.ExitCode) != 0 || j.Attempts[n-1].Container.ExitCode == nil {
			c.violate(BadSuccess, id, "SUCCEEDED after %d attempts, the last not exiting 0", n)
		}
		return
	}
	c.r.Failed++
	if why := c.explain(id, j, parent); why != "" {
		c.violate(Unexplained, id, "FAILED (%q): %s", aws.ToString(j.StatusReason), why)
	}
}

// label names a job by its submission: kind and name.
func (c *checker) label(id string) string {
	a, ok := c.acks[id]
	if !ok {
		a, ok = c.acks[parentOf(id)]
	}
	if !ok {
		return "job"
	}
	return a.Kind + " " + a.Name
}

// currentInstance is the instance of a job's last attempt.
func currentInstance(j types.JobDetail) string {
	if n := len(j.Attempts); n > 0 {
		return attemptInstance(j.Attempts[n-1])
	}
	return ""
}

func attemptInstance(a types.AttemptDetail) string {
	if a.Container == nil {
		return ""
	}
	arn := aws.ToString(a.Container.ContainerInstanceArn)
	return arn[strings.LastIndex(arn, "/")+1:]
}

// explain says what is wrong with a FAILED job's reason, or "" when
// something explains it.
func (c *checker) explain(id string, j types.JobDetail, parent string) string {
	reason := aws.ToString(j.StatusReason)
	issued := func(r string) bool {
		return c.reason[id+"\x00"+r] || (parent != "" && c.reason[parent+"\x00"+r])
	}
	switch {
	case reason == "":
		return "no reason given"
	case issued(reason):
		return ""
	case reason == reasonDependency:
		if len(j.Attempts) > 0 && j.Attempts[len(j.Attempts)-1].StatusReason != nil {
			return "it ran, then failed for a dependency"
		}
		return "" // checked with the dependencies
	case reason == reasonArrayChild:
		if j.ArrayProperties == nil || j.ArrayProperties.Size == nil {
			return "not an array job"
		}
		return "" // checked with the children
	}
	n := len(j.Attempts)
	if n == 0 {
		return "no attempt, and no cancel, terminate or failed dependency, explains it"
	}
	last := j.Attempts[n-1]
	if aws.ToString(last.StatusReason) != reason {
		return fmt.Sprintf("the last attempt ended with %q", aws.ToString(last.StatusReason))
	}
	switch {
	case reason == reasonExited:
		if last.Container == nil || last.Container.ExitCode == nil || *last.Container.ExitCode == 0 {
			return "the last attempt exited 0 or without an exit code"
		}
	case reason == reasonTimeout, hostTerminated(reason), strings.HasPrefix(reason, reasonStartFail):
	default:
		return "the last attempt's reason is neither an exit, a timeout, a lost host, a failed start nor a cancel or terminate issued"
	}
	return ""
}

// hostTerminated reports whether reason is `Host EC2 (instance i-...) terminated.`.
func hostTerminated(reason string) bool {
	return strings.HasPrefix(reason, "Host EC2 (instance ") && strings.HasSuffix(reason, ") terminated.")
}

// array checks an array job's children against its status and summary,
// and their dependencies.
func (c *checker) array(a Ack, parent types.JobDetail) {
	counts := map[string]int32{}
	children := 0
	for i := range a.ArraySize {
		id := a.JobID + ":" + strconv.Itoa(i)
		j, ok := c.obs.Jobs[id]
		if !ok {
			continue
		}
		children++
		c.r.Children++
		counts[string(j.Status)]++
		c.one(id, j, a.JobID)
		deps := append([]string(nil), a.DependsOn...)
		if a.Sequential && i > 0 {
			deps = append(deps, a.JobID+":"+strconv.Itoa(i-1))
		}
		for _, dep := range a.NToN {
			deps = append(deps, dep+":"+strconv.Itoa(i))
		}
		c.dependencies(id, deps)
	}
	cancelled := parent.Status == types.JobStatusFailed && aws.ToString(parent.StatusReason) != reasonArrayChild
	switch {
	case children == 0 && cancelled:
		return // stopped before it made its children
	case children != a.ArraySize:
		c.violate(ArrayInconsistent, a.JobID, "%d of its %d children exist", children, a.ArraySize)
		return
	}
	if parent.ArrayProperties != nil && terminal(parent.Status) {
		// A parent still moving is read at another moment than its
		// children; a finished one must agree with them.
		for status, n := range parent.ArrayProperties.StatusSummary {
			if counts[status] != n {
				c.violate(ArrayInconsistent, a.JobID, "statusSummary says %d %s, its children %d", n, status, counts[status])
			}
		}
		for status, n := range counts {
			if _, ok := parent.ArrayProperties.StatusSummary[status]; !ok && n > 0 {
				c.violate(ArrayInconsistent, a.JobID, "statusSummary has no %s, its children %d", status, n)
			}
		}
	}
	open := int32(children) - counts[string(types.JobStatusSucceeded)] - counts[string(types.JobStatusFailed)]
	switch parent.Status {
	case types.JobStatusSucceeded:
		if counts[string(types.JobStatusSucceeded)] != int32(children) {
			c.violate(ArrayInconsistent, a.JobID, "SUCCEEDED with children %v", counts)
		}
	case types.JobStatusFailed:
		if open > 0 {
			c.violate(ArrayInconsistent, a.JobID, "FAILED with %d children not finished: %v", open, counts)
		}
		if aws.ToString(parent.StatusReason) == reasonArrayChild && counts[string(types.JobStatusFailed)] == 0 {
			c.violate(ArrayInconsistent, a.JobID, "FAILED (%s) with no child failed: %v", reasonArrayChild, counts)
		}
	}
}

// dependency checks that job ran only after dep finished, and failed if
// dep failed.
func (c *checker) dependency(job, dep string) {
	j, ok1 := c.obs.Jobs[job]
	d, ok2 := c.obs.Jobs[dep]
	if !ok1 || !ok2 || !terminal(j.Status) || !terminal(d.Status) {
		return // reported as lost or not terminal
	}
	if d.Status == types.JobStatusFailed && j.Status == types.JobStatusSucceeded {
		c.violate(DependencyBroken, job, "SUCCEEDED although its dependency %s FAILED", dep)
	}
	var depEnd time.Time
	for _, x := range c.byJob[dep] {
		if x.LastSeen.After(depEnd) {
			depEnd = x.LastSeen
		}
	}
	for _, x := range c.byJob[job] {
		if x.Start.Before(depEnd) {
			c.violate(DependencyBroken, job, "attempt %d started at %s, before its dependency %s ended at %s",
				x.Attempt, x.Start.Format("15:04:05.000"), dep, depEnd.Format("15:04:05.000"))
		}
	}
}

// executions checks every execution against the attempts Tanda records,
// and every attempt that ran against the executions.
func (c *checker) executions() {
	keys := make([]attemptKey, 0, len(c.execs))
	for k := range c.execs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].job != keys[j].job {
			return keys[i].job < keys[j].job
		}
		return keys[i].attempt < keys[j].attempt
	})
	for _, k := range keys {
		xs := c.execs[k]
		j, known := c.obs.Jobs[k.job]
		if !known || k.attempt < 1 || k.attempt > len(j.Attempts) {
			c.violate(NoAttempt, k.job, "attempt %d ran (%s) but Tanda records %d attempts", k.attempt, xs[0], len(j.Attempts))
			continue
		}
		if len(xs) > 1 {
			c.twice(k, xs)
		}
		att := j.Attempts[k.attempt-1]
		for _, x := range xs {
			if inst := attemptInstance(att); inst != x.Instance {
				c.violate(WrongInstance, k.job, "attempt %d ran on %s, Tanda says %s", k.attempt, x.Instance, inst)
			}
			if x.Ended && att.Container != nil && att.Container.ExitCode != nil && int(*att.Container.ExitCode) != x.ExitCode {
				c.violate(ExitMismatch, k.job, "attempt %d exited %d, Tanda says %d", k.attempt, x.ExitCode, *att.Container.ExitCode)
			}
		}
	}
	for id, j := range c.obs.Jobs {
		for i, att := range j.Attempts {
			ran := att.Container != nil && att.Container.ExitCode != nil
			if ran && len(c.execs[attemptKey{id, i + 1}]) == 0 {
				c.violate(NoExecution, id, "attempt %d exited %d (%s) but no execution of it was recorded", i+1, *att.Container.ExitCode, aws.ToString(att.StatusReason))
			}
		}
		c.zombies(id)
	}
}

// twice reports one attempt executed more than once.
func (c *checker) twice(k attemptKey, xs []jobrecord.Execution) {
	sort.Slice(xs, func(i, j int) bool { return xs[i].Start.Before(xs[j].Start) })
	for i := 1; i < len(xs); i++ {
		kind, how := RanTwice, "again"
		if xs[i].Start.Before(xs[i-1].LastSeen) {
			kind, how = ConcurrentRun, overlapDescription
		}
		c.violate(kind, k.job, "attempt %d ran %s: %s; and %s", k.attempt, how, xs[i-1], xs[i])
	}
}

// zombies reports an attempt whose execution went on after a later
// attempt's began: it ran after its lease was lost and another began.
func (c *checker) zombies(id string) {
	xs := c.byJob[id]
	for _, old := range xs {
		for _, later := range xs {
			if later.Attempt > old.Attempt && old.LastSeen.After(later.Start) {
				c.violate(Zombie, id, "attempt %d ran until at least %s, after attempt %d began at %s",
					old.Attempt, old.LastSeen.Format("15:04:05.000"), later.Attempt, later.Start.Format("15:04:05.000"))
			}
		}
	}
}

// parentOf is an array child's parent id, or "".
func parentOf(id string) string {
	if i := strings.LastIndexByte(id, ':'); i > 0 {
		return id[:i]
	}
	return ""
}
