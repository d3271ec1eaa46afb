// Package secrets gets, before an attempt's container starts, what its
// execution role (executionRoleArn) is for, as the ECS agent does for an
// AWS Batch job: the values of its secrets, from SSM Parameter Store and
// Secrets Manager, as environment variables named by the secrets, and the
// credentials that pull its image from Amazon ECR.
//
// With an execution role the agent assumes it (through the same
// rolecreds.Assumer as job roles, the session named after the job and
// attempt) and reads as the role; without one it reads with its own
// credentials. A secret that cannot be read fails the attempt: a job never
// runs without a secret it names. The failure is an *Error whose message
// follows ECS's ("unable to pull secrets or registry auth: ...") and
// names the parameter or secret and the service's error code and message,
// never a value.
//
// The package knows no AWS SDK: a Store (infra/secretstores on AWS) reads
// the values.
package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

// Store reads secret values as one identity: infra/secretstores on AWS.
// Its errors name the call and the service's code and message; one whose
// identity has no credentials wraps rolecreds.ErrNoCredentials.
type Store interface {
	// Parameters returns the decrypted values of SSM parameters of
	// region, by the names asked (at most 10); the names SSM does not
	// know are in invalid.
	Parameters(ctx context.Context, region string, names []string) (values map[string]string, invalid []string, err error)
	// SecretValue returns the string value of a secret's version (ref's
	// ARN, VersionStage and VersionID).
	SecretValue(ctx context.Context, region string, ref batch.SecretRef) (string, error)
}

// Var is one environment variable got from a secret.
type Var struct {
	Name  string
	Value string
}

// String shows the variable's name only, so that a Var printed by mistake
// shows no secret.
func (v Var) String() string { return v.Name + "=<secret>" }

// Error is an attempt's secrets or registry credentials that cannot be
// got. Its message is the container reason after
// "ResourceInitializationError: ".
type Error struct {
	msg string
	err error // what it wraps, if anything
}

func (e *Error) Error() string { return "unable to pull secrets or registry auth: " + e.msg }

func (e *Error) Unwrap() error { return e.err }

// errorf makes an *Error; a %w verb wraps, as in fmt.Errorf.
func errorf(format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{msg: err.Error(), err: errors.Unwrap(err)}
}

// Describe is an attempt's failure to get its secrets or registry
// credentials as ECS words it: "unable to pull secrets or registry auth:
// ..."; the container reason is that after "ResourceInitializationError: ".
func Describe(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return (&Error{msg: err.Error()}).Error()
}

// ssmBatch is the most names one GetParameters call takes.
const ssmBatch = 10

// Resolve reads secrets with store and returns them as variables, in
// their order. region is the job's: a parameter named without an ARN is
// there. account, when known, is the caller's: a parameter's ARN of that
// account is read by its name (which every SSM, moto's too, answers),
// other ARNs as they are (SSM takes them for parameters shared with the
// account).
func Resolve(ctx context.Context, store Store, region, account string, secrets []batch.Secret) ([]Var, error) {
	refs := make([]batch.SecretRef, len(secrets))
	for i, s := range secrets {
		ref, err := batch.ParseSecretRef(s.ValueFrom)
		if err != nil {
			return nil, errorf("secret %s: valueFrom %v", s.Name, err)
		}
		refs[i] = ref
	}
	values := make([]string, len(secrets))
	if err := readParameters(ctx, store, region, account, refs, values); err != nil {
		return nil, err
	}
	for i, ref := range refs {
		if ref.Store != batch.SecretStoreSecretsManager {
			continue
		}
		v, err := readSecret(ctx, store, ref)
		if err != nil {
			return nil, err
		}
		values[i] = v
	}
	vars := make([]Var, len(secrets))
	for i, s := range secrets {
		vars[i] = Var{Name: s.Name, Value: values[i]}
	}
	return vars, nil
}

// readParameters fills values with the parameters among refs, region by
// region, at most ssmBatch names a call.
func readParameters(ctx context.Context, store Store, region, account string, refs []batch.SecretRef, values []string) error {
	type asked struct {
		name string
		at   []int // indexes into refs
	}
	byRegion := map[string][]*asked{}
	var regions []string
	for i, ref := range refs {
		if ref.Store != batch.SecretStoreSSM {
			continue
		}
		r, name := region, ref.Parameter
		if ref.ARN != "" {
			r = ref.Region
			if account == "" || ref.Account != account {
				name = ref.ARN
			}
		}
		if _, ok := byRegion[r]; !ok {
			regions = append(regions, r)
		}
		j := slices.IndexFunc(byRegion[r], func(a *asked) bool { return a.name == name })
		if j < 0 {
			byRegion[r] = append(byRegion[r], &asked{name: name})
			j = len(byRegion[r]) - 1
		}
		byRegion[r][j].at = append(byRegion[r][j].at, i)
	}
	for _, r := range regions {
		all := byRegion[r]
		for chunk := range slices.Chunk(all, ssmBatch) {
			names := make([]string, len(chunk))
			for k, a := range chunk {
				names[k] = a.name
			}
			got, invalid, err := store.Parameters(ctx, r, names)
			if err != nil {
				return errorf("execution resource retrieval failed: unable to retrieve secrets from ssm in %s: %w", r, err)
			}
			if len(invalid) > 0 {
				return errorf("execution resource retrieval failed: unable to retrieve secrets from ssm: invalid ssm parameters: %s", strings.Join(invalid, ", "))
			}
			for _, a := range chunk {
				v, ok := got[a.name]
				if !ok {
					return errorf("execution resource retrieval failed: unable to retrieve secrets from ssm: invalid ssm parameters: %s", a.name)
				}
				for _, i := range a.at {
					values[i] = v
				}
			}
		}
	}
	return nil
}

// readSecret reads one Secrets Manager secret, or the value of one key of
// the JSON object it holds.
func readSecret(ctx context.Context, store Store, ref batch.SecretRef) (string, error) {
	v, err := store.SecretValue(ctx, ref.Region, ref)
	if err != nil {
		return "", errorf("execution resource retrieval failed: unable to retrieve secret from asm: failed to fetch secret %s from secrets manager: %w", ref.ARN, err)
	}
	if ref.JSONKey == "" {
		return v, nil
	}
	var object map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &object); err != nil {
		// The decoder's error may quote the value: it is not repeated.
		return "", errorf("execution resource retrieval failed: unable to retrieve secret from asm: secret %s: its value is not a JSON object, so it has no key %s", ref.ARN, ref.JSONKey)
	}
	raw, ok := object[ref.JSONKey]
	if !ok {
		return "", errorf("execution resource retrieval failed: unable to retrieve secret from asm: retrieved secret %s from Secrets Manager did not contain json key %s", ref.ARN, ref.JSONKey)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	// A number, boolean, null, object or array: its JSON text.
	return string(raw), nil
}

// Env is vars as "NAME=value" entries.
func Env(vars []Var) []string {
	env := make([]string, len(vars))
	for i, v := range vars {
		env[i] = v.Name + "=" + v.Value
	}
	return env
}

// errNoStore is a Resolver without a Store: it reads no secret.
var errNoStore = errors.New("this agent has no AWS credentials to read secrets with")
