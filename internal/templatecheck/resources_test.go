package templatecheck_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/infra/dynamo"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
	"github.com/tanda-batch/tanda/internal/templatecheck"
)

// TestEveryReferenceResolves evaluates every resource and output, with
// and without the optional trigger bucket: a reference to a resource the
// stack lacks, or to an attribute a type has not, fails.
func TestEveryReferenceResolves(t *testing.T) {
	for _, bucket := range []string{"tanda-test-uploads", ""} {
		t.Run(fmt.Sprintf("trigger bucket %q", bucket), func(t *testing.T) {
			e := evaluate(t, map[string]string{"TriggerBucketName": bucket})
			tmpl := e.Template()
			for _, id := range sortedKeys(tmpl.Resources) {
				if !e.Exists(id) {
					continue
				}
				if _, err := e.Property(id); err != nil {
					t.Error(err)
				}
			}
			for _, name := range sortedKeys(tmpl.Outputs) {
				o := tmpl.Outputs[name]
				if o.Condition != "" && !e.Exists(conditionProbe(tmpl, o.Condition)) {
					continue
				}
				if _, err := e.Eval(o.Value); err != nil {
					t.Errorf("output %s: %v", name, err)
				}
			}
			if got, want := e.Exists("TriggerBucket"), bucket != ""; got != want {
				t.Errorf("trigger bucket in the stack = %v, want %v", got, want)
			}
		})
	}
}

// conditionProbe is a resource under a condition, to ask whether the
// condition holds.
func conditionProbe(tmpl *templatecheck.Template, cond string) string {
	for id, r := range tmpl.Resources {
		if r.Condition == cond {
			return id
		}
	}
	return ""
}

// TestTables checks the tables against those infra/dynamo creates: the
// same keys, indexes and projections, on demand, with TTL on its
// attribute.
func TestTables(t *testing.T) {
	v := view(t)
	store := dynamo.New(nil, dynamo.Options{JobsTable: v.settings.JobsTable, ItemsTable: v.settings.ItemsTable})
	for _, want := range store.TableInputs() {
		t.Run(*want.TableName, func(t *testing.T) {
			id := resourceNamed(t, v.e, "AWS::DynamoDB::Table", "TableName", *want.TableName)
			got, err := v.e.Property(id)
			if err != nil {
				t.Fatal(err)
			}
			gm := got.(map[string]any)
			wm := tableProperties(t, want)
			for _, k := range []string{"BillingMode", "KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes"} {
				if g, w := canonical(gm[k]), canonical(wm[k]); g != w {
					t.Errorf("%s %s:\n got  %s\n want %s", id, k, g, w)
				}
			}
			ttl, _ := gm["TimeToLiveSpecification"].(map[string]any)
			if ttl["AttributeName"] != dynamo.TTLAttribute || ttl["Enabled"] != "true" {
				t.Errorf("%s TTL = %v, want enabled on %q", id, ttl, dynamo.TTLAttribute)
			}
		})
	}
}

// tableProperties is a CreateTable request as CloudFormation properties.
func tableProperties(t *testing.T, in *dynamodb.CreateTableInput) map[string]any {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// canonical renders a value for comparison: nulls and empty lists
// dropped, map keys sorted.
func canonical(v any) string { return templatecheck.Canonical(v) }

// TestQueues checks the submissions queue (named as sqsqueue names it,
// with its dead-letter queue and redrive) and that the ready queues of
// any job queue fall under the stack's prefix.
func TestQueues(t *testing.T) {
	v := view(t)
	name := sqsqueue.SQSName(v.settings.QueuePrefix, control.SubmissionsQueue)
	id := resourceNamed(t, v.e, "AWS::SQS::Queue", "QueueName", name)
	redrive, err := v.e.Property(id, "RedrivePolicy")
	if err != nil {
		t.Fatal(err)
	}
	rm, _ := redrive.(map[string]any)
	if rm["deadLetterTargetArn"] != v.queues[submissions+"-dlq"] {
		t.Errorf("%s dead-letter queue = %v, want %s", id, rm["deadLetterTargetArn"], v.queues[submissions+"-dlq"])
	}
	if n, _ := strconv.Atoi(fmt.Sprint(rm["maxReceiveCount"])); n < 1 {
		t.Errorf("%s maxReceiveCount = %v, want at least 1", id, rm["maxReceiveCount"])
	}
	resourceNamed(t, v.e, "AWS::Logs::LogGroup", "LogGroupName", v.settings.LogGroup)
}

// TestFunctions checks the functions: provided.al2023 on arm64 with
// handler bootstrap, code in functions/<name>/ built by sam build's go1.x
// method, and a timeout that the SQS trigger's visibility allows.
func TestFunctions(t *testing.T) {
	tr := transform(t)
	e := evaluate(t, nil)
	for _, p := range principals {
		if p.function == "" {
			continue
		}
		t.Run(p.name, func(t *testing.T) {
			for path, want := range map[string]string{"Runtime": "provided.al2023", "Handler": "bootstrap"} {
				if got, _ := e.Property(p.function, path); got != want {
					t.Errorf("%s %s = %v, want %s", p.function, path, got, want)
				}
			}
			if got, _ := e.Property(p.function, "Architectures"); canonical(got) != `["arm64"]` {
				t.Errorf("%s architectures = %v, want [arm64]", p.function, got)
			}
			if got := tr.CodeUris[p.function]; got != p.dir+"/" {
				t.Errorf("%s CodeUri = %q, want %q", p.function, got, p.dir+"/")
			}
			if got := tr.Template.Resources[p.function].Metadata["BuildMethod"]; got != "go1.x" {
				t.Errorf("%s BuildMethod = %v, want go1.x", p.function, got)
			}
			if !hasMain(p.dir) {
				t.Logf("%s/main.go is not written yet", p.dir)
			}
		})
	}
}

// TestSchedulerTrigger checks the scheduler's SQS trigger: the
// submissions queue, partial batch failures, and a visibility timeout no
// shorter than the function's.
func TestSchedulerTrigger(t *testing.T) {
	v := view(t)
	fn := mustString(t, v.e, map[string]any{"Ref": "SchedulerFunction"})
	found := false
	for _, m := range v.e.Resources("AWS::Lambda::EventSourceMapping") {
		props, err := v.e.Property(m)
		if err != nil {
			t.Fatal(err)
		}
		pm := props.(map[string]any)
		if pm["FunctionName"] != fn {
			continue
		}
		found = true
		if pm["EventSourceArn"] != v.queues[submissions] {
			t.Errorf("%s reads %v, want the submissions queue %s", m, pm["EventSourceArn"], v.queues[submissions])
		}
		if canonical(pm["FunctionResponseTypes"]) != `["ReportBatchItemFailures"]` {
			t.Errorf("%s response types = %v, want [ReportBatchItemFailures]", m, pm["FunctionResponseTypes"])
		}
	}
	if !found {
		t.Fatal("the scheduler has no SQS trigger")
	}
	queue := resourceNamed(t, v.e, "AWS::SQS::Queue", "QueueName", sqsqueue.SQSName(v.settings.QueuePrefix, control.SubmissionsQueue))
	vis := atoi(t, v.e, queue, "VisibilityTimeout")
	if timeout := atoi(t, v.e, "SchedulerFunction", "Timeout"); vis < timeout {
		t.Errorf("submissions visibility timeout %d s < the scheduler's timeout %d s (Lambda refuses the trigger)", vis, timeout)
	}
}

// TestProvisionerSchedule checks that the provisioner runs every minute
// with a timeout Lambda allows that leaves room for passes.
func TestProvisionerSchedule(t *testing.T) {
	e := evaluate(t, nil)
	fnArn := mustString(t, e, map[string]any{"Fn::GetAtt": []any{"ProvisionerFunction", "Arn"}})
	found := false
	for _, r := range e.Resources("AWS::Events::Rule") {
		props, err := e.Property(r)
		if err != nil {
			t.Fatal(err)
		}
		pm := props.(map[string]any)
		targets, _ := pm["Targets"].([]any)
		for _, tg := range targets {
			if tm, _ := tg.(map[string]any); tm["Arn"] == fnArn {
				found = pm["ScheduleExpression"] == "rate(1 minute)"
			}
		}
	}
	if !found {
		t.Error("no rule invokes the provisioner at rate(1 minute)")
	}
	if timeout := atoi(t, e, "ProvisionerFunction", "Timeout"); timeout < 60 || timeout > 900 {
		t.Errorf("provisioner timeout %d s, want 60 to 900", timeout)
	}
}

// TestAPIEndpoint checks the function URL: no AWS auth (Tanda verifies
// SigV4 itself) and the stack's Endpoint output.
func TestAPIEndpoint(t *testing.T) {
	e := evaluate(t, nil)
	fn := mustString(t, e, map[string]any{"Ref": "ApiFunction"})
	var url string
	for _, u := range e.Resources("AWS::Lambda::Url") {
		if target, _ := e.Property(u, "TargetFunctionArn"); target == fn || target == mustString(t, e, map[string]any{"Fn::GetAtt": []any{"ApiFunction", "Arn"}}) {
			if auth, _ := e.Property(u, "AuthType"); auth != "NONE" {
				t.Errorf("function URL auth = %v, want NONE", auth)
			}
			url = mustString(t, e, map[string]any{"Fn::GetAtt": []any{u, "FunctionUrl"}})
		}
	}
	if url == "" {
		t.Fatal("the API function has no URL")
	}
	out, ok := e.Template().Outputs["Endpoint"]
	if !ok {
		t.Fatal("no Endpoint output")
	}
	if got := mustString(t, e, out.Value); got != url {
		t.Errorf("Endpoint output = %s, want the API's URL %s", got, url)
	}
}

// resourceNamed is the logical id of the stack's one resource of a type
// whose name property is name.
func resourceNamed(t *testing.T, e *templatecheck.Evaluator, typ, prop, name string) string {
	t.Helper()
	var ids []string
	for _, id := range e.Resources(typ) {
		if got, _ := e.Property(id, prop); got == name {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("want one %s with %s %q, the template has %v", typ, prop, name, ids)
	}
	return ids[0]
}

// atoi resolves a numeric property.
func atoi(t *testing.T, e *templatecheck.Evaluator, id string, path ...string) int {
	t.Helper()
	v, err := e.Property(id, path...)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(fmt.Sprint(v))
	if err != nil {
		t.Fatalf("%s.%v = %v, not a number", id, path, v)
	}
	return n
}
