package control_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

// TestAttemptLogStreamFollowsTheStreamPrefix checks that an attempt of a
// job whose definition sets awslogs-stream-prefix logs to
// "<prefix>/default/<task>", in its attempt and its container, as AWS Batch
// names it; and an array child's attempts likewise.
func TestAttemptLogStreamFollowsTheStreamPrefix(t *testing.T) {
	h := newHarness(t)
	h.registerDef("prefixed", func(in *batch.RegisterJobDefinitionInput) {
		in.ContainerProperties.LogConfiguration = &batch.LogConfiguration{LogDriver: "awslogs", Options: map[string]string{
			"awslogs-group": "/app/nightly", "awslogs-stream-prefix": "nightly/etl",
		}}
	})
	id := h.submit(&batch.SubmitJobInput{JobDefinition: "prefixed"})
	h.drain()
	h.ready()
	claimed, err := h.svc.Claim(h.ctx, id, control.Placement{InstanceID: "i-1", ComputeEnvironment: ceName})
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	want := "nightly/etl/default/" + id + "-1"
	if got := claimed.Attempts[0].Container.LogStreamName; got != want {
		t.Errorf("attempt logStreamName = %q, want %q", got, want)
	}
	if got := claimed.Container.LogStreamName; got != want {
		t.Errorf("container logStreamName = %q, want %q", got, want)
	}
	if got := control.AttemptLogStream(&claimed, 2); got != "nightly/etl/default/"+id+"-2" {
		t.Errorf("AttemptLogStream(attempt 2) = %q", got)
	}

	// Without a prefix, the definition's name heads the stream, whatever
	// the group.
	h.registerDef("grouped", func(in *batch.RegisterJobDefinitionInput) {
		in.ContainerProperties.LogConfiguration = &batch.LogConfiguration{LogDriver: "awslogs", Options: map[string]string{"awslogs-group": "/app/x"}}
	})
	id = h.submit(&batch.SubmitJobInput{JobDefinition: "grouped", ArrayProperties: &batch.ArrayProperties{Size: new(2)}})
	h.drain()
	h.ready()
	child := id + ":1"
	h.drain()
	claimed, err = h.svc.Claim(h.ctx, child, control.Placement{InstanceID: "i-1", ComputeEnvironment: ceName})
	if err != nil {
		t.Fatalf("Claim(%s): %v", child, err)
	}
	if got, want := claimed.Attempts[0].Container.LogStreamName, "grouped/default/"+id+"-1-1"; got != want {
		t.Errorf("array child's logStreamName = %q, want %q", got, want)
	}
}

// TestSubmitJobRefusesADefinitionWithAnUnsupportedLogDriver checks that a
// revision stored before Tanda checked log drivers (written here behind
// the API's back) cannot start jobs: SubmitJob answers a ClientError that
// names awslogs, and no job is made.
func TestSubmitJobRefusesADefinitionWithAnUnsupportedLogDriver(t *testing.T) {
	h := newHarness(t)
	out := h.registerDef("old", nil)
	key := "old#0000000001"
	it, err := h.db.GetItem(h.ctx, batch.KindJobDefinition, key)
	if err != nil {
		t.Fatalf("reading the stored definition: %v", err)
	}
	var jd batch.JobDefinition
	if err := json.Unmarshal(it.Doc, &jd); err != nil {
		t.Fatal(err)
	}
	jd.ContainerProperties.LogConfiguration = &batch.LogConfiguration{LogDriver: "json-file"}
	if it.Doc, err = json.Marshal(jd); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.PutItem(h.ctx, it, it.Version); err != nil {
		t.Fatalf("rewriting the stored definition: %v", err)
	}
	before := h.countJobs()
	_, err = h.svc.SubmitJob(h.ctx, &batch.SubmitJobInput{JobName: "j", JobQueue: queueName, JobDefinition: "old"})
	if !batch.IsClientError(err) {
		t.Fatalf("SubmitJob = %v, want a ClientError", err)
	}
	want := "JobDefinition " + out.JobDefinitionArn + `: containerProperties.logConfiguration.logDriver "json-file" is not supported by Tanda`
	if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "; register a new revision") {
		t.Errorf("SubmitJob error = %q, want it to start with %q and end with the remedy", err, want)
	}
	if n := h.countJobs(); n != before {
		t.Errorf("jobs = %d after the refused submission, want %d", n, before)
	}
}
