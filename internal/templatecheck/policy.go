package templatecheck

import (
	"fmt"
	"strings"
)

// Statement is one statement of an IAM policy, resolved.
type Statement struct {
	Sid       string
	Allow     bool
	Actions   []string
	Resources []string
	// Condition is the statement's condition block, resolved; Allows
	// assumes a condition holds for the calls the code makes, and the
	// test checks the conditions that matter on their own.
	Condition map[string]any
}

// Policy is the statements that apply to one principal.
type Policy []Statement

// Allows reports whether the policy lets action on resource: an Allow
// statement matches and no Deny statement does.
func (p Policy) Allows(action, resource string) bool {
	allowed := false
	for _, s := range p {
		if !s.matches(action, resource) {
			continue
		}
		if !s.Allow {
			return false
		}
		allowed = true
	}
	return allowed
}

// AllowsAction reports whether an Allow statement names action, on any
// resource.
func (p Policy) AllowsAction(action string) bool {
	for _, s := range p {
		if s.Allow && anyMatch(s.Actions, action, true) {
			return true
		}
	}
	return false
}

func (s Statement) matches(action, resource string) bool {
	return anyMatch(s.Actions, action, true) && anyMatch(s.Resources, resource, false)
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, s = strings.ToLower(p), strings.ToLower(s)
		}
		if wildcardMatch(p, s) {
			return true
		}
	}
	return false
}

// wildcardMatch matches s against an IAM pattern: * is any run of
// characters (colons and slashes too), ? any one character.
func wildcardMatch(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if wildcardMatch(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return s == ""
}

// ParsePolicy reads the statements of a resolved policy document. NotAction,
// NotResource and NotPrincipal are refused: the checks could not tell
// what they grant, and Tanda's policies do not need them.
func ParsePolicy(doc any) (Policy, error) {
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("policy document is %T", doc)
	}
	var list []any
	switch st := m["Statement"].(type) {
	case []any:
		list = st
	case map[string]any:
		list = []any{st}
	default:
		return nil, fmt.Errorf("policy document has no statements")
	}
	var p Policy
	for i, raw := range list {
		sm, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("statement %d is %T", i, raw)
		}
		for _, k := range []string{"NotAction", "NotResource", "NotPrincipal"} {
			if _, ok := sm[k]; ok {
				return nil, fmt.Errorf("statement %d uses %s", i, k)
			}
		}
		s := Statement{Allow: sm["Effect"] == "Allow", Actions: stringList(sm["Action"]), Resources: stringList(sm["Resource"])}
		s.Sid, _ = sm["Sid"].(string)
		s.Condition, _ = sm["Condition"].(map[string]any)
		if sm["Effect"] != "Allow" && sm["Effect"] != "Deny" {
			return nil, fmt.Errorf("statement %d has effect %v", i, sm["Effect"])
		}
		if len(s.Actions) == 0 || len(s.Resources) == 0 {
			return nil, fmt.Errorf("statement %d (%s) has no action or no resource", i, s.Sid)
		}
		p = append(p, s)
	}
	return p, nil
}

// stringList reads a string or a list of strings.
func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, s := range x {
			if str, ok := s.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}
