package templatecheck

import (
	"fmt"
	"slices"
)

// RolePolicy gathers every statement that applies to an IAM role of the
// stack: its inline policies and the AWS::IAM::Policy and
// AWS::IAM::ManagedPolicy resources attached to it. A role with managed
// policies by ARN is refused: their statements are not in the template,
// so nothing could check them.
func RolePolicy(e *Evaluator, roleID string) (Policy, error) {
	if !e.Exists(roleID) || e.Template().Resources[roleID].Type != "AWS::IAM::Role" {
		return nil, fmt.Errorf("no IAM role %s in the stack", roleID)
	}
	if arns, _ := e.Property(roleID, "ManagedPolicyArns"); arns != nil {
		return nil, fmt.Errorf("role %s has managed policies %v: grant inline statements instead, which the checks can read", roleID, arns)
	}
	inline, err := e.Property(roleID, "Policies")
	if err != nil {
		return nil, err
	}
	docs := []any{}
	list, _ := inline.([]any)
	for _, p := range list {
		if m, ok := p.(map[string]any); ok {
			docs = append(docs, m["PolicyDocument"])
		}
	}
	roleName, err := e.resourceRef(roleID)
	if err != nil {
		return nil, err
	}
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for _, id := range e.Resources(typ) {
			roles, err := e.Property(id, "Roles")
			if err != nil {
				return nil, err
			}
			if names, _ := roles.([]any); slices.Contains(names, roleName) {
				doc, err := e.Property(id, "PolicyDocument")
				if err != nil {
					return nil, err
				}
				docs = append(docs, doc)
			}
		}
	}
	var policy Policy
	for i, d := range docs {
		p, err := ParsePolicy(d)
		if err != nil {
			return nil, fmt.Errorf("policy %d of role %s: %w", i, roleID, err)
		}
		policy = append(policy, p...)
	}
	return policy, nil
}
