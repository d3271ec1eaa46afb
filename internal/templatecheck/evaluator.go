package templatecheck

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Stack is where a template is deployed: its name, region, account and
// partition, and the values of its parameters (a List<…> parameter's as
// one comma-separated string). Parameters left out take their defaults.
type Stack struct {
	Name, Region, Account, Partition string
	Parameters                       map[string]string
}

// Evaluator resolves a template's intrinsic functions as CloudFormation
// would for one Stack, with made-up but well-formed physical ids for the
// resources (see physicalTypes). Anything it cannot resolve is an error,
// so a reference to a missing resource or parameter is found.
type Evaluator struct {
	t     *Template
	s     Stack
	conds map[string]bool
}

// noValue is what AWS::NoValue resolves to: its entry is dropped.
type noValue struct{}

// NewEvaluator evaluates the template's conditions for s.
func NewEvaluator(t *Template, s Stack) (*Evaluator, error) {
	e := &Evaluator{t: t, s: s, conds: map[string]bool{}}
	for name := range t.Conditions {
		if _, err := e.condition(name, nil); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Template is the template evaluated.
func (e *Evaluator) Template() *Template { return e.t }

// Stack is the stack evaluated for.
func (e *Evaluator) Stack() Stack { return e.s }

// Exists reports whether a resource is part of the stack: declared, with
// its condition (if any) true.
func (e *Evaluator) Exists(id string) bool {
	r, ok := e.t.Resources[id]
	return ok && (r.Condition == "" || e.conds[r.Condition])
}

// Resources lists the logical ids of the stack's resources of a type.
func (e *Evaluator) Resources(typ string) []string {
	return slices.DeleteFunc(e.t.OfType(typ), func(id string) bool { return !e.Exists(id) })
}

// Property resolves a property of a resource, following path through
// nested maps; a missing property is nil.
func (e *Evaluator) Property(id string, path ...string) (any, error) {
	if !e.Exists(id) {
		return nil, fmt.Errorf("no resource %s in the stack", id)
	}
	var v any = e.t.Resources[id].Properties
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, nil
		}
		v = m[p]
	}
	out, err := e.Eval(v)
	if err != nil {
		return nil, fmt.Errorf("%s.%s: %w", id, strings.Join(path, "."), err)
	}
	return out, nil
}

// String resolves v, which must come out a string.
func (e *Evaluator) String(v any) (string, error) {
	out, err := e.Eval(v)
	if err != nil {
		return "", err
	}
	s, ok := out.(string)
	if !ok {
		return "", fmt.Errorf("%v is %T, not a string", out, out)
	}
	return s, nil
}

// Strings resolves v, which must come out a string or a list of them.
func (e *Evaluator) Strings(v any) ([]string, error) {
	out, err := e.Eval(v)
	if err != nil {
		return nil, err
	}
	switch o := out.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{o}, nil
	case []any:
		list := make([]string, 0, len(o))
		for _, x := range o {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("%v is %T, not a string", x, x)
			}
			list = append(list, s)
		}
		return list, nil
	}
	return nil, fmt.Errorf("%v is %T, not a list of strings", out, out)
}

// Eval resolves every intrinsic function in v.
func (e *Evaluator) Eval(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for fn, arg := range x {
				if fn == "Ref" || strings.HasPrefix(fn, "Fn::") {
					return e.call(fn, arg)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, val := range x {
			r, err := e.Eval(val)
			if err != nil {
				return nil, err
			}
			if r != (noValue{}) {
				out[k] = r
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for _, val := range x {
			r, err := e.Eval(val)
			if err != nil {
				return nil, err
			}
			if r != (noValue{}) {
				out = append(out, r)
			}
		}
		return out, nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return v, nil
}

// call resolves one intrinsic function.
func (e *Evaluator) call(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("Ref of %v", arg)
		}
		return e.ref(name)
	case "Fn::GetAtt":
		id, attr, err := getAttArgs(arg)
		if err != nil {
			return nil, err
		}
		return e.getAtt(id, attr)
	case "Fn::Sub":
		return e.sub(arg)
	case "Fn::Join":
		return e.join(arg)
	case "Fn::Base64":
		s, err := e.String(arg)
		if err != nil {
			return nil, fmt.Errorf("Fn::Base64: %w", err)
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "Fn::If":
		args, ok := arg.([]any)
		if !ok || len(args) != 3 {
			return nil, fmt.Errorf("Fn::If of %v", arg)
		}
		name, _ := args[0].(string)
		c, err := e.condition(name, nil)
		if err != nil {
			return nil, err
		}
		if c {
			return e.Eval(args[1])
		}
		return e.Eval(args[2])
	case "Fn::Select":
		return e.selectFn(arg)
	case "Fn::Split":
		args, ok := arg.([]any)
		if !ok || len(args) != 2 {
			return nil, fmt.Errorf("Fn::Split of %v", arg)
		}
		sep, _ := args[0].(string)
		s, err := e.String(args[1])
		if err != nil {
			return nil, fmt.Errorf("Fn::Split: %w", err)
		}
		var out []any
		for _, p := range strings.Split(s, sep) {
			out = append(out, p)
		}
		return out, nil
	}
	return nil, fmt.Errorf("intrinsic function %s is not supported here", fn)
}

// getAttArgs reads the arguments of Fn::GetAtt: [id, attribute], or
// "id.attribute" as YAML's short form gives.
func getAttArgs(arg any) (id, attr string, err error) {
	switch a := arg.(type) {
	case []any:
		if len(a) == 2 {
			id, _ = a[0].(string)
			attr, _ = a[1].(string)
		}
	case string:
		id, attr, _ = strings.Cut(a, ".")
	}
	if id == "" || attr == "" {
		return "", "", fmt.Errorf("Fn::GetAtt of %v", arg)
	}
	return id, attr, nil
}
