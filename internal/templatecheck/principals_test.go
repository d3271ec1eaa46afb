package templatecheck_test

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/deploy/awsserver/provisionfn"
	"github.com/tanda-batch/tanda/infra/cwlogs"
	"github.com/tanda-batch/tanda/infra/dynamo"
	"github.com/tanda-batch/tanda/infra/ec2catalog"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
	"github.com/tanda-batch/tanda/infra/ec2instances"
	"github.com/tanda-batch/tanda/infra/jobevents"
	"github.com/tanda-batch/tanda/infra/kmskeys"
	"github.com/tanda-batch/tanda/infra/pricelist"
	"github.com/tanda-batch/tanda/infra/secretstores"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
	"github.com/tanda-batch/tanda/infra/stsroles"
	"github.com/tanda-batch/tanda/internal/templatecheck"
)

const module = "github.com/tanda-batch/tanda/"

// adapter is a package that declares the AWS actions it can call.
type adapter struct {
	actions func() []string
	// setup are the actions only its resource-creating methods call
	// (the SAM stack creates those resources instead).
	setup func() []string
}

// adapters are the packages with an Actions function. A package that
// declares one must be here (TestAdaptersRegistered); a package that
// calls AWS without one is judged by the SDK inputs it builds.
var adapters = map[string]adapter{
	module + "infra/dynamo":                 {dynamo.Actions, dynamo.SetupActions},
	module + "infra/sqsqueue":               {sqsqueue.Actions, sqsqueue.SetupActions},
	module + "infra/cwlogs":                 {cwlogs.Actions, cwlogs.SetupActions},
	module + "infra/jobevents":              {jobevents.Actions, nil},
	module + "infra/ec2fleet":               {ec2fleet.Actions, nil},
	module + "infra/ec2catalog":             {ec2catalog.Actions, nil},
	module + "infra/kmskeys":                {kmskeys.Actions, nil},
	module + "infra/pricelist":              {pricelist.Actions, nil},
	module + "bootstrap/docker":             {docker.Actions, nil},
	module + "deploy/awsserver/provisionfn": {provisionfn.Actions, nil},
	module + "infra/stsroles":               {stsroles.Actions, nil},
	module + "infra/secretstores":           {secretstores.Actions, nil},
	module + "infra/ec2instances":           {ec2instances.Actions, nil},
}

// hub is the package that wires every function (awsserver): each function
// imports all of it, whatever part it runs, so what a function reaches
// only through the hub is judged by the hub's list of that function's
// actions (principal.hubActions) rather than package by package.
const hub = module + "deploy/awsserver"

// The queues a principal may reach, by the role they play.
const (
	submissions   = "submissions"
	ready         = "ready"
	interruptions = "interruptions"
)

// principal is one identity of the stack: a Lambda function's role, or
// the agents' instance role.
type principal struct {
	name string
	// pkg is the Go package whose dependencies are its code.
	pkg string
	// dir is the function's source directory (its CodeUri); "" for the agent.
	dir string
	// role and function are logical ids in the template (function: "" for
	// the agent).
	role, function string
	// notUsed are actions that packages it imports can call but it never
	// does, with why: they must not be granted on the stack's resources.
	notUsed map[string]string
	// extra are actions it needs that no package lists, with why.
	extra map[string]string
	// envUnread are variables that packages it imports read, in code it
	// never runs, with why.
	envUnread map[string]string
	// hubActions lists what the function calls through the hub.
	hubActions func() []string
	// queues says which queues each SQS action it needs must reach;
	// every other queue of the stack must be out of reach.
	queues map[string][]string
}

// subnetsProvisionerOnly is why only the provisioner has TANDA_SUBNETS.
const subnetsProvisionerOnly = "only the provisioner's main calls awsserver.SubnetsFromEnv"

// doorbellsOnly is why a principal that only rings doorbells takes none.
const doorbellsOnly = "it rings doorbells and never takes them"

var principals = []principal{
	{
		name: "api", pkg: "./functions/api", dir: "functions/api", role: "ApiRole", function: "ApiFunction",
		notUsed: merge(map[string]string{
			"sqs:ReceiveMessage":          doorbellsOnly,
			"sqs:DeleteMessage":           doorbellsOnly,
			"sqs:ChangeMessageVisibility": doorbellsOnly,
			"logs:CreateLogStream":        "it reads job output (GetLogEvents) and writes none",
			"logs:PutLogEvents":           "it reads job output (GetLogEvents) and writes none",
		}, each(without(kmskeys.Actions(), kmskeys.OpenActions()), "it only opens access keys' secrets (kmskeys.OpenActions): keys are issued outside it")),
		hubActions: awsserver.APIActions,
		envUnread:  map[string]string{awsserver.EnvSubnets: subnetsProvisionerOnly},
		extra:      each(sqsqueue.SetupActions(), "CreateJobQueue and DeleteJobQueue create and delete the job queue's ready queue"),
		queues: map[string][]string{
			"sqs:GetQueueUrl":        {submissions, ready},
			"sqs:SendMessage":        {submissions, ready},
			"sqs:CreateQueue":        {ready},
			"sqs:DeleteQueue":        {ready},
			"sqs:GetQueueAttributes": {ready},
		},
	},
	{
		name: "scheduler", pkg: "./functions/scheduler", dir: "functions/scheduler", role: "SchedulerRole", function: "SchedulerFunction",
		hubActions: awsserver.BackendActions,
		envUnread:  map[string]string{awsserver.EnvSubnets: subnetsProvisionerOnly},
		notUsed:    each(sqsqueue.SetupActions(), "job queues, and so ready queues, are created and deleted by the API"),
		queues: map[string][]string{
			"sqs:GetQueueUrl":             {submissions, ready},
			"sqs:SendMessage":             {submissions, ready},
			"sqs:ReceiveMessage":          {submissions},
			"sqs:DeleteMessage":           {submissions},
			"sqs:ChangeMessageVisibility": {submissions},
		},
	},
	{
		name: "provisioner", pkg: "./functions/provisioner", dir: "functions/provisioner", role: "ProvisionerRole", function: "ProvisionerFunction",
		hubActions: awsserver.ProvisionerActions,
		notUsed: merge(map[string]string{
			"sqs:ChangeMessageVisibility": "it takes no doorbell, only interruption notices, which it deletes",
			"ec2:DescribeSubnets":         "the template sets TANDA_SUBNETS, so the default VPC's subnets are never looked up",
		}, each(sqsqueue.SetupActions(), "job queues, and so ready queues, are created and deleted by the API")),
		queues: map[string][]string{
			"sqs:GetQueueUrl":    {submissions, ready, interruptions},
			"sqs:SendMessage":    {submissions, ready},
			"sqs:ReceiveMessage": {interruptions},
			"sqs:DeleteMessage":  {interruptions},
		},
	},
	{
		// `tanda agent` is cmd/tanda, which also holds `tanda serve`: the
		// agent's code is ec2agent, what runAgent runs.
		name: "agent", pkg: "./deploy/ec2agent", role: "InstanceRole",
		notUsed: merge(map[string]string{
			"sqs:SendMessage":   "it rings no doorbell: its writes, and the doorbells they ring, are the agent API's",
			"logs:GetLogEvents": "it writes job output; the API reads it",
		}, each(ec2fleet.Actions(), "ec2agent imports infra/ec2fleet for the name of the compute-environment tag only"),
			each(sqsqueue.SetupActions(), "job queues, and so ready queues, are created and deleted by the API")),
		extra: map[string]string{
			"s3:GetObject":        "the user data downloads tanda-agent-<arch> from the artifacts bucket",
			"logs:CreateLogGroup": "a job definition's awslogs-create-group has the agent create the job's log group (under JobLogGroupPrefix only; TestJobLogGroups)",
		},
		queues: map[string][]string{
			"sqs:GetQueueUrl":             {ready},
			"sqs:ReceiveMessage":          {ready},
			"sqs:DeleteMessage":           {ready},
			"sqs:ChangeMessageVisibility": {ready},
		},
	},
}

// exists reports whether the principal's code has been written.
func (p principal) exists() bool { return p.dir == "" || hasMain(p.dir) }

// requiredActions are the AWS actions p's code can call: the Actions of
// each adapter it imports (without their setup actions), the SDK calls of
// the other packages, p.hubActions for what it reaches only through the
// hub, and p.extra, less p.notUsed. Each action maps to where it comes
// from, for messages.
func requiredActions(t *testing.T, p principal) map[string]string {
	t.Helper()
	src := source(t, p.pkg)
	direct := reachable(src.pkgs, module+strings.TrimPrefix(p.pkg, "./"), hub)
	need := map[string]string{}
	var callable []string
	for _, pkg := range src.pkgs {
		acts, setup := packageActions(t, pkg, src.scans[pkg.ImportPath])
		callable = append(callable, acts...)
		if !direct[pkg.ImportPath] {
			continue
		}
		for _, a := range without(acts, setup) {
			need[a] = pkg.ImportPath
		}
	}
	if len(src.pkgs) > len(direct) {
		if p.hubActions == nil {
			t.Fatalf("%s imports %s: give its principal the hub's list of what it calls through it", p.name, hub)
		}
		for _, a := range p.hubActions() {
			if !slices.Contains(callable, a) {
				t.Errorf("%s's hub actions name %s, which none of its packages calls", p.name, a)
			}
			need[a] = hub + " (its list for " + p.name + ")"
		}
	}
	for a := range noPermissionNeeded {
		delete(need, a)
	}
	for a, why := range p.extra {
		need[a] = "extra: " + why
	}
	for a := range p.notUsed {
		delete(need, a)
	}
	return need
}

// packageActions are the actions a package can call: its Actions() when
// it is an adapter (and its setup actions), else the SDK inputs it
// builds. An adapter building an input its Actions() lacks is an error.
func packageActions(t *testing.T, pkg templatecheck.Package, scan templatecheck.Scan) (actions, setup []string) {
	t.Helper()
	a, ok := adapters[pkg.ImportPath]
	if !ok {
		return scan.Calls, nil
	}
	actions = a.actions()
	for _, c := range scan.Calls {
		if !slices.Contains(actions, c) {
			t.Errorf("%s builds the input of %s, which its Actions() does not list", pkg.ImportPath, c)
		}
	}
	if a.setup != nil {
		setup = a.setup()
	}
	return actions, setup
}

// reachable lists the packages reachable from root by imports without
// passing through skip.
func reachable(pkgs []templatecheck.Package, root, skip string) map[string]bool {
	imports := map[string][]string{}
	for _, p := range pkgs {
		imports[p.ImportPath] = p.Imports
	}
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		if seen[p] || p == skip {
			return
		}
		if _, inModule := imports[p]; !inModule {
			return
		}
		seen[p] = true
		for _, im := range imports[p] {
			walk(im)
		}
	}
	walk(root)
	return seen
}

// noPermissionNeeded are the calls IAM lets anyone make.
var noPermissionNeeded = map[string]string{
	"sts:GetCallerIdentity": "answers for any credentials",
}

// TestAdaptersRegistered fails when a package the principals use declares
// Actions() but the checks do not call it.
func TestAdaptersRegistered(t *testing.T) {
	for _, p := range principals {
		if !p.exists() {
			continue
		}
		src := source(t, p.pkg)
		for _, pkg := range src.pkgs {
			if src.scans[pkg.ImportPath].DeclaresActions {
				if _, ok := adapters[pkg.ImportPath]; !ok {
					t.Errorf("%s declares Actions(): add it to adapters in templatecheck/principals_test.go", pkg.ImportPath)
				}
			}
		}
	}
}

func each(actions []string, why string) map[string]string {
	m := map[string]string{}
	for _, a := range actions {
		m[a] = why
	}
	return m
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}

func without(list, drop []string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return slices.Contains(drop, s) })
}

func sortedKeys[V any](m map[string]V) []string {
	keys := slices.Collect(maps.Keys(m))
	sort.Strings(keys)
	return keys
}
