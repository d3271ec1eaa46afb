// Package templatecheck checks template.yaml, the SAM template that deploys
// Tanda, against the code it deploys. Its test transforms the template with
// aws-sam-translator (sam_transform.py, offline) into CloudFormation,
// resolves the intrinsic functions for a sample stack (Evaluator), and
// fails when a Lambda function or the agents' instance role is not granted
// an AWS action its code can call, is granted one it never calls, cannot
// reach the stack's tables, queues and log group its settings name, or
// reads an environment variable the template does not set.
//
// What "its code" is comes from the Go build: the packages of the module
// that ./functions/<name> (or ./ec2agent, for the agent) depends on (go
// list -deps). A package that calls AWS declares its calls in Actions()
// (see package iamactions), or is scanned for the SDK inputs it builds
// (ScanPackages). Environment reads are found the same way.
//
// It also keeps deployed stacks updatable: TableUpdateErrors compares the
// tables of a released template (testdata/released/) with the template's
// and with those infra/dynamo creates, by the rules CloudFormation
// updates a DynamoDB table by.
package templatecheck
