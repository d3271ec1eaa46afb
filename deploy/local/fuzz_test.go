package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var fuzzOperations = []string{
	"submitjob", "describejobs", "listjobs", "canceljob", "terminatejob", "canceljobs", "terminatejobs",
	"registerjobdefinition", "describejobdefinitions", "deregisterjobdefinition",
	"createcomputeenvironment", "updatecomputeenvironment", "describecomputeenvironments", "deletecomputeenvironment",
	"createjobqueue", "updatejobqueue", "describejobqueues", "deletejobqueue",
	"createschedulingpolicy", "updateschedulingpolicy", "describeschedulingpolicies", "listschedulingpolicies",
	"deleteschedulingpolicy", "getjobqueuesnapshot",
}

// FuzzAPINeverServerError sends signed requests with arbitrary bodies to
// every operation of a real one-machine Tanda: whatever the body, the
// answer is never a 5xx (a client's mistake is a 4xx ClientException).
func FuzzAPINeverServerError(f *testing.F) {
	seeds := []string{
		`{}`, `null`, `[]`, `{"jobName":"a","jobQueue":"default","jobDefinition":"example"}`,
		`{"jobName":"a","jobQueue":"default","jobDefinition":"example","arrayProperties":{"size":-1}}`,
		`{"jobName":"a","jobQueue":"default","jobDefinition":"example:999999999999"}`,
		`{"jobName":"a","jobQueue":"arn:aws:batch:us-east-1:123456789012:job-queue/default","jobDefinition":"arn:aws:batch:x"}`,
		`{"jobName":"a","jobQueue":"default","jobDefinition":"example","dependsOn":[{"jobId":"","type":"N_TO_N"}]}`,
		`{"jobName":"a","jobQueue":"default","jobDefinition":"example","containerOverrides":{"resourceRequirements":[{"type":"VCPU","value":"1e400"}]}}`,
		`{"jobName":"a","jobQueue":"default","jobDefinition":"example","timeout":{"attemptDurationSeconds":9223372036854775807}}`,
		`{"jobs":["x",""]}`, `{"jobQueue":"default","filters":[{"name":"AFTER_CREATED_AT","values":["-1"]}]}`,
		`{"jobQueue":"default","nextToken":"garbage"}`, `{"arrayJobId":"nope:1"}`,
		`{"jobId":"x","reason":"r"}`, `{"jobs":["a"],"reason":"r"}`,
		`{"jobDefinitionName":"d","type":"container","containerProperties":{"image":"i","vcpus":1,"memory":4}}`,
		`{"jobDefinitions":["d:1","arn:aws:batch:us-east-1:123456789012:job-definition/d"]}`,
		`{"computeEnvironmentName":"c","type":"MANAGED","computeResources":{"type":"EC2","maxvCpus":4,"instanceTypes":["optimal"]}}`,
		`{"computeEnvironment":"default","computeResources":{"desiredvCpus":0,"minvCpus":5,"maxvCpus":1}}`,
		`{"jobQueueName":"q","priority":1,"computeEnvironmentOrder":[{"order":1,"computeEnvironment":"default"},{"order":1,"computeEnvironment":"default"}]}`,
		`{"jobQueue":"default","jobStateTimeLimitActions":[{"reason":"x","state":"RUNNABLE","maxTimeSeconds":1,"action":"CANCEL"}]}`,
		`{"name":"p","fairsharePolicy":{"shareDistribution":[{"shareIdentifier":"a*"},{"shareIdentifier":"ab"}]}}`,
		`{"arns":["arn:aws:batch:us-east-1:123456789012:scheduling-policy/none"]}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	td := runTanda(f, fastConfig(f.TempDir()))
	creds, err := td.cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	handler := td.Handler()
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		path := "/v1/" + fuzzOperations[int(op)%len(fuzzOperations)]
		req := httptest.NewRequest(http.MethodPost, td.Endpoint()+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "batch", td.cfg.Region, time.Now()); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q answered %d: %s", path, body, rec.Code, rec.Body.String())
		}
	})
}
