package triggers

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

// KindRule is the store's item kind of trigger rules, keyed by name.
const KindRule = "trigger"

// The parameters a job gets from the object that triggered it. A rule may
// not set them itself.
const (
	ParamBucket    = "bucket"
	ParamKey       = "key"
	ParamVersionID = "versionId"
	ParamSize      = "size"
)

// reservedParams are the parameters a rule cannot set.
var reservedParams = []string{ParamBucket, ParamKey, ParamVersionID, ParamSize}

// Limits on a rule.
const (
	maxAffixBytes = 1024 // S3's longest key
	maxParameters = 100
	maxParamBytes = 4096 // a parameter's name or value
)

var (
	// namePattern is a rule's name, which is also its jobs' name.
	namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)
	// bucketPattern is an S3 bucket name: 3-63 lowercase letters, digits,
	// dots and hyphens, starting and ending with a letter or digit.
	bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// Rule submits a job for each object created in Bucket whose key starts
// with Prefix and ends with Suffix.
type Rule struct {
	Name          string            `json:"name"`
	Bucket        string            `json:"bucket"`
	Prefix        string            `json:"prefix,omitempty"`
	Suffix        string            `json:"suffix,omitempty"`
	JobQueue      string            `json:"jobQueue"`
	JobDefinition string            `json:"jobDefinition"`
	Parameters    map[string]string `json:"parameters,omitempty"`
	// Command, when set, overrides the job definition's command. Like it,
	// it may refer to parameters: Ref::bucket, Ref::key and so on.
	Command []string `json:"command,omitempty"`
	// CreatedAt is when the rule was created, in epoch milliseconds. It
	// acts on objects created since.
	CreatedAt int64 `json:"createdAt,omitempty"`
}

// Validate checks what can be checked without stored state. Its errors are
// *batch.ClientError, saying which member is wrong and why.
func (r *Rule) Validate() error {
	switch {
	case !namePattern.MatchString(r.Name):
		return batch.Clientf("trigger rule name %s must be 1-128 letters, numbers, hyphens and underscores, starting with a letter or number", quote(r.Name))
	case !bucketPattern.MatchString(r.Bucket) || strings.Contains(r.Bucket, ".."):
		return batch.Clientf("trigger rule %s: bucket %s is not a valid S3 bucket name (3-63 lowercase letters, numbers, dots and hyphens, starting and ending with a letter or number)", r.Name, quote(r.Bucket))
	case len(r.Prefix) > maxAffixBytes || len(r.Suffix) > maxAffixBytes:
		return batch.Clientf("trigger rule %s: prefix and suffix must be at most %d bytes", r.Name, maxAffixBytes)
	case r.JobQueue == "":
		return batch.Clientf("trigger rule %s: jobQueue is required", r.Name)
	case r.JobDefinition == "":
		return batch.Clientf("trigger rule %s: jobDefinition is required", r.Name)
	}
	if err := r.validateParameters(); err != nil {
		return err
	}
	for i, arg := range r.Command {
		if arg == "" {
			return batch.Clientf("trigger rule %s: command[%d] must not be empty", r.Name, i)
		}
	}
	return nil
}

// validateParameters checks the rule's own parameters: not too many, not
// too long, and none of those the object sets.
func (r *Rule) validateParameters() error {
	if len(r.Parameters) > maxParameters {
		return batch.Clientf("trigger rule %s: at most %d parameters (got %d)", r.Name, maxParameters, len(r.Parameters))
	}
	for k, v := range r.Parameters {
		switch {
		case k == "":
			return batch.Clientf("trigger rule %s: a parameter name must not be empty", r.Name)
		case slices.Contains(reservedParams, k):
			return batch.Clientf("trigger rule %s: parameter %s is set from the uploaded object; the reserved names are %s", r.Name, k, strings.Join(reservedParams, ", "))
		case len(k) > maxParamBytes || len(v) > maxParamBytes:
			return batch.Clientf("trigger rule %s: parameter %s: names and values must be at most %d bytes", r.Name, quote(k), maxParamBytes)
		}
	}
	return nil
}

// Matches reports whether the rule acts on an object of bucket with key
// (decoded).
func (r *Rule) Matches(bucket, key string) bool {
	return r.Bucket == bucket && strings.HasPrefix(key, r.Prefix) && strings.HasSuffix(key, r.Suffix)
}

// quote quotes a value for a message, shortened if long.
func quote(s string) string {
	const limit = 64
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	return fmt.Sprintf("%q", s)
}
