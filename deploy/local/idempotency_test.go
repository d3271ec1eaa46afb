package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signedSubmit builds one signed SubmitJob request whose bytes can be sent
// again, as an SDK retry or an attacker's replay would.
func (td *tanda) signedSubmit(t *testing.T, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, td.Endpoint()+"/v1/submitjob", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	creds, err := td.cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "batch", td.cfg.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

// send sends a copy of a signed request with an invocation id.
func send(t *testing.T, signed *http.Request, body []byte, invocationID string) (int, map[string]any) {
	t.Helper()
	req := signed.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(body))
	if invocationID != "" {
		req.Header.Set("amz-sdk-invocation-id", invocationID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestSDKRetryOfSubmitJobReturnsTheFirstJobAndIdenticalCallsMakeNewJobs(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	body := []byte(`{"jobName":"once","jobQueue":"default","jobDefinition":"example","containerOverrides":{"command":["true"]}}`)
	signed := td.signedSubmit(t, body)

	status, first := send(t, signed, body, "inv-1")
	if status != http.StatusOK {
		t.Fatalf("first call: %d %v", status, first)
	}
	// An SDK retry of the same call: same bytes, same invocation id.
	status, retry := send(t, signed, body, "inv-1")
	if status != http.StatusOK || retry["jobId"] != first["jobId"] {
		t.Fatalf("retry: %d %v, want the first job %v", status, retry, first["jobId"])
	}
	// The same signed bytes under another invocation id, or none, are new
	// calls (botocore signs no invocation id): AWS makes a job for each.
	ids := map[any]bool{first["jobId"]: true}
	for _, inv := range []string{"inv-2", "", ""} {
		status, res := send(t, signed, body, inv)
		if status != http.StatusOK {
			t.Fatalf("identical call with invocation id %q: %d %v, want 200", inv, status, res)
		}
		ids[res["jobId"]] = true
	}
	if len(ids) != 4 {
		t.Errorf("4 distinct calls made %d distinct jobs, want 4", len(ids))
	}
	if n := td.jobCount(t); n != 4 {
		t.Errorf("%d jobs exist, want exactly 4", n)
	}
}
