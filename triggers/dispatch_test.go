package triggers_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/triggers"
)

func notification(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestANotificationDeliveredTwiceSubmitsOneJob(t *testing.T) {
	r := newRig(t)
	r.createRule(t, "csv", "uploads", "in/", ".csv")
	d := triggers.NewDispatcher(r.ctl, quietLogger())
	body := notification(t, "created-versioned.json")
	var ids []string
	for range 2 {
		subs, err := d.HandleNotification(r.ctx, body)
		if err != nil {
			t.Fatalf("HandleNotification: %v", err)
		}
		if len(subs) != 1 {
			t.Fatalf("submissions = %+v, want 1", subs)
		}
		ids = append(ids, subs[0].JobID)
	}
	if ids[0] != ids[1] {
		t.Errorf("job ids = %v, want the same job twice", ids)
	}
	jobs := r.jobs(t)
	if len(jobs) != 1 {
		t.Fatalf("jobs = %d, want 1", len(jobs))
	}
	j := jobs[0]
	if want := []string{"echo", "s3://uploads/in/my file(2).csv", "1024"}; !slices.Equal(j.Container.Command, want) {
		t.Errorf("command = %q, want %q", j.Container.Command, want)
	}
	if j.JobName != "csv" || j.Status != batch.Runnable {
		t.Errorf("job %s is %s, want csv, RUNNABLE", j.JobName, j.Status)
	}
	if got := j.Parameters["versionId"]; got != "096fKKXTRTtl3on89fVO.nfljtsv6qko" {
		t.Errorf("versionId = %q, want the object's version", got)
	}
}

func TestEachVersionAndEachRuleSubmitsItsOwnJob(t *testing.T) {
	r := newRig(t)
	r.createRule(t, "csv", "uploads", "in/", ".csv")
	r.createRule(t, "everything", "uploads", "", "")
	r.createRule(t, "elsewhere", "other", "", "")
	d := triggers.NewDispatcher(r.ctl, quietLogger())
	v1 := triggers.Object{Bucket: "uploads", Key: "in/a.csv", Sequencer: "01"}
	v2 := v1
	v2.Sequencer = "02"
	subs, err := d.Dispatch(r.ctx, mustRules(t, r), []triggers.Object{v1, v2, v1})
	if err != nil {
		t.Fatalf("Dispatch: %v", err)
	}
	byRule := map[string][]string{}
	for _, s := range subs {
		byRule[s.Rule] = append(byRule[s.Rule], s.JobID)
	}
	for _, rule := range []string{"csv", "everything"} {
		ids := byRule[rule]
		if len(ids) != 3 || ids[0] == ids[1] || ids[0] != ids[2] {
			t.Errorf("rule %s submitted %v, want v1, v2, v1 again: two jobs", rule, ids)
		}
	}
	if n := len(byRule["elsewhere"]); n != 0 {
		t.Errorf("a rule of another bucket submitted %d jobs", n)
	}
	if n := len(r.jobs(t)); n != 4 {
		t.Errorf("jobs = %d, want 4 (two versions, two rules)", n)
	}
}

func TestARuleThatCannotSubmitIsSkipped(t *testing.T) {
	r := newRig(t)
	r.createRule(t, "broken", "uploads", "", "")
	r.createRule(t, "fine", "uploads", "", "")
	rules := mustRules(t, r)
	rules[0].JobQueue = "gone"
	d := triggers.NewDispatcher(r.ctl, quietLogger())
	subs, err := d.Dispatch(r.ctx, rules, []triggers.Object{{Bucket: "uploads", Key: "k", Sequencer: "1"}})
	if err != nil {
		t.Fatalf("Dispatch: %v", err)
	}
	if len(subs) != 1 || subs[0].Rule != "fine" {
		t.Errorf("submissions = %+v, want the one of rule fine", subs)
	}
}

// failingControl fails every submission with a server error.
type failingControl struct{ rules []triggers.Rule }

func (f failingControl) TriggerRules(context.Context) ([]triggers.Rule, error) { return f.rules, nil }

func (failingControl) SubmitJob(context.Context, *batch.SubmitJobInput) (*batch.SubmitJobOutput, error) {
	return nil, errors.New("store unavailable")
}

func TestAServerFailureIsReturned(t *testing.T) {
	ctl := failingControl{rules: []triggers.Rule{{Name: "r", Bucket: "uploads"}}}
	_, err := triggers.NewDispatcher(ctl, quietLogger()).HandleNotification(context.Background(), notification(t, "created-versioned.json"))
	if err == nil || !strings.Contains(err.Error(), "store unavailable") || !strings.Contains(err.Error(), "trigger rule r") {
		t.Errorf("HandleNotification = %v, want the submission's failure, naming the rule", err)
	}
}

func TestTheTestEventSubmitsNothing(t *testing.T) {
	ctl := failingControl{rules: []triggers.Rule{{Name: "r", Bucket: "uploads"}}}
	subs, err := triggers.NewDispatcher(ctl, quietLogger()).HandleNotification(context.Background(), notification(t, "test-event.json"))
	if err != nil || len(subs) != 0 {
		t.Errorf("HandleNotification = %v, %v; want nothing and no error", subs, err)
	}
}

func mustRules(t *testing.T, r *rig) []triggers.Rule {
	t.Helper()
	rules, err := r.ctl.TriggerRules(r.ctx)
	if err != nil {
		t.Fatalf("TriggerRules: %v", err)
	}
	return rules
}

func TestARepeatAfterTheRuleChangedFindsTheFirstJob(t *testing.T) {
	r := newRig(t)
	r.createRule(t, "csv", "uploads", "", "")
	d := triggers.NewDispatcher(r.ctl, quietLogger())
	obj := []triggers.Object{{Bucket: "uploads", Key: "a.csv", VersionID: "v1"}}
	rules := mustRules(t, r)
	first, err := d.Dispatch(r.ctx, rules, obj)
	if err != nil || len(first) != 1 {
		t.Fatalf("Dispatch = %+v, %v; want one submission", first, err)
	}
	rules[0].Parameters = map[string]string{"mode": "changed"}
	again, err := d.Dispatch(r.ctx, rules, obj)
	if err != nil || len(again) != 1 || again[0].JobID != first[0].JobID {
		t.Errorf("the repeat = %+v, %v; want job %s again", again, err, first[0].JobID)
	}
}
