package templatecheck

import (
	"fmt"
	"slices"
)

// condition evaluates a named condition (seen guards against cycles).
func (e *Evaluator) condition(name string, seen []string) (bool, error) {
	if c, ok := e.conds[name]; ok {
		return c, nil
	}
	def, ok := e.t.Conditions[name]
	if !ok || slices.Contains(seen, name) {
		return false, fmt.Errorf("condition %s is not defined (or refers to itself)", name)
	}
	c, err := e.truth(def, append(seen, name))
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	e.conds[name] = c
	return c, nil
}

// truth evaluates a condition function.
func (e *Evaluator) truth(def any, seen []string) (bool, error) {
	m, ok := def.(map[string]any)
	if !ok || len(m) != 1 {
		return false, fmt.Errorf("not a condition: %v", def)
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Condition":
			name, _ := arg.(string)
			return e.condition(name, seen)
		case "Fn::Equals":
			if len(args) != 2 {
				return false, fmt.Errorf("Fn::Equals of %v", arg)
			}
			a, err := e.Eval(args[0])
			if err != nil {
				return false, err
			}
			b, err := e.Eval(args[1])
			if err != nil {
				return false, err
			}
			return fmt.Sprint(a) == fmt.Sprint(b), nil
		case "Fn::Not", "Fn::And", "Fn::Or":
			var vals []bool
			for _, a := range args {
				v, err := e.truth(a, seen)
				if err != nil {
					return false, err
				}
				vals = append(vals, v)
			}
			switch {
			case fn == "Fn::Not" && len(vals) == 1:
				return !vals[0], nil
			case fn == "Fn::And":
				return !slices.Contains(vals, false), nil
			case fn == "Fn::Or":
				return slices.Contains(vals, true), nil
			}
		}
		return false, fmt.Errorf("condition function %s of %v is not supported", fn, arg)
	}
	return false, nil
}
