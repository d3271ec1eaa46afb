package awsserver

import (
	"slices"

	"github.com/tanda-batch/tanda/deploy/awsserver/provisionfn"
	"github.com/tanda-batch/tanda/infra/dynamo"
	"github.com/tanda-batch/tanda/infra/ec2catalog"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
	"github.com/tanda-batch/tanda/infra/ec2instances"
	"github.com/tanda-batch/tanda/infra/jobevents"
	"github.com/tanda-batch/tanda/infra/kmskeys"
	"github.com/tanda-batch/tanda/infra/pricelist"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
	"github.com/tanda-batch/tanda/internal/iamactions"
)

// lookupActions are the calls OpenBackend and Provisioner make directly:
// sts:GetCallerIdentity (which IAM does not authorise: every principal may
// call it) and ec2:DescribeSubnets for the default VPC's subnets.
var lookupActions = []string{"ec2:DescribeSubnets"}

// BackendActions are the IAM actions the Backend's control plane can call,
// whatever part of it runs: the tables (without creating them), the
// queues (including creating and deleting ready queues, which job queues
// bring and take), the event bus, and EC2's list of instance types with
// their list prices (every function opens the catalogue, and lists it anew
// when the stored one is a day old).
func BackendActions() []string {
	return iamactions.Union(without(dynamo.Actions(), dynamo.SetupActions()), sqsqueue.Actions(), jobevents.Actions(),
		ec2catalog.CatalogActions(), pricelist.Actions())
}

// apiLogActions are the CloudWatch Logs calls of the API: it only reads
// job logs (kit.LogReader over cwlogs.Store.Read).
var apiLogActions = []string{"logs:GetLogEvents"}

// APIActions are what the api function can call: the Backend's, reading
// job logs and opening access key secrets.
func APIActions() []string {
	return iamactions.Union(BackendActions(), apiLogActions, kmskeys.OpenActions(), ec2instances.Actions())
}

// ProvisionerActions are what the provisioner function can call: the
// Backend's, the EC2 fleet's, Spot prices, the default-subnet lookup, and
// the interruption queue and instance lookups of package provisionfn.
func ProvisionerActions() []string {
	return iamactions.Union(BackendActions(), ec2fleet.Actions(), ec2catalog.SpotActions(), lookupActions, provisionfn.Actions())
}

// IssueActions are what IssueKey calls with the deployer's credentials.
func IssueActions() []string {
	return []string{"dynamodb:PutItem", "kms:Encrypt"}
}

// without is list less the actions in drop.
func without(list, drop []string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(a string) bool { return slices.Contains(drop, a) })
}
