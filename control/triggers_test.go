package control_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/triggers"
)

// validRule is a rule on the harness's queue and definition.
func validRule(name string) triggers.Rule {
	return triggers.Rule{Name: name, Bucket: "uploads", Prefix: "in/", Suffix: ".csv", JobQueue: queueName, JobDefinition: defName,
		Parameters: map[string]string{"mode": "fast"}, Command: []string{"process", "Ref::bucket", "Ref::key"}}
}

func TestCreateTriggerRule(t *testing.T) {
	h := newHarness(t)
	h.registerDef("retired", nil)
	if err := h.svc.DeregisterJobDefinition(h.ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: "retired:1"}); err != nil {
		t.Fatalf("DeregisterJobDefinition: %v", err)
	}
	if _, err := h.svc.CreateTriggerRule(h.ctx, validRule("taken")); err != nil {
		t.Fatalf("CreateTriggerRule(taken): %v", err)
	}
	tests := []struct {
		name    string
		edit    func(*triggers.Rule)
		wantErr string // "" for success
	}{
		{"valid", func(*triggers.Rule) {}, ""},
		{"definition by revision", func(r *triggers.Rule) { r.JobDefinition = defName + ":1" }, ""},
		{"bad name", func(r *triggers.Rule) { r.Name = "-x" }, `trigger rule name "-x" must be`},
		{"bad bucket", func(r *triggers.Rule) { r.Bucket = "Uploads" }, `bucket "Uploads" is not a valid S3 bucket name`},
		{"reserved parameter", func(r *triggers.Rule) { r.Parameters = map[string]string{"key": "x"} }, "parameter key is set from the uploaded object"},
		{"missing queue", func(r *triggers.Rule) { r.JobQueue = "nope" }, "JobQueue nope not found."},
		{"missing definition", func(r *triggers.Rule) { r.JobDefinition = "nope" }, "JobDefinition name nope does not exist"},
		{"inactive definition", func(r *triggers.Rule) { r.JobDefinition = "retired:1" }, "is INACTIVE"},
		{"name in use", func(r *triggers.Rule) { r.Name = "taken" }, "trigger rule taken already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRule(strings.ReplaceAll(tt.name, " ", "-"))
			tt.edit(&r)
			got, err := h.svc.CreateTriggerRule(h.ctx, r)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CreateTriggerRule: %v", err)
				}
				if want := batch.Millis(h.clk.Now()); got.CreatedAt != want {
					t.Errorf("createdAt = %d, want %d", got.CreatedAt, want)
				}
				return
			}
			if !batch.IsClientError(err) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CreateTriggerRule = %v, want a client error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestTriggerRulesListAndDelete(t *testing.T) {
	h := newHarness(t)
	for _, name := range []string{"b", "a"} {
		if _, err := h.svc.CreateTriggerRule(h.ctx, validRule(name)); err != nil {
			t.Fatalf("CreateTriggerRule(%s): %v", name, err)
		}
		h.clk.Advance(time.Second)
	}
	if err := h.svc.DeleteTriggerRule(h.ctx, "b"); err != nil {
		t.Fatalf("DeleteTriggerRule(b): %v", err)
	}
	if err := h.svc.DeleteTriggerRule(h.ctx, "b"); !batch.IsClientError(err) || !strings.Contains(err.Error(), `trigger rule "b" not found`) {
		t.Errorf("deleting b again = %v, want a client error saying it is not found", err)
	}
	rules, err := h.svc.TriggerRules(h.ctx)
	if err != nil {
		t.Fatalf("TriggerRules: %v", err)
	}
	var names []string
	for _, r := range rules {
		names = append(names, r.Name)
	}
	if want := []string{"a"}; !slices.Equal(names, want) {
		t.Fatalf("rules = %v, want %v", names, want)
	}
	got, want := rules[0], validRule("a")
	want.CreatedAt = batch.Millis(h.clk.Now().Add(-time.Second))
	if got.Bucket != want.Bucket || got.Prefix != want.Prefix || got.Suffix != want.Suffix || got.CreatedAt != want.CreatedAt ||
		!slices.Equal(got.Command, want.Command) || got.Parameters["mode"] != "fast" {
		t.Errorf("rule = %+v, want %+v", got, want)
	}
}
