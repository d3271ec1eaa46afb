package local

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
)

// CancelJobs and TerminateJobs are newer than the SDK and CLI on these
// machines, so they are sent signed by hand, as an SDK would.
func TestBulkCancelAndTerminate(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	running := td.submit(t, &awsbatch.SubmitJobInput{ContainerOverrides: command("sleep", "300")})
	waitFor(t, 30*time.Second, "the job to run", func() bool { return td.describe(t, running).Status == types.JobStatusRunning })
	waiting := td.submit(t, &awsbatch.SubmitJobInput{DependsOn: []types.JobDependency{{JobId: &running}}, ContainerOverrides: command("true")})

	bulk := func(op string, ids ...string) map[string]any {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"jobs": ids, "reason": "bulk " + op})
		status, typ, out := td.rawCall(t, http.MethodPost, "/v1/"+op, body, true)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s %s", op, status, typ, out)
		}
		var res map[string]any
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	// CancelJobs cancels the waiting job, leaves the running one alone, and
	// counts an unknown id as successful.
	res := bulk("canceljobs", waiting, running, "no-such-job")
	if n := len(res["successful"].([]any)); n != 3 {
		t.Errorf("canceljobs = %v, want 3 successful", res)
	}
	if j := td.waitDone(t, waiting, 10*time.Second); !aws.ToBool(j.IsCancelled) {
		t.Errorf("waiting job = %s cancelled=%v", j.Status, aws.ToBool(j.IsCancelled))
	}
	if st := td.describe(t, running).Status; st != types.JobStatusRunning {
		t.Errorf("CancelJobs changed a RUNNING job to %s", st)
	}
	bulk("terminatejobs", running)
	if j := td.waitDone(t, running, 30*time.Second); j.Status != types.JobStatusFailed || !aws.ToBool(j.IsTerminated) || aws.ToString(j.StatusReason) != "bulk terminatejobs" {
		t.Errorf("terminated job = %s terminated=%v (%s)", j.Status, aws.ToBool(j.IsTerminated), aws.ToString(j.StatusReason))
	}
}
