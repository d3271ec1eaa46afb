package lambdaurl_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/tanda-batch/tanda/functions/internal/lambdaurl"
	"github.com/tanda-batch/tanda/functions/internal/lambdaurl/lambdaurltest"
)

// TestSDKCallsThroughAFunctionURL signs AWS Batch calls with the SDK,
// sends them through a played function URL and checks that the handler
// behind it verifies each signature and sees the operation's path.
func TestSDKCallsThroughAFunctionURL(t *testing.T) {
	v := verifier(time.Now())
	var paths []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := v.Verify(r.Context(), r, body); err != nil {
			w.Header().Set("X-Amzn-ErrorType", "InvalidSignatureException")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"message":"` + err.Error() + `"}`))
			return
		}
		paths = append(paths, r.Method+" "+r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	})
	client := batch.New(batch.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String("https://abcdefghij1234567890.lambda-url.us-east-1.on.aws"),
		Credentials:      credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
		HTTPClient:       lambdaurltest.Client{Invoke: lambdaurl.Handler(h)},
		RetryMaxAttempts: 1,
	})
	ctx := context.Background()
	arn := "arn:aws:batch:us-east-1:123456789012:job-queue/high priority"
	calls := []struct {
		name string
		call func() error
	}{
		{"DescribeJobQueues", func() error {
			_, err := client.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{JobQueues: []string{"high-priority"}})
			return err
		}},
		{"ListTagsForResource", func() error {
			_, err := client.ListTagsForResource(ctx, &batch.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
			return err
		}},
		{"UntagResource", func() error {
			_, err := client.UntagResource(ctx, &batch.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team", "cost centre"}})
			return err
		}},
		{"SubmitJob", func() error {
			_, err := client.SubmitJob(ctx, &batch.SubmitJobInput{JobName: aws.String("ünïcode"), JobQueue: aws.String("q"), JobDefinition: aws.String("d"),
				ContainerOverrides: &types.ContainerOverrides{Command: []string{"echo", "a,b", "c;d"}}})
			return err
		}},
	}
	for _, c := range calls {
		if err := c.call(); err != nil {
			t.Errorf("%s through the function URL: %v", c.name, err)
		}
	}
	want := []string{
		"POST /v1/describejobqueues",
		"GET /v1/tags/" + arn,
		"DELETE /v1/tags/" + arn,
		"POST /v1/submitjob",
	}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Errorf("handler saw:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
}
