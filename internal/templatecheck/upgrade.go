package templatecheck

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// tableType is the resource type whose updates TableUpdateErrors judges.
const tableType = "AWS::DynamoDB::Table"

// indexRule is CloudFormation's rule for the global secondary indexes of
// an AWS::DynamoDB::Table, as a failure message quotes it.
const indexRule = "CloudFormation cannot change an existing global secondary index's KeySchema or Projection, " +
	"and one stack update may add or delete at most one index (DynamoDB's UpdateTable creates or deletes one per call; " +
	"renaming an index is both, and fails)"

// TableUpdateErrors lists what would keep CloudFormation from updating a
// stack deployed from the template released evaluates to the one current
// evaluates to, as far as DynamoDB tables go (AWS::DynamoDB::Table's
// update behaviours):
//
//   - a table of released that current lacks (or has under another
//     logical id) is deleted, with its data;
//   - a new TableName, KeySchema or LocalSecondaryIndexes requires
//     replacement: a new, empty table, and for a named table an update
//     CloudFormation refuses;
//   - an existing global secondary index keeps its KeySchema and
//     Projection (only its throughput settings may change), and one update
//     adds or deletes at most one index.
//
// What a new reader needs from an index goes into the values of its
// existing keys instead, or into a new index added alone in one release.
func TableUpdateErrors(released, current *Evaluator) []error {
	var errs []error
	for _, id := range released.Resources(tableType) {
		if !slices.Contains(current.Resources(tableType), id) {
			errs = append(errs, fmt.Errorf("table %s of the released template is gone from the template: CloudFormation would delete it and its data", id))
			continue
		}
		errs = append(errs, tableUpdateErrors(id, released, current)...)
	}
	return errs
}

// tableUpdateErrors compares one table's properties in the two templates.
func tableUpdateErrors(id string, released, current *Evaluator) []error {
	var errs []error
	props := func(e *Evaluator) (map[string]any, error) {
		p, err := e.Property(id)
		if err != nil {
			return nil, err
		}
		m, _ := p.(map[string]any)
		return m, nil
	}
	was, err := props(released)
	if err != nil {
		return []error{fmt.Errorf("the released template: %w", err)}
	}
	now, err := props(current)
	if err != nil {
		return []error{fmt.Errorf("the template: %w", err)}
	}
	for _, k := range []string{"TableName", "KeySchema", "LocalSecondaryIndexes"} {
		if a, b := Canonical(was[k]), Canonical(now[k]); a != b {
			errs = append(errs, fmt.Errorf("table %s: %s %s, released %s: CloudFormation replaces a table whose %s changes, "+
				"and refuses to for a named table (a replaced table is a new, empty one)", id, k, b, a, k))
		}
	}
	old, err := indexesByName(was["GlobalSecondaryIndexes"])
	if err != nil {
		return append(errs, fmt.Errorf("table %s of the released template: %w", id, err))
	}
	cur, err := indexesByName(now["GlobalSecondaryIndexes"])
	if err != nil {
		return append(errs, fmt.Errorf("table %s: %w", id, err))
	}
	var added, deleted []string
	for _, name := range slices.Sorted(maps.Keys(old)) {
		ix, ok := cur[name]
		if !ok {
			deleted = append(deleted, name)
			continue
		}
		for _, k := range []string{"KeySchema", "Projection"} {
			if a, b := Canonical(old[name][k]), Canonical(ix[k]); a != b {
				errs = append(errs, fmt.Errorf("table %s, index %s: %s %s, released %s: %s", id, name, k, b, a, indexRule))
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cur)) {
		if _, ok := old[name]; !ok {
			added = append(added, name)
		}
	}
	if len(added)+len(deleted) > 1 {
		errs = append(errs, fmt.Errorf("table %s: indexes added %v and deleted %v since the release: %s", id, added, deleted, indexRule))
	}
	return errs
}

// indexesByName reads a GlobalSecondaryIndexes property by IndexName.
func indexesByName(v any) (map[string]map[string]any, error) {
	list, _ := v.([]any)
	out := make(map[string]map[string]any, len(list))
	for _, x := range list {
		ix, _ := x.(map[string]any)
		name, _ := ix["IndexName"].(string)
		if name == "" {
			return nil, fmt.Errorf("a global secondary index without an IndexName: %s", Canonical(x))
		}
		out[name] = ix
	}
	return out, nil
}

// Canonical renders a resolved value for comparison and messages, as
// CloudFormation reads it: JSON with map keys sorted, nulls, empty
// strings and empty lists left out (as absent); an absent value is
// "null".
func Canonical(v any) string {
	b, err := json.Marshal(prune(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// prune drops nulls, empty strings and empty lists from v.
func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			if p := prune(val); p != nil {
				out[k] = p
			}
		}
		return out
	case []any:
		if len(x) == 0 {
			return nil
		}
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = prune(val)
		}
		return out
	case string:
		if x == "" {
			return nil
		}
	}
	return v
}
