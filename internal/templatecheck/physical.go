package templatecheck

import (
	"fmt"
	"strings"
)

// physicalType says how CloudFormation names a resource type and what its
// Ref and attributes give, from the resource's name.
type physicalType struct {
	// nameProperty names the resource when set; otherwise CloudFormation
	// generates a name (generatedName).
	nameProperty string
	// ref is what Ref gives (default: the name).
	ref func(e *Evaluator, name string) string
	// attrs are the attributes Fn::GetAtt gives.
	attrs map[string]func(e *Evaluator, name string) string
}

// arn builds an ARN in the stack's partition.
func (e *Evaluator) arn(service, region, account, resource string) string {
	return strings.Join([]string{"arn", e.s.Partition, service, region, account, resource}, ":")
}

// physicalTypes are the resource types the template uses (after the SAM
// transform). A Ref or Fn::GetAtt of another type, or of an attribute not
// listed, is an error: add it here.
var physicalTypes = map[string]physicalType{
	"AWS::DynamoDB::Table": {nameProperty: "TableName", attrs: map[string]func(*Evaluator, string) string{
		"Arn": func(e *Evaluator, n string) string { return e.arn("dynamodb", e.s.Region, e.s.Account, "table/"+n) },
	}},
	"AWS::SQS::Queue": {nameProperty: "QueueName", ref: queueURL, attrs: map[string]func(*Evaluator, string) string{
		"Arn":       func(e *Evaluator, n string) string { return e.arn("sqs", e.s.Region, e.s.Account, n) },
		"QueueName": func(_ *Evaluator, n string) string { return n },
		"QueueUrl":  queueURL,
	}},
	"AWS::Logs::LogGroup": {nameProperty: "LogGroupName", attrs: map[string]func(*Evaluator, string) string{
		"Arn": func(e *Evaluator, n string) string {
			return e.arn("logs", e.s.Region, e.s.Account, "log-group:"+n+":*")
		},
	}},
	"AWS::S3::Bucket": {nameProperty: "BucketName", attrs: map[string]func(*Evaluator, string) string{
		"Arn": func(e *Evaluator, n string) string { return e.arn("s3", "", "", n) },
	}},
	"AWS::IAM::Role": {nameProperty: "RoleName", attrs: map[string]func(*Evaluator, string) string{
		"Arn": func(e *Evaluator, n string) string { return e.arn("iam", "", e.s.Account, "role/"+n) },
	}},
	"AWS::IAM::InstanceProfile": {nameProperty: "InstanceProfileName", attrs: map[string]func(*Evaluator, string) string{
		"Arn": func(e *Evaluator, n string) string { return e.arn("iam", "", e.s.Account, "instance-profile/"+n) },
	}},
	"AWS::KMS::Key": {ref: func(_ *Evaluator, n string) string { return "key-" + n }, attrs: map[string]func(*Evaluator, string) string{
		"Arn":   func(e *Evaluator, n string) string { return e.arn("kms", e.s.Region, e.s.Account, "key/key-"+n) },
		"KeyId": func(_ *Evaluator, n string) string { return "key-" + n },
	}},
	"AWS::Events::Rule": {nameProperty: "Name", attrs: map[string]func(*Evaluator, string) string{
		"Arn": func(e *Evaluator, n string) string { return e.arn("events", e.s.Region, e.s.Account, "rule/"+n) },
	}},
	"AWS::Lambda::Function": {nameProperty: "FunctionName", attrs: map[string]func(*Evaluator, string) string{
		"Arn": func(e *Evaluator, n string) string { return e.arn("lambda", e.s.Region, e.s.Account, "function:"+n) },
	}},
	"AWS::Lambda::Url": {attrs: map[string]func(*Evaluator, string) string{
		"FunctionUrl": func(e *Evaluator, n string) string { return "https://" + n + ".lambda-url." + e.s.Region + ".on.aws/" },
	}},
	"AWS::EC2::SecurityGroup": {ref: prefixed("sg-"), attrs: map[string]func(*Evaluator, string) string{
		"GroupId": prefixed("sg-"),
	}},
	"AWS::EC2::LaunchTemplate": {ref: prefixed("lt-"), attrs: map[string]func(*Evaluator, string) string{
		"LaunchTemplateId":     prefixed("lt-"),
		"DefaultVersionNumber": func(*Evaluator, string) string { return "1" },
		"LatestVersionNumber":  func(*Evaluator, string) string { return "1" },
	}},
}

func queueURL(e *Evaluator, name string) string {
	return "https://sqs." + e.s.Region + ".amazonaws.com/" + e.s.Account + "/" + name
}

func prefixed(p string) func(*Evaluator, string) string {
	return func(_ *Evaluator, n string) string { return p + n }
}

// physicalName is the name of a stack resource: its name property, or
// one generated as CloudFormation does ("<stack>-<logical id>-<suffix>",
// in lower case so that it suits any type).
func (e *Evaluator) physicalName(id string) (physicalType, string, error) {
	if !e.Exists(id) {
		return physicalType{}, "", fmt.Errorf("no resource or parameter %s in the stack", id)
	}
	r := e.t.Resources[id]
	pt, ok := physicalTypes[r.Type]
	if !ok {
		return physicalType{}, "", fmt.Errorf("resource %s: type %s is not known to templatecheck", id, r.Type)
	}
	if pt.nameProperty != "" {
		if v, ok := r.Properties[pt.nameProperty]; ok {
			name, err := e.String(v)
			if err != nil {
				return pt, "", fmt.Errorf("naming %s: %w", id, err)
			}
			return pt, name, nil
		}
	}
	return pt, strings.ToLower(e.s.Name + "-" + id + "-gen0a1b2c"), nil
}

// resourceRef is what Ref gives for a resource.
func (e *Evaluator) resourceRef(id string) (any, error) {
	pt, name, err := e.physicalName(id)
	if err != nil {
		return nil, err
	}
	if pt.ref != nil {
		return pt.ref(e, name), nil
	}
	return name, nil
}

// getAtt is what Fn::GetAtt gives.
func (e *Evaluator) getAtt(id, attr string) (any, error) {
	pt, name, err := e.physicalName(id)
	if err != nil {
		return nil, err
	}
	f, ok := pt.attrs[attr]
	if !ok {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: attribute not known to templatecheck", id, attr)
	}
	return f(e, name), nil
}
