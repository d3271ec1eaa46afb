package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	batchsdk "github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/smithy-go"

	"github.com/tanda-batch/tanda/batch"
)

// sdkClient is the real aws-sdk-go-v2 Batch client talking to h.
func sdkClient(t *testing.T, h http.Handler) *batchsdk.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return batchsdk.New(batchsdk.Options{
		BaseEndpoint: aws.String(srv.URL),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:   srv.Client(),
		Retryer:      aws.NopRetryer{},
	})
}

func TestSDKSubmitJob(t *testing.T) {
	fb := &fakeBackend{outs: map[string]any{
		"SubmitJob": &batch.SubmitJobOutput{JobArn: "arn:aws:batch:us-east-1:123456789012:job/id-1", JobName: "hello", JobID: "id-1"},
	}}
	client := sdkClient(t, New(fb, testOptions()))
	out, err := client.SubmitJob(context.Background(), &batchsdk.SubmitJobInput{
		JobName:       aws.String("hello"),
		JobQueue:      aws.String("q"),
		JobDefinition: aws.String("d:1"),
		ContainerOverrides: &batchtypes.ContainerOverrides{
			Command:     []string{"echo", "hi"},
			Environment: []batchtypes.KeyValuePair{{Name: aws.String("A"), Value: aws.String("1")}},
		},
		Timeout: &batchtypes.JobTimeout{AttemptDurationSeconds: aws.Int32(60)},
	})
	if err != nil {
		t.Fatalf("SubmitJob: %v", err)
	}
	if aws.ToString(out.JobId) != "id-1" || aws.ToString(out.JobName) != "hello" || aws.ToString(out.JobArn) == "" {
		t.Errorf("output = %+v, want id-1, hello and an ARN", out)
	}
	if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); id != "req-1" {
		t.Errorf("SDK request id = %q, want req-1", id)
	}
	call := fb.recordedCalls()[0]
	in := call.in.(*batch.SubmitJobInput)
	if in.JobName != "hello" || in.JobQueue != "q" || in.JobDefinition != "d:1" ||
		!reflect.DeepEqual(in.ContainerOverrides.Command, []string{"echo", "hi"}) ||
		len(in.ContainerOverrides.Environment) != 1 || in.Timeout == nil || *in.Timeout.AttemptDurationSeconds != 60 {
		t.Errorf("backend input = %+v, want the submitted job", in)
	}
	if call.info.InvocationID == "" {
		t.Error("no invocation id reached the backend")
	}
}

// pagingBackend serves ListJobs in two pages.
type pagingBackend struct {
	*fakeBackend
}

func (p pagingBackend) ListJobs(ctx context.Context, in *batch.ListJobsInput) (*batch.ListJobsOutput, error) {
	if _, err := answer[struct{}](ctx, p.fakeBackend, "ListJobs", in); err != nil {
		return nil, err
	}
	if in.NextToken == "" {
		return &batch.ListJobsOutput{JobSummaryList: []batch.JobSummary{{JobID: "a", JobName: "a"}}, NextToken: aws.String("page-2")}, nil
	}
	return &batch.ListJobsOutput{JobSummaryList: []batch.JobSummary{{JobID: "b", JobName: "b"}}}, nil
}

func TestSDKListJobsPages(t *testing.T) {
	fb := &fakeBackend{}
	client := sdkClient(t, New(pagingBackend{fb}, testOptions()))
	pages := batchsdk.NewListJobsPaginator(client, &batchsdk.ListJobsInput{JobQueue: aws.String("q")})
	var ids []string
	var lastToken *string
	for pages.HasMorePages() {
		out, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListJobs: %v", err)
		}
		for _, j := range out.JobSummaryList {
			ids = append(ids, aws.ToString(j.JobId))
		}
		lastToken = out.NextToken
	}
	if want := []string{"a", "b"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("job ids = %v, want %v", ids, want)
	}
	if lastToken != nil {
		t.Errorf("last page nextToken = %q, want absent", *lastToken)
	}
	var tokens []string
	for _, c := range fb.recordedCalls() {
		tokens = append(tokens, c.in.(*batch.ListJobsInput).NextToken)
	}
	if want := []string{"", "page-2"}; !reflect.DeepEqual(tokens, want) {
		t.Errorf("tokens sent = %q, want %q", tokens, want)
	}
}

func TestSDKTags(t *testing.T) {
	const arn = "arn:aws:batch:us-east-1:123456789012:job-queue/q1"
	fb := &fakeBackend{tags: map[string]string{"team": "x", "env": "dev"}}
	client := sdkClient(t, New(fb, testOptions()))
	ctx := context.Background()

	if _, err := client.TagResource(ctx, &batchsdk.TagResourceInput{ResourceArn: aws.String(arn), Tags: fb.tags}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	out, err := client.ListTagsForResource(ctx, &batchsdk.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForResource: %v", err)
	}
	if !reflect.DeepEqual(out.Tags, fb.tags) {
		t.Errorf("tags = %v, want %v", out.Tags, fb.tags)
	}
	if _, err := client.UntagResource(ctx, &batchsdk.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team", "env"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	want := []recorded{
		{op: "TagResource", in: tagCall{ARN: arn, Tags: fb.tags}},
		{op: "ListTagsForResource", in: tagCall{ARN: arn}},
		{op: "UntagResource", in: tagCall{ARN: arn, Keys: []string{"env", "team"}}},
	}
	got := fb.recordedCalls()
	if len(got) == len(want) {
		slices.Sort(got[2].in.(tagCall).Keys) // the SDK may reorder query parameters
	}
	if len(got) != len(want) {
		t.Fatalf("backend calls = %d, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].op != want[i].op || !reflect.DeepEqual(got[i].in, want[i].in) {
			t.Errorf("call %d = %s %+v, want %s %+v", i, got[i].op, got[i].in, want[i].op, want[i].in)
		}
	}
}

func TestSDKErrors(t *testing.T) {
	t.Run("ClientException", func(t *testing.T) {
		client := sdkClient(t, New(&fakeBackend{err: batch.Clientf("JobQueue q not found.")}, testOptions()))
		_, err := client.DescribeJobQueues(context.Background(), &batchsdk.DescribeJobQueuesInput{JobQueues: []string{"q"}})
		var ce *batchtypes.ClientException
		if !errors.As(err, &ce) {
			t.Fatalf("error = %v (%T), want *types.ClientException", err, err)
		}
		if got := aws.ToString(ce.Message); got != "JobQueue q not found." {
			t.Errorf("message = %q, want %q", got, "JobQueue q not found.")
		}
	})
	t.Run("ServerException", func(t *testing.T) {
		client := sdkClient(t, New(&fakeBackend{err: errors.New("boom")}, testOptions()))
		_, err := client.DescribeJobQueues(context.Background(), &batchsdk.DescribeJobQueuesInput{})
		var se *batchtypes.ServerException
		if !errors.As(err, &se) {
			t.Fatalf("error = %v (%T), want *types.ServerException", err, err)
		}
	})
	t.Run("TooManyRequestsException", func(t *testing.T) {
		client := sdkClient(t, New(&fakeBackend{err: batch.ErrThrottled}, testOptions()))
		_, err := client.DescribeJobQueues(context.Background(), &batchsdk.DescribeJobQueuesInput{})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "TooManyRequestsException" || ae.ErrorMessage() != "Too Many Requests" {
			t.Fatalf("error = %v, want API error TooManyRequestsException", err)
		}
	})
	t.Run("auth failure", func(t *testing.T) {
		opts := testOptions()
		opts.Auth = &fakeAuth{err: authFailure{"InvalidSignatureException", "Signature expired"}}
		client := sdkClient(t, New(&fakeBackend{}, opts))
		_, err := client.ListJobs(context.Background(), &batchsdk.ListJobsInput{JobQueue: aws.String("q")})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidSignatureException" || ae.ErrorMessage() != "Signature expired" {
			t.Fatalf("error = %v, want API error InvalidSignatureException", err)
		}
	})
}
