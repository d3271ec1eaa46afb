package templatecheck_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/internal/templatecheck"
)

// miniTemplate exercises the intrinsic functions the evaluator supports.
const miniTemplate = `{
 "Parameters": {
  "Name": {"Type": "String", "Default": "dflt"},
  "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>"},
  "Image": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": "/aws/service/x"}
 },
 "Conditions": {
  "HasName": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Name"}, ""]}]},
  "Both": {"Fn::And": [{"Condition": "HasName"}, {"Fn::Equals": ["a", "a"]}]}
 },
 "Resources": {
  "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "${AWS::StackName}-q"}}},
  "Bucket": {"Type": "AWS::S3::Bucket", "Condition": "HasName"},
  "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "t"}}
 }
}`

func TestEvaluator(t *testing.T) {
	tmpl, err := templatecheck.ParseTemplate([]byte(miniTemplate))
	if err != nil {
		t.Fatal(err)
	}
	stack := templatecheck.Stack{Name: "st", Region: "eu-west-1", Account: "111122223333", Partition: "aws",
		Parameters: map[string]string{"Subnets": "subnet-1,subnet-2"}}
	e, err := templatecheck.NewEvaluator(tmpl, stack)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"pseudo parameters", map[string]any{"Fn::Sub": "${AWS::Partition}:${AWS::Region}:${AWS::AccountId}"}, "aws:eu-west-1:111122223333"},
		{"parameter default", map[string]any{"Ref": "Name"}, "dflt"},
		{"SSM parameter", map[string]any{"Ref": "Image"}, "ami-0123456789abcdef0"},
		{"list parameter", map[string]any{"Fn::Join": []any{"+", map[string]any{"Ref": "Subnets"}}}, "subnet-1+subnet-2"},
		{"queue Ref is its URL", map[string]any{"Ref": "Queue"}, "https://sqs.eu-west-1.amazonaws.com/111122223333/st-q"},
		{"queue Arn", map[string]any{"Fn::GetAtt": []any{"Queue", "Arn"}}, "arn:aws:sqs:eu-west-1:111122223333:st-q"},
		{"Sub of an attribute", map[string]any{"Fn::Sub": "${Table.Arn}/index/*"}, "arn:aws:dynamodb:eu-west-1:111122223333:table/t/index/*"},
		{"Sub variables and literals", map[string]any{"Fn::Sub": []any{"${X}-${!Literal}", map[string]any{"X": map[string]any{"Ref": "Name"}}}}, "dflt-${Literal}"},
		{"Base64", map[string]any{"Fn::Base64": "hi"}, base64.StdEncoding.EncodeToString([]byte("hi"))},
		{"If", map[string]any{"Fn::If": []any{"Both", "yes", "no"}}, "yes"},
		{"Select of Split", map[string]any{"Fn::Select": []any{"1", map[string]any{"Fn::Split": []any{",", "a,b,c"}}}}, "b"},
		{"generated bucket name", map[string]any{"Ref": "Bucket"}, "st-bucket-gen0a1b2c"},
	}
	for _, tt := range tests {
		got, err := e.String(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	bad := []struct {
		name, want string
		in         any
	}{
		{"missing resource", "no resource or parameter Nope", map[string]any{"Ref": "Nope"}},
		{"unknown attribute", "attribute not known", map[string]any{"Fn::GetAtt": []any{"Queue", "Color"}}},
		{"missing in Sub", "Missing", map[string]any{"Fn::Sub": "${Missing}"}},
		{"unsupported function", "not supported", map[string]any{"Fn::GetAZs": ""}},
	}
	for _, tt := range bad {
		if _, err := e.Eval(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestEvaluatorConditions(t *testing.T) {
	tmpl, err := templatecheck.ParseTemplate([]byte(miniTemplate))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		bucket bool
	}{{"dflt", true}, {"", false}} {
		e, err := templatecheck.NewEvaluator(tmpl, templatecheck.Stack{Name: "st", Parameters: map[string]string{"Name": tt.name, "Subnets": "s"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Exists("Bucket"); got != tt.bucket {
			t.Errorf("Name=%q: bucket exists = %v, want %v", tt.name, got, tt.bucket)
		}
		if _, err := e.Eval(map[string]any{"Ref": "Bucket"}); (err == nil) != tt.bucket {
			t.Errorf("Name=%q: Ref of the bucket: %v", tt.name, err)
		}
	}
}
