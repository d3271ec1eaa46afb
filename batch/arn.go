package batch

import (
	"strconv"
	"strings"
)

// AWS Batch resource types, as they appear in ARNs:
// arn:aws:batch:<region>:<account>:<resource-type>/<name>.
const (
	ResourceTypeJob                = "job"
	ResourceTypeJobQueue           = "job-queue"
	ResourceTypeJobDefinition      = "job-definition"
	ResourceTypeComputeEnvironment = "compute-environment"
	ResourceTypeSchedulingPolicy   = "scheduling-policy"
)

// batchService is the service part of Batch ARNs.
const batchService = "batch"

// Partition is where a Tanda deployment's resources live: the region and
// account its ARNs carry. Its methods build those ARNs.
type Partition struct {
	Region  string
	Account string
}

// JobARN is a job's ARN; id may be an array child's "<parent>:<index>".
func (p Partition) JobARN(id string) string { return p.arn(ResourceTypeJob, id) }

// JobQueueARN is a job queue's ARN.
func (p Partition) JobQueueARN(name string) string { return p.arn(ResourceTypeJobQueue, name) }

// ComputeEnvironmentARN is a compute environment's ARN.
func (p Partition) ComputeEnvironmentARN(name string) string {
	return p.arn(ResourceTypeComputeEnvironment, name)
}

// JobDefinitionARN is the ARN of one revision of a job definition.
func (p Partition) JobDefinitionARN(name string, rev int) string {
	return p.arn(ResourceTypeJobDefinition, name+":"+strconv.Itoa(rev))
}

// SchedulingPolicyARN is a scheduling policy's ARN.
func (p Partition) SchedulingPolicyARN(name string) string {
	return p.arn(ResourceTypeSchedulingPolicy, name)
}

func (p Partition) arn(resourceType, resource string) string {
	return ARN{
		Partition:    awsPartition(p.Region),
		Service:      batchService,
		Region:       p.Region,
		Account:      p.Account,
		ResourceType: resourceType,
		Resource:     resource,
	}.String()
}

// Owns reports whether ref may name one of this partition's resources: a
// name does, and an ARN does when its partition, region and account are
// this deployment's. An ARN of another region or account names a resource
// that does not exist here.
func (p Partition) Owns(ref string) bool {
	if !strings.HasPrefix(ref, "arn:") {
		return true
	}
	a, err := ParseARN(ref)
	return err == nil && a.Partition == awsPartition(p.Region) && a.Region == p.Region && a.Account == p.Account
}

// awsPartition is the ARN partition of a region: aws-cn and aws-us-gov for
// the China and GovCloud regions, aws elsewhere.
func awsPartition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// ARN is a parsed Amazon Resource Name. For Batch ARNs ResourceType is the
// part of the resource before the first "/" and Resource the rest
// ("job-definition" and "name:3"); a resource without "/" leaves
// ResourceType empty.
type ARN struct {
	Partition    string
	Service      string
	Region       string
	Account      string
	ResourceType string
	Resource     string
}

// String formats the ARN.
func (a ARN) String() string {
	resource := a.Resource
	if a.ResourceType != "" {
		resource = a.ResourceType + "/" + a.Resource
	}
	return strings.Join([]string{"arn", a.Partition, a.Service, a.Region, a.Account, resource}, ":")
}

// ParseARN parses "arn:<partition>:<service>:<region>:<account>:<resource>".
// The partition, service and resource must not be empty.
func ParseARN(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return ARN{}, Clientf("%s is not an ARN (want arn:<partition>:<service>:<region>:<account>:<resource>)", quoteValue(s))
	}
	a := ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}
	if typ, rest, ok := strings.Cut(parts[5], "/"); ok {
		a.ResourceType, a.Resource = typ, rest
	}
	return a, nil
}

// ResolveName turns a reference to a Batch resource (a name, or an ARN of
// resourceType, one of the ResourceType constants) into the resource's name.
// For jobs the "name" is the job id. Use ParseJobDefinitionRef for job
// definitions, whose references carry revisions. Whether an ARN's region and
// account are this deployment's is the caller's to decide.
func ResolveName(ref, resourceType string) (string, error) {
	name, ok := nameFromRef(ref, resourceType)
	if !ok {
		return "", Clientf("%s is not a %s", quoteValue(ref), refRule(resourceType))
	}
	return name, nil
}

// nameFromRef is ResolveName's test: names of named resources must match
// resourceNamePattern; job ids need only be non-empty.
func nameFromRef(ref, resourceType string) (string, bool) {
	name := ref
	if strings.HasPrefix(ref, "arn:") {
		a, err := ParseARN(ref)
		if err != nil || a.Service != batchService || a.ResourceType != resourceType {
			return "", false
		}
		name = a.Resource
	}
	if resourceType == ResourceTypeJob {
		return name, name != ""
	}
	return name, resourceNamePattern.MatchString(name)
}

// refRule describes a valid reference to resourceType, for messages.
func refRule(resourceType string) string {
	label := strings.ReplaceAll(resourceType, "-", " ")
	return label + " name or ARN (arn:aws:batch:<region>:<account>:" + resourceType + "/<name>)"
}

// validateRef checks a required reference member at path.
func validateRef(path, ref, resourceType string) error {
	if ref == "" {
		return invalidf(path, "is required")
	}
	if _, ok := nameFromRef(ref, resourceType); !ok {
		return invalidf(path, "must be a %s (got %s)", refRule(resourceType), quoteValue(ref))
	}
	return nil
}

// validateARN checks a required member at path that must be an ARN, not a
// name, of resourceType.
func validateARN(path, ref, resourceType string) error {
	if ref == "" {
		return invalidf(path, "is required")
	}
	if _, ok := nameFromRef(ref, resourceType); !ok || !strings.HasPrefix(ref, "arn:") {
		return invalidf(path, "must be an ARN of the form arn:aws:batch:<region>:<account>:%s/<name> (got %s)", resourceType, quoteValue(ref))
	}
	return nil
}

// ParseJobDefinitionRef parses a job definition reference: "name",
// "name:rev", or "arn:…:job-definition/name" with or without ":rev".
// revision is 0 when the reference names no revision, meaning the latest
// ACTIVE one; a given revision must be a positive integer.
func ParseJobDefinitionRef(ref string) (name string, revision int, err error) {
	body := ref
	if strings.HasPrefix(ref, "arn:") {
		a, perr := ParseARN(ref)
		if perr != nil || a.Service != batchService || a.ResourceType != ResourceTypeJobDefinition {
			return "", 0, badDefinitionRef(ref)
		}
		body = a.Resource
	}
	name, rev, hasRev := strings.Cut(body, ":")
	if !resourceNamePattern.MatchString(name) {
		return "", 0, badDefinitionRef(ref)
	}
	if !hasRev {
		return name, 0, nil
	}
	revision, convErr := strconv.Atoi(rev)
	if convErr != nil || revision < 1 {
		return "", 0, badDefinitionRef(ref)
	}
	return name, revision, nil
}

const definitionRefRule = "job definition name, name:revision or ARN (arn:aws:batch:<region>:<account>:job-definition/<name>[:<revision>])"

func badDefinitionRef(ref string) error {
	return Clientf("%s is not a %s", quoteValue(ref), definitionRefRule)
}

// validateDefinitionRef checks a required job definition reference at path.
func validateDefinitionRef(path, ref string) error {
	if ref == "" {
		return invalidf(path, "is required")
	}
	if _, _, err := ParseJobDefinitionRef(ref); err != nil {
		return invalidf(path, "must be a %s (got %s)", definitionRefRule, quoteValue(ref))
	}
	return nil
}
