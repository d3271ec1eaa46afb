package chaos

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// fakeAWS answers every call with a small JSON document (or XML for the
// query protocol) and records what it received.
type fakeAWS struct {
	mu    sync.Mutex
	calls []recorded
}

type recorded struct {
	key, target string
	body        []byte
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m := credential.FindStringSubmatch(r.Header.Get("Authorization"))
	key := ""
	if m != nil {
		key = m[1]
	}
	f.mu.Lock()
	f.calls = append(f.calls, recorded{key: key, target: r.Header.Get("X-Amz-Target"), body: body})
	f.mu.Unlock()
	if r.Header.Get("X-Amz-Target") == "" {
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><reservationSet/></DescribeInstancesResponse>`)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_, _ = io.WriteString(w, `{"Messages":[],"Item":{"padding":{"S":"`+strings.Repeat("x", 200)+`"}}}`)
}

func (f *fakeAWS) byKey(key string) []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []recorded
	for _, c := range f.calls {
		if c.key == key {
			out = append(out, c)
		}
	}
	return out
}

func startAWSProxy(t *testing.T) (*AWSProxy, *fakeAWS) {
	t.Helper()
	f := &fakeAWS{}
	up := httptest.NewServer(f)
	t.Cleanup(up.Close)
	p, err := StartAWSProxy(up.URL, map[string]string{"AKIDAGENT": "agent", "AKIDSERVER": "server"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p, f
}

var getItem = &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "1"}}}

func sdkConfig(key string, attempts int) aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(key, "secret", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.MaxBackoff = 10 * time.Millisecond
			})
		},
		HTTPClient: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}},
	}
}

// TestAWSProxyBreaksOneCallerAsTheSDKSeesIt: with the agents' calls all
// broken and the control plane's left alone, every agent call fails in a
// way the SDK's standard retryer retries (throttling among them, on both
// the JSON and the query protocols), every breakage happens, the calls
// dropped or refused before the write never reach AWS while the others
// do, and the control plane's calls all go through.
func TestAWSProxyBreaksOneCallerAsTheSDKSeesIt(t *testing.T) {
	p, f := startAWSProxy(t)
	p.Break("agent", 1)
	p.Delays(20 * time.Millisecond)
	ctx := context.Background()
	opt := func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(p.URL()) }
	agent := dynamodb.NewFromConfig(sdkConfig("AKIDAGENT", 1), opt)
	agentEC2 := ec2.NewFromConfig(sdkConfig("AKIDAGENT", 1), func(o *ec2.Options) { o.BaseEndpoint = aws.String(p.URL()) })
	server := dynamodb.NewFromConfig(sdkConfig("AKIDSERVER", 1), opt)
	retryable := retry.IsErrorRetryables(retry.DefaultRetryables)
	throttle := retry.IsErrorThrottles(retry.DefaultThrottles)
	var failed, throttled, ec2Throttled int
	const calls = 120
	for i := range calls {
		_, err := agent.GetItem(ctx, getItem)
		if err != nil {
			failed++
			if retryable.IsErrorRetryable(err) != aws.TrueTernary && throttle.IsErrorThrottle(err) != aws.TrueTernary {
				t.Errorf("call %d: the SDK would not retry %v", i, err)
			}
			if throttle.IsErrorThrottle(err) == aws.TrueTernary {
				throttled++
			}
		}
		if _, err := agentEC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}); err != nil && throttle.IsErrorThrottle(err) == aws.TrueTernary {
			ec2Throttled++
		}
		if _, err := server.GetItem(ctx, getItem); err != nil {
			t.Fatalf("call %d of the control plane, not broken: %v", i, err)
		}
	}
	counts := p.Counts()
	for _, b := range awsBreakages {
		if counts["agent "+b] == 0 {
			t.Errorf("after %d agent calls broken at rate 1, none was %s: %v", calls, b, counts)
		}
	}
	if throttled == 0 || ec2Throttled == 0 {
		t.Errorf("the SDK saw %d DynamoDB and %d EC2 throttling errors, want some of each", throttled, ec2Throttled)
	}
	if counts["server forwarded"] != calls || len(f.byKey("AKIDSERVER")) != calls {
		t.Errorf("control plane: %d forwarded, %d reached AWS; want %d", counts["server forwarded"], len(f.byKey("AKIDSERVER")), calls)
	}
	reached := int64(len(f.byKey("AKIDAGENT")))
	notReached := counts["agent "+awsDropped] + counts["agent "+awsThrottled] + counts["agent "+awsUnavailable]
	if reached != 2*calls-notReached {
		t.Errorf("agent calls that reached AWS: %d, want %d (all but the %d dropped or refused before the write)", reached, 2*calls-notReached, notReached)
	}
	if want := 2*calls - counts["agent "+awsDelayed]; int64(failed) > want || failed == 0 {
		t.Errorf("%d DynamoDB calls failed, want some and at most %d", failed, want)
	}

	p.Mend("agent")
	if _, err := agent.GetItem(ctx, getItem); err != nil {
		t.Errorf("mended: %v", err)
	}
}

// TestAWSProxyRedeliversSQS: ReceiveMessage's visibility is rewritten to
// the proxy's, and a share of sends is made twice.
func TestAWSProxyRedeliversSQS(t *testing.T) {
	p, f := startAWSProxy(t)
	p.Redeliver(time.Second, 1)
	ctx := context.Background()
	c := sqs.NewFromConfig(sdkConfig("AKIDSERVER", 1), func(o *sqs.Options) { o.BaseEndpoint = aws.String(p.URL()) })
	if _, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String("q"), VisibilityTimeout: 30}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String("q"), MessageBody: aws.String("job-1")}); err != nil {
		t.Fatal(err)
	}
	calls := f.byKey("AKIDSERVER")
	var sends int
	for _, call := range calls {
		switch call.target {
		case "AmazonSQS.ReceiveMessage":
			var in struct{ VisibilityTimeout int }
			if err := json.Unmarshal(call.body, &in); err != nil || in.VisibilityTimeout != 1 {
				t.Errorf("ReceiveMessage reached SQS with %s, want VisibilityTimeout 1", call.body)
			}
		case "AmazonSQS.SendMessage":
			sends++
		}
	}
	if sends != 2 || p.Counts()["server "+awsDuplicated] != 1 {
		t.Errorf("one SendMessage reached SQS %d times (counted %d duplicates), want twice", sends, p.Counts()["server "+awsDuplicated])
	}
}
