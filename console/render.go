package console

import (
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"ms":    formatMillis,
	"last":  lastSegment,
	"deref": deref,
	"derefInt64": func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	},
	"lower": strings.ToLower,
	"inc":   func(i int) int { return i + 1 },
	"took": func(start, stop int64) string {
		if start == 0 || stop == 0 || stop < start {
			return ""
		}
		return (time.Duration(stop-start) * time.Millisecond).Round(time.Millisecond).String()
	},
	"exitCode": func(p *int) string {
		if p == nil {
			return ""
		}
		return fmt.Sprint(*p)
	},
	"cancellable": func(s batch.Status) bool { return s == batch.Submitted || s == batch.Pending || s == batch.Runnable },
	"terminable":  func(s batch.Status) bool { return !s.Terminal() },
	"vcpus":       func(f float64) string { return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".") },
	"resource": func(c *batch.ContainerProperties, typ string) string {
		if c == nil {
			return ""
		}
		for _, r := range c.ResourceRequirements {
			if r.Type == typ {
				return r.Value
			}
		}
		switch {
		case typ == batch.ResourceVCPU && c.Vcpus != nil:
			return fmt.Sprint(*c.Vcpus)
		case typ == batch.ResourceMemory && c.Memory != nil:
			return fmt.Sprint(*c.Memory)
		}
		return ""
	},
	"join": strings.Join,
	// definitionName is the name in a job definition's ARN (name:revision).
	"definitionName": func(arn string) string {
		name, _, _ := strings.Cut(lastSegment(arn), ":")
		return name
	},
	// arrayParent is the parent's id in an array child's id (parent:index).
	"arrayParent": func(id string) string {
		parent, _, _ := strings.Cut(id, ":")
		return parent
	},
	"toggle": func(action, field, name, state, csrf, back string) toggle {
		t := toggle{Action: action, Field: field, Name: name, CSRF: csrf, Back: back, To: batch.StateDisabled, Label: "Disable…"}
		if state != batch.StateEnabled {
			t.To, t.Label = batch.StateEnabled, "Enable…"
		}
		return t
	},
}

// toggle is a form that enables or disables a queue or a compute
// environment (template "stateform").
type toggle struct {
	Action, Field, Name, CSRF, Back, To, Label string
}

// parsePages parses each page template with the layout and the parts
// pages share.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("listing console templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" || base == "parts" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", n)
		if err != nil {
			return nil, fmt.Errorf("parsing console template %s: %w", base, err)
		}
		pages[base] = t
	}
	return pages, nil
}
