package batch

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Where a secret's value is kept (SecretRef.Store).
const (
	SecretStoreSSM            = "ssm"
	SecretStoreSecretsManager = "secretsmanager"
)

// maxParameterName bounds an SSM parameter's name, its path included.
const maxParameterName = 2048

// parameterNamePattern is what an SSM parameter's name is made of.
var parameterNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_./-]+$`)

// SecretRef is what a secret's valueFrom names: an SSM Parameter Store
// parameter, by name or ARN, or a Secrets Manager secret, by ARN, with the
// JSON key and version ECS lets the ARN carry.
type SecretRef struct {
	// Store is SecretStoreSSM or SecretStoreSecretsManager.
	Store string
	// Region and Account are the ARN's; both are empty for a parameter
	// named without an ARN, which is in the job's own region.
	Partition, Region, Account string
	// Parameter is an SSM parameter's name: as given, or from its ARN
	// ("/a/b" from "parameter/a/b", "a" from "parameter/a").
	Parameter string
	// ARN is the parameter's ARN when it was given as one, or the
	// secret's ARN without the JSON key and version.
	ARN string
	// JSONKey, VersionStage and VersionID are a secret's optional parts:
	// the key of the JSON object whose value is wanted (the whole secret
	// when empty), and the version, by staging label or id (AWSCURRENT
	// when both are empty). At most one of the two versions is set.
	JSONKey, VersionStage, VersionID string
}

// ParseSecretRef reads a secret's valueFrom, as ECS does:
//   - arn:<partition>:ssm:<region>:<account>:parameter/<name>;
//   - arn:<partition>:secretsmanager:<region>:<account>:secret:<secret-name>,
//     optionally followed by :<json-key>:<version-stage>:<version-id>, all
//     three present, each of them possibly empty, and not both versions;
//   - otherwise the name of a parameter in the job's region.
//
// Its errors say what valueFrom must be.
func ParseSecretRef(valueFrom string) (SecretRef, error) {
	if !strings.HasPrefix(valueFrom, "arn:") {
		if err := checkParameterName(valueFrom); err != nil {
			return SecretRef{}, err
		}
		return SecretRef{Store: SecretStoreSSM, Parameter: valueFrom}, nil
	}
	parts := strings.SplitN(valueFrom, ":", 6)
	if len(parts) != 6 || parts[1] == "" || parts[3] == "" || parts[4] == "" {
		return SecretRef{}, errors.New("must be an ARN with a partition, a region and an account (arn:<partition>:<service>:<region>:<account>:<resource>), or a parameter's name")
	}
	ref := SecretRef{Partition: parts[1], Region: parts[3], Account: parts[4]}
	resource := parts[5]
	switch parts[2] {
	case SecretStoreSSM:
		name, ok := strings.CutPrefix(resource, "parameter/")
		if !ok || name == "" {
			return SecretRef{}, errors.New("must name a parameter: arn:<partition>:ssm:<region>:<account>:parameter/<name>")
		}
		if strings.Contains(name, "/") {
			name = "/" + name // a path's leading slash is the ARN's
		}
		if err := checkParameterName(name); err != nil {
			return SecretRef{}, err
		}
		ref.Store, ref.Parameter, ref.ARN = SecretStoreSSM, name, valueFrom
		return ref, nil
	case SecretStoreSecretsManager:
		rest, ok := strings.CutPrefix(resource, "secret:")
		fields := strings.Split(rest, ":")
		if !ok || fields[0] == "" || (len(fields) != 1 && len(fields) != 4) {
			return SecretRef{}, errors.New("must be a secret's ARN, arn:<partition>:secretsmanager:<region>:<account>:secret:<secret-name>, optionally followed by :<json-key>:<version-stage>:<version-id> (all three colons; each part may be empty)")
		}
		ref.Store = SecretStoreSecretsManager
		ref.ARN = strings.Join(append(parts[:5:5], "secret:"+fields[0]), ":")
		if len(fields) == 4 {
			ref.JSONKey, ref.VersionStage, ref.VersionID = fields[1], fields[2], fields[3]
		}
		if ref.VersionStage != "" && ref.VersionID != "" {
			return SecretRef{}, errors.New("must not give both a version stage and a version id")
		}
		return ref, nil
	}
	return SecretRef{}, fmt.Errorf("must be the ARN of a Secrets Manager secret or of a Systems Manager parameter, or a parameter's name (got an ARN of %s)", parts[2])
}

// checkParameterName applies SSM's rule on parameter names.
func checkParameterName(name string) error {
	if name == "" || len(name) > maxParameterName || !parameterNamePattern.MatchString(name) {
		return fmt.Errorf("must be a Systems Manager parameter's name of up to %d letters, digits and symbols _.-/ (or an ARN)", maxParameterName)
	}
	return nil
}

// String is the reference as ECS's messages name it: the parameter's name
// or ARN, the secret's ARN.
func (r SecretRef) String() string {
	if r.Store == SecretStoreSSM && r.ARN == "" {
		return r.Parameter
	}
	return r.ARN
}
