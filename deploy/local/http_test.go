package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// rawCall sends a request signed (or not) the way the AWS CLI signs, and
// returns the status, error type header and body.
func (td *tanda) rawCall(t *testing.T, method, path string, body []byte, sign bool) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, td.Endpoint()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if sign {
		creds, err := td.cfg.Credentials.Retrieve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "batch", td.cfg.Region, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("X-Amzn-ErrorType"), data
}

// logLines reads a job's latest attempt's log through Tanda's logs endpoint.
func (td *tanda) logLines(t *testing.T, jobID string) []string {
	t.Helper()
	var lines []string
	token := ""
	for {
		q := url.Values{"jobId": {jobID}}
		if token != "" {
			q.Set("nextToken", token)
		}
		status, _, body := td.rawCall(t, http.MethodGet, "/tanda/v1/logs?"+q.Encode(), nil, true)
		if status != http.StatusOK {
			t.Fatalf("reading log of %s: %d %s", jobID, status, body)
		}
		var page struct {
			Events []struct {
				Message string `json:"message"`
			} `json:"events"`
			NextToken string `json:"nextToken"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("decoding log page: %v", err)
		}
		for _, e := range page.Events {
			lines = append(lines, e.Message)
		}
		if len(page.Events) == 0 || page.NextToken == "" || page.NextToken == token {
			return lines
		}
		token = page.NextToken
	}
}
