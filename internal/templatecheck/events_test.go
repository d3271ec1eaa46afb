package templatecheck_test

import (
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/deploy/awsserver/provisionfn"
	"github.com/tanda-batch/tanda/internal/templatecheck"
)

// ec2Events are the EC2 events the provisioner acts on.
var ec2Events = []string{
	"EC2 Spot Instance Interruption Warning",
	"EC2 Instance Rebalance Recommendation",
	"EC2 Instance State-change Notification",
}

// TestInterruptions checks that EventBridge delivers the EC2 events to
// the queue the provisioner drains, and that the queue lets it.
func TestInterruptions(t *testing.T) {
	v := view(t)
	queue := queueNamed(t, v.e, functionEnv(t, v.e, "ProvisionerFunction")[provisionfn.EnvInterruptionQueue])
	queueArn := v.queues[interruptions]
	var rules []string
	seen := map[string]bool{}
	for _, r := range v.e.Resources("AWS::Events::Rule") {
		props, err := v.e.Property(r)
		if err != nil {
			t.Fatal(err)
		}
		pm := props.(map[string]any)
		targets, _ := pm["Targets"].([]any)
		if !slices.ContainsFunc(targets, func(tg any) bool { return tg.(map[string]any)["Arn"] == queueArn }) {
			continue
		}
		rules = append(rules, mustString(t, v.e, map[string]any{"Fn::GetAtt": []any{r, "Arn"}}))
		pattern, _ := pm["EventPattern"].(map[string]any)
		if canonical(pattern["source"]) != `["aws.ec2"]` {
			t.Errorf("rule %s source = %v, want [aws.ec2]", r, pattern["source"])
		}
		types, _ := pattern["detail-type"].([]any)
		for _, dt := range types {
			seen[dt.(string)] = true
		}
	}
	for _, dt := range ec2Events {
		if !seen[dt] {
			t.Errorf("no rule sends %q to the interruption queue %s", dt, queue)
		}
	}
	for _, rule := range rules {
		if !queueLets(t, v.e, queueArn, "events.amazonaws.com", rule) {
			t.Errorf("the interruption queue's policy does not let rule %s send to it", rule)
		}
	}
}

// TestTriggerBucket checks the optional upload bucket: its ObjectCreated
// notifications go to the submissions queue, which lets S3 send them
// from that bucket only.
func TestTriggerBucket(t *testing.T) {
	v := view(t)
	bucket := sample.Parameters["TriggerBucketName"]
	notes, err := v.e.Property("TriggerBucket", "NotificationConfiguration", "QueueConfigurations")
	if err != nil {
		t.Fatal(err)
	}
	list, _ := notes.([]any)
	if len(list) != 1 || list[0].(map[string]any)["Queue"] != v.queues[submissions] || list[0].(map[string]any)["Event"] != "s3:ObjectCreated:*" {
		t.Errorf("trigger bucket notifications = %v, want s3:ObjectCreated:* to %s", notes, v.queues[submissions])
	}
	if !queueLets(t, v.e, v.queues[submissions], "s3.amazonaws.com", "arn:aws:s3:::"+bucket) {
		t.Error("the submissions queue's policy does not let the trigger bucket send to it")
	}
	if queueLets(t, v.e, v.queues[submissions], "s3.amazonaws.com", "arn:aws:s3:::another-bucket") {
		t.Error("the submissions queue's policy lets any bucket send to it")
	}
	without := evaluate(t, map[string]string{"TriggerBucketName": ""})
	if without.Exists("TriggerBucket") || len(without.Resources("AWS::SQS::QueuePolicy")) != 1 {
		t.Errorf("without TriggerBucketName the stack still has the bucket or its queue policy")
	}
}

// queueLets reports whether a queue policy of the stack lets a service
// send to the queue from source (the aws:SourceArn condition).
func queueLets(t *testing.T, e *templatecheck.Evaluator, queueArn, service, source string) bool {
	t.Helper()
	for _, qp := range e.Resources("AWS::SQS::QueuePolicy") {
		doc, err := e.Property(qp, "PolicyDocument")
		if err != nil {
			t.Fatal(err)
		}
		stmts, _ := doc.(map[string]any)["Statement"].([]any)
		for _, raw := range stmts {
			s := raw.(map[string]any)
			principal, _ := s["Principal"].(map[string]any)
			if s["Effect"] != "Allow" || principal["Service"] != service || s["Resource"] != queueArn || s["Action"] != "sqs:SendMessage" {
				continue
			}
			cond, _ := s["Condition"].(map[string]any)
			arnEq, _ := cond["ArnEquals"].(map[string]any)
			if arnEq["aws:SourceArn"] == source {
				return true
			}
		}
	}
	return false
}
