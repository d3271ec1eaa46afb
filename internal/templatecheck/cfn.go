package templatecheck

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Template is a CloudFormation template, after the SAM transform.
type Template struct {
	Parameters map[string]Parameter `json:"Parameters"`
	Conditions map[string]any       `json:"Conditions"`
	Resources  map[string]Resource  `json:"Resources"`
	Outputs    map[string]Output    `json:"Outputs"`
}

// Parameter is a template parameter.
type Parameter struct {
	Type    string `json:"Type"`
	Default any    `json:"Default"`
}

// Resource is a template resource.
type Resource struct {
	Type       string         `json:"Type"`
	Condition  string         `json:"Condition"`
	Properties map[string]any `json:"Properties"`
	Metadata   map[string]any `json:"Metadata"`
}

// Output is a template output.
type Output struct {
	Condition string `json:"Condition"`
	Value     any    `json:"Value"`
}

// ParseTemplate reads a CloudFormation template in JSON.
func ParseTemplate(doc []byte) (*Template, error) {
	var t Template
	if err := json.Unmarshal(doc, &t); err != nil {
		return nil, fmt.Errorf("reading the template: %w", err)
	}
	if len(t.Resources) == 0 {
		return nil, fmt.Errorf("reading the template: it has no resources")
	}
	return &t, nil
}

// OfType lists the logical ids of the resources of a type, sorted.
func (t *Template) OfType(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}
