package chaos

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/tanda-batch/tanda/integration/chaos/jobrecord"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// attempt is an AttemptDetail on inst that exited code (nil: no exit,
// e.g. a lost host) with reason.
func attempt(inst string, code *int32, reason string) types.AttemptDetail {
	return types.AttemptDetail{
		StatusReason: aws.String(reason),
		Container: &types.AttemptContainerDetail{
			ContainerInstanceArn: aws.String("arn:aws:ecs:us-east-1:123456789012:container-instance/" + inst),
			ExitCode:             code,
		},
	}
}

func code(c int32) *int32 { return &c }

func job(id, name string, status types.JobStatus, reason string, attempts ...types.AttemptDetail) types.JobDetail {
	j := types.JobDetail{JobId: aws.String(id), JobName: aws.String(name), Status: status, Attempts: attempts}
	if reason != "" {
		j.StatusReason = aws.String(reason)
	}
	return j
}

func run(id string, attempt int, inst string, start, end float64, exit int, ended bool) jobrecord.Execution {
	return jobrecord.Execution{JobID: id, Attempt: attempt, Instance: inst, Start: at(start), LastSeen: at(end), Ended: ended, ExitCode: exit}
}

// world is a hand-made run: a ledger, the executions, and what Tanda says.
type world struct {
	l     LedgerSnapshot
	execs []jobrecord.Execution
	obs   Observed
}

// clean is a run with nothing wrong: a job that succeeded on its second
// attempt after losing its host, a job whose dependency it waited for, an
// array of two, a cancelled job and a recovered submission.
func clean() world {
	lost := "Host EC2 (instance i-a) terminated."
	w := world{
		l: LedgerSnapshot{
			Acks: []Ack{
				{JobID: "j1", Name: "n1", Kind: KindSingle},
				{JobID: "j2", Name: "n2", Kind: KindChain, DependsOn: []string{"j1"}},
				{JobID: "arr", Name: "n3", Kind: KindArray, ArraySize: 2},
				{JobID: "j4", Name: "n4", Kind: KindSingle},
			},
			Indeterminate: map[string]string{"n5": KindSingle},
			Actions:       []Action{{Op: "cancel", JobID: "j4", Reason: "chaos cancel 0"}},
		},
		execs: []jobrecord.Execution{
			run("j1", 1, "i-a", 0, 1, 0, false),
			run("j1", 2, "i-b", 6, 7, 0, true),
			run("j2", 1, "i-b", 8, 9, 0, true),
			run("arr:0", 1, "i-b", 1, 2, 0, true),
			run("arr:1", 1, "i-b", 1, 2, 0, true),
			run("j5", 1, "i-b", 3, 4, 0, true),
		},
		obs: Observed{
			Jobs: map[string]types.JobDetail{
				"j1":    job("j1", "n1", types.JobStatusSucceeded, "", attempt("i-a", nil, lost), attempt("i-b", code(0), reasonExited)),
				"j2":    job("j2", "n2", types.JobStatusSucceeded, "", attempt("i-b", code(0), reasonExited)),
				"arr":   job("arr", "n3", types.JobStatusSucceeded, ""),
				"arr:0": job("arr:0", "", types.JobStatusSucceeded, "", attempt("i-b", code(0), reasonExited)),
				"arr:1": job("arr:1", "", types.JobStatusSucceeded, "", attempt("i-b", code(0), reasonExited)),
				"j4":    job("j4", "n4", types.JobStatusFailed, "chaos cancel 0"),
				"j5":    job("j5", "n5", types.JobStatusSucceeded, "", attempt("i-b", code(0), reasonExited)),
			},
			Instances: map[string]bool{"i-b": true},
		},
	}
	arr := w.obs.Jobs["arr"]
	arr.ArrayProperties = &types.ArrayPropertiesDetail{Size: aws.Int32(2), StatusSummary: map[string]int32{"SUCCEEDED": 2}}
	w.obs.Jobs["arr"] = arr
	j2 := w.obs.Jobs["j2"]
	j2.DependsOn = []types.JobDependency{{JobId: aws.String("j1")}}
	w.obs.Jobs["j2"] = j2
	for _, id := range []string{"j1", "j2", "arr", "j4", "j5"} {
		j := w.obs.Jobs[id]
		w.obs.Listed = append(w.obs.Listed, types.JobSummary{JobId: j.JobId, JobName: j.JobName, Status: j.Status})
	}
	return w
}

func TestCheckCleanRun(t *testing.T) {
	w := clean()
	r := Check(w.l, w.execs, w.obs)
	if len(r.Violations) != 0 {
		t.Fatalf("violations in a clean run:\n%s", strings.Join(r.Lines(), "\n"))
	}
	if r.Acked != 4 || r.Recovered != 1 || r.Unanswered != 0 || r.Children != 2 || r.Jobs != 7 || r.Terminal != 7 || r.Accounted() != 100 || r.Killed != 1 {
		t.Errorf("report = %+v, want 4 acknowledged, 1 recovered, 2 children, 7 of 7 terminal, 1 killed", r)
	}
	if !strings.Contains(r.Summary(), "7 of 7 terminal (100.000 %)") {
		t.Errorf("summary %q", r.Summary())
	}
}

// TestCheckCatchesEachViolation breaks the clean run one way at a time:
// the checker must report that kind of violation, on that job.
func TestCheckCatchesEachViolation(t *testing.T) {
	setJob := func(w *world, id string, f func(*types.JobDetail)) {
		j := w.obs.Jobs[id]
		f(&j)
		w.obs.Jobs[id] = j
	}
	tests := []struct {
		kind, job string
		break_    func(w *world)
	}{
		{Lost, "j2", func(w *world) { delete(w.obs.Jobs, "j2") }},
		{NotTerminal, "j2", func(w *world) {
			setJob(w, "j2", func(j *types.JobDetail) { j.Status = types.JobStatusRunnable })
		}},
		{RunningOnLostHost, "j2", func(w *world) {
			setJob(w, "j2", func(j *types.JobDetail) {
				j.Status = types.JobStatusRunning
				j.Attempts = []types.AttemptDetail{attempt("i-gone", nil, "")}
			})
		}},
		{AckedTwice, "j1", func(w *world) { w.l.Twice = []Ack{{JobID: "j1", Name: "n9"}} }},
		{Unexpected, "j6", func(w *world) {
			w.obs.Listed = append(w.obs.Listed, types.JobSummary{JobId: aws.String("j6"), JobName: aws.String("n6")})
		}},
		{Unexpected, "j7", func(w *world) { // the indeterminate submission made two jobs
			w.obs.Listed = append(w.obs.Listed, types.JobSummary{JobId: aws.String("j7"), JobName: aws.String("n5")})
		}},
		{Unexplained, "j4", func(w *world) { w.l.Actions = nil }}, // cancelled by nobody
		{Unexplained, "j4", func(w *world) {
			setJob(w, "j4", func(j *types.JobDetail) { j.StatusReason = nil })
		}},
		{Unexplained, "j2", func(w *world) { // exited 0 yet FAILED
			setJob(w, "j2", func(j *types.JobDetail) { j.Status, j.StatusReason = types.JobStatusFailed, aws.String(reasonExited) })
		}},
		{BadSuccess, "j2", func(w *world) {
			setJob(w, "j2", func(j *types.JobDetail) { j.Attempts = []types.AttemptDetail{attempt("i-b", code(1), reasonExited)} })
		}},
		{RanTwice, "j2", func(w *world) { w.execs = append(w.execs, run("j2", 1, "i-b", 9.5, 10, 0, true)) }},
		{ConcurrentRun, "j2", func(w *world) { w.execs = append(w.execs, run("j2", 1, "i-b", 8.5, 10, 0, true)) }},
		{Zombie, "j1", func(w *world) { w.execs[0].LastSeen = at(6.5) }}, // attempt 1 ran on after attempt 2 began
		{NoAttempt, "j2", func(w *world) { w.execs = append(w.execs, run("j2", 2, "i-b", 10, 11, 0, true)) }},
		{NoAttempt, "j9", func(w *world) { w.execs = append(w.execs, run("j9", 1, "i-b", 10, 11, 0, true)) }},
		{NoExecution, "j2", func(w *world) { w.execs = w.execs[:2:2] }},
		{WrongInstance, "j2", func(w *world) { w.execs[2].Instance = "i-c" }},
		{ExitMismatch, "j2", func(w *world) { w.execs[2].ExitCode = 3 }},
		{ArrayInconsistent, "arr", func(w *world) { delete(w.obs.Jobs, "arr:1") }},
		{ArrayInconsistent, "arr", func(w *world) {
			setJob(w, "arr", func(j *types.JobDetail) {
				j.ArrayProperties.StatusSummary = map[string]int32{"SUCCEEDED": 1, "FAILED": 1}
			})
		}},
		{ArrayInconsistent, "arr", func(w *world) {
			setJob(w, "arr:1", func(j *types.JobDetail) {
				j.Status, j.StatusReason = types.JobStatusFailed, aws.String("chaos cancel 0")
			})
			w.l.Actions = append(w.l.Actions, Action{JobID: "arr", Reason: "chaos cancel 0"})
			setJob(w, "arr", func(j *types.JobDetail) {
				j.ArrayProperties.StatusSummary = map[string]int32{"SUCCEEDED": 1, "FAILED": 1}
			})
		}}, // SUCCEEDED with a child FAILED
		{DependencyBroken, "j2", func(w *world) { w.execs[2].Start = at(6.5) }}, // started before j1 ended
		{DependencyBroken, "j2", func(w *world) { // SUCCEEDED though j1 FAILED
			setJob(w, "j1", func(j *types.JobDetail) {
				j.Status, j.StatusReason = types.JobStatusFailed, aws.String(reasonExited)
				j.Attempts[1].Container.ExitCode = code(1)
			})
			w.execs[1].ExitCode = 1
		}},
		{DependencyBroken, "j2", func(w *world) { // failed for a dependency that succeeded
			setJob(w, "j2", func(j *types.JobDetail) {
				j.Status, j.StatusReason, j.Attempts = types.JobStatusFailed, aws.String(reasonDependency), nil
			})
			w.execs = w.execs[:2:2]
		}},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d-%s", i, tt.kind), func(t *testing.T) {
			w := clean()
			tt.break_(&w)
			r := Check(w.l, w.execs, w.obs)
			found := false
			for _, v := range r.Violations {
				if v.Kind == tt.kind && v.JobID == tt.job {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s violation on %s; got:\n%s", tt.kind, tt.job, strings.Join(r.Lines(), "\n"))
			}
		})
	}
}

// An instance taken by two faults (its agent killed, later the instance
// terminated): each attempt is timed from the latest fault before it
// stopped, and one that stopped before any, or began after the fault
// before its stop, is not counted.
func TestRecoveryTimesEachAttemptFromItsLatestFault(t *testing.T) {
	lost := "Host EC2 (instance i-1) terminated."
	stopped := func(s float64) types.AttemptDetail {
		a := attempt("i-1", nil, lost)
		a.StoppedAt = aws.Int64(at(s).UnixMilli())
		return a
	}
	// Began on the agent that replaced the killed one, lost its host
	// later with no fault on it (its heartbeats refused, say).
	startedStopped := func(start, stop float64) types.AttemptDetail {
		a := stopped(stop)
		a.StartedAt = aws.Int64(at(start).UnixMilli())
		return a
	}
	r := Result{
		Injected: []Injected{
			{Event: Event{Kind: FaultKillAgent}, At: at(10), HealedAt: at(11), Lost: []string{"i-1"}},
			{Event: Event{Kind: FaultTerminateInstance}, At: at(40), Lost: []string{"i-1"}},
		},
		Recovery: map[string][]time.Duration{},
	}
	obs := Observed{Jobs: map[string]types.JobDetail{
		"a": job("a", "a", types.JobStatusRunnable, "", stopped(16)),
		"b": job("b", "b", types.JobStatusRunnable, "", stopped(45)),
		"c": job("c", "c", types.JobStatusRunnable, "", stopped(9)),
		"d": job("d", "d", types.JobStatusRunnable, "", startedStopped(20, 30)),
	}}
	r.recovery(obs)
	want := map[string][]time.Duration{FaultKillAgent: {5 * time.Second}, FaultTerminateInstance: {5 * time.Second}}
	if fmt.Sprint(r.Recovery) != fmt.Sprint(want) {
		t.Errorf("Recovery = %v, want %v", r.Recovery, want)
	}
	if got := r.Slowest[FaultTerminateInstance]; !strings.HasPrefix(got, "b on i-1,") {
		t.Errorf("Slowest[terminate-instance] = %q, want job b on i-1", got)
	}
}
