package local

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"

	"github.com/tanda-batch/tanda/capacity"
)

// TestCapacityHistoryOverTheAPI runs a job, so that the provisioner sees
// demand and launches an instance that runs it, stops Tanda (which writes
// the minute it was in), and reads the history after a restart through
// the signed capacity endpoint.
func TestCapacityHistoryOverTheAPI(t *testing.T) {
	cfg := fastConfig(t.TempDir())
	srv, stop := runUntilStopped(t, cfg)
	td := connect(t, srv, cfg)
	id := td.submit(t, &awsbatch.SubmitJobInput{ContainerOverrides: command("sleep", "1")})
	td.waitDone(t, id, 30*time.Second)
	stop()

	td = runTanda(t, cfg)
	get := func(query url.Values, sign bool) (int, string, []byte) {
		return td.rawCall(t, http.MethodGet, "/tanda/v1/capacity?"+query.Encode(), nil, sign)
	}
	status, _, body := get(url.Values{"computeEnvironment": {DefaultComputeEnvironment}, "hours": {"1"}}, true)
	if status != http.StatusOK {
		t.Fatalf("GET capacity: %d %s", status, body)
	}
	var series capacity.Series
	if err := json.Unmarshal(body, &series); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	if series.ComputeEnvironment != DefaultComputeEnvironment || series.To-series.From != time.Hour.Milliseconds() || len(series.Samples) == 0 {
		t.Fatalf("series = %s; want the default compute environment's last hour, with samples", body)
	}
	var demand, provisioned, used float64
	for _, s := range series.Samples {
		demand, provisioned, used = max(demand, s.DemandvCpus), max(provisioned, s.ProvisionedvCpus), max(used, s.UsedvCpus)
	}
	if demand < 1 || provisioned < 1 || used < 1 {
		t.Errorf("the history's peaks: demand %v, provisioned %v, used %v vCPUs; want at least the job's 1 each (%s)", demand, provisioned, used, body)
	}

	for _, tc := range []struct {
		name     string
		query    url.Values
		sign     bool
		status   int
		errType  string
		contains string
	}{
		{"unknown compute environment", url.Values{"computeEnvironment": {"nope"}}, true, 400, "ClientException", "ComputeEnvironment nope not found."},
		{"too many hours", url.Values{"computeEnvironment": {DefaultComputeEnvironment}, "hours": {"25"}}, true, 400, "ClientException", "hours must be between 1 and 24"},
		{"unsigned", url.Values{"computeEnvironment": {DefaultComputeEnvironment}}, false, 403, "", ""},
	} {
		status, errType, body := get(tc.query, tc.sign)
		if status != tc.status || (tc.errType != "" && (errType != tc.errType || !json.Valid(body) || !strings.Contains(string(body), tc.contains))) {
			t.Errorf("%s: %d %s %s; want %d %s saying %q", tc.name, status, errType, body, tc.status, tc.errType, tc.contains)
		}
	}
}
