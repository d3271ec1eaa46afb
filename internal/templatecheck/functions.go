package templatecheck

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ref resolves Ref: a pseudo parameter, a parameter or a resource.
func (e *Evaluator) ref(name string) (any, error) {
	switch name {
	case "AWS::StackName":
		return e.s.Name, nil
	case "AWS::Region":
		return e.s.Region, nil
	case "AWS::AccountId":
		return e.s.Account, nil
	case "AWS::Partition":
		return e.s.Partition, nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::NoValue":
		return noValue{}, nil
	}
	if p, ok := e.t.Parameters[name]; ok {
		return e.parameter(name, p)
	}
	return e.resourceRef(name)
}

// parameter is a parameter's value: given, or its default.
func (e *Evaluator) parameter(name string, p Parameter) (any, error) {
	v, ok := e.s.Parameters[name]
	if !ok {
		d, err := e.Eval(p.Default)
		if err != nil || d == nil {
			return nil, fmt.Errorf("parameter %s has no value and no default", name)
		}
		v, _ = d.(string)
	}
	if strings.HasPrefix(p.Type, "AWS::SSM::Parameter::Value<") {
		// The SSM parameter's value: a made-up id of the right kind.
		v = "ami-0123456789abcdef0"
	}
	if strings.HasPrefix(p.Type, "List<") || p.Type == "CommaDelimitedList" {
		var out []any
		for _, s := range strings.Split(v, ",") {
			out = append(out, s)
		}
		return out, nil
	}
	return v, nil
}

// subVar matches ${Name}, ${Name.Attr} and ${!Literal} in Fn::Sub.
var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub resolves Fn::Sub, in its string and [string, variables] forms.
func (e *Evaluator) sub(arg any) (any, error) {
	text, vars := "", map[string]any{}
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Sub of %v", arg)
		}
		text, _ = a[0].(string)
		m, _ := a[1].(map[string]any)
		for k, v := range m {
			r, err := e.String(v)
			if err != nil {
				return nil, fmt.Errorf("Fn::Sub variable %s: %w", k, err)
			}
			vars[k] = r
		}
	default:
		return nil, fmt.Errorf("Fn::Sub of %v", arg)
	}
	var errs []error
	out := subVar.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		if v, ok := vars[name]; ok {
			return v.(string)
		}
		var v any
		var err error
		if id, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			v, err = e.getAtt(id, attr)
		} else {
			v, err = e.ref(name)
		}
		s, isString := v.(string)
		if err == nil && !isString {
			err = fmt.Errorf("${%s} is %T, not a string", name, v)
		}
		if err != nil {
			errs = append(errs, err)
		}
		return s
	})
	if len(errs) > 0 {
		return nil, fmt.Errorf("Fn::Sub: %w", errors.Join(errs...))
	}
	return out, nil
}

// join resolves Fn::Join.
func (e *Evaluator) join(arg any) (any, error) {
	a, ok := arg.([]any)
	if !ok || len(a) != 2 {
		return nil, fmt.Errorf("Fn::Join of %v", arg)
	}
	sep, _ := a[0].(string)
	parts, err := e.Strings(a[1])
	if err != nil {
		return nil, fmt.Errorf("Fn::Join: %w", err)
	}
	return strings.Join(parts, sep), nil
}

// selectFn resolves Fn::Select.
func (e *Evaluator) selectFn(arg any) (any, error) {
	a, ok := arg.([]any)
	if !ok || len(a) != 2 {
		return nil, fmt.Errorf("Fn::Select of %v", arg)
	}
	is, err := e.String(a[0])
	if err != nil {
		return nil, fmt.Errorf("Fn::Select: %w", err)
	}
	i, err := strconv.Atoi(is)
	if err != nil {
		return nil, fmt.Errorf("Fn::Select index %q: %w", is, err)
	}
	list, err := e.Strings(a[1])
	if err != nil || i < 0 || i >= len(list) {
		return nil, fmt.Errorf("Fn::Select %d of %v: %v", i, a[1], err)
	}
	return list[i], nil
}
