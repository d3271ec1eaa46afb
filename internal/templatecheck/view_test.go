package templatecheck_test

import (
	"fmt"
	"testing"

	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/awsserver/provisionfn"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/infra/dynamo"
	"github.com/tanda-batch/tanda/infra/kmskeys"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
	"github.com/tanda-batch/tanda/internal/templatecheck"
)

// stackView is the sample stack as the code sees it: the settings the
// functions read from their environment, and the ARNs of the resources
// those settings name.
type stackView struct {
	e        *templatecheck.Evaluator
	settings awsstack.Settings
	// queues are the ARNs of the stack's queues by role; a ready queue is
	// that of a job queue named "sample".
	queues              map[string]string
	tables              []string // jobs, items
	indexes             []string // the jobs table's GSIs
	logGroup, logStream string   // a job's log stream, and its group
	jobLogGroup         string   // a group a job definition names (awslogs-group), under JobLogGroupPrefix
	bus                 string
	kmsKey              string
	instanceRole        string
	artifacts           []string // the agent binaries' objects
}

// view evaluates template.yaml for the sample stack and derives what the
// code would reach from the API function's environment.
func view(t *testing.T) stackView {
	t.Helper()
	e := evaluate(t, nil)
	env := functionEnv(t, e, "ApiFunction")
	env[awsstack.EnvRegion] = sample.Region
	st, err := awsstack.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the API function's environment: %v", err)
	}
	arn := func(service, resource string) string {
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", sample.Partition, service, sample.Region, sample.Account, resource)
	}
	v := stackView{e: e, settings: st}
	jobs := dynamo.New(nil, dynamo.Options{JobsTable: st.JobsTable, ItemsTable: st.ItemsTable})
	for _, in := range jobs.TableInputs() {
		table := arn("dynamodb", "table/"+*in.TableName)
		v.tables = append(v.tables, table)
		for _, gsi := range in.GlobalSecondaryIndexes {
			v.indexes = append(v.indexes, table+"/index/"+*gsi.IndexName)
		}
	}
	sub := sqsqueue.SQSName(st.QueuePrefix, control.SubmissionsQueue)
	v.queues = map[string]string{
		submissions:          arn("sqs", sub),
		submissions + "-dlq": arn("sqs", sub+"-dlq"),
		ready:                arn("sqs", sqsqueue.SQSName(st.QueuePrefix, control.ReadyQueue("sample"))),
	}
	if q := queueNamed(t, e, functionEnv(t, e, "ProvisionerFunction")[provisionfn.EnvInterruptionQueue]); q != "" {
		v.queues[interruptions] = arn("sqs", q)
		v.queues[interruptions+"-dlq"] = arn("sqs", q+"-dlq")
	}
	v.logGroup = arn("logs", "log-group:"+st.LogGroup)
	v.logStream = v.logGroup + ":log-stream:sample/default/0123"
	v.jobLogGroup = arn("logs", "log-group:"+jobLogGroupPrefix(t, e)+"sample")
	v.bus = arn("events", "event-bus/"+st.EventBus)
	v.kmsKey = env[kmskeys.EnvKeyID]
	v.instanceRole = mustString(t, e, map[string]any{"Fn::GetAtt": []any{"InstanceRole", "Arn"}})
	bucket := mustString(t, e, map[string]any{"Ref": "ArtifactsBucket"})
	for _, a := range []string{"amd64", "arm64"} {
		v.artifacts = append(v.artifacts, "arn:"+sample.Partition+":s3:::"+bucket+"/tanda-agent-"+a)
	}
	return v
}

// functionEnv is a function's environment variables, resolved.
func functionEnv(t *testing.T, e *templatecheck.Evaluator, function string) map[string]string {
	t.Helper()
	vars, err := e.Property(function, "Environment", "Variables")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	m, _ := vars.(map[string]any)
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("%s: variable %s is %T, not a string", function, k, v)
		}
		env[k] = s
	}
	return env
}

// queueNamed is the SQS name of the stack's queue whose URL or name is
// ref, or "" (an error) when no queue of the stack has it.
func queueNamed(t *testing.T, e *templatecheck.Evaluator, ref string) string {
	t.Helper()
	for _, id := range e.Resources("AWS::SQS::Queue") {
		url := mustString(t, e, map[string]any{"Ref": id})
		name := mustString(t, e, map[string]any{"Fn::GetAtt": []any{id, "QueueName"}})
		if ref == url || ref == name {
			return name
		}
	}
	t.Errorf("no queue of the stack is %q", ref)
	return ""
}

func mustString(t *testing.T, e *templatecheck.Evaluator, v any) string {
	t.Helper()
	s, err := e.String(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
