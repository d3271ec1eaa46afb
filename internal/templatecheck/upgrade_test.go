package templatecheck_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/infra/dynamo"
	"github.com/tanda-batch/tanda/internal/templatecheck"
)

// releasedTables are the tables of the templates stacks were deployed
// from, one file per release (see each file's Description): what
// template.yaml must still be able to update.
const releasedTables = "testdata/released/*.json"

// TestIndexesOfReleasedStacks: `sam deploy` of template.yaml updates a
// stack deployed from any released template, as far as its tables go:
// no table, key schema or existing index changes, and at most one index
// is added or deleted (templatecheck.TableUpdateErrors). The tables
// infra/dynamo's CreateTables makes are held to the same rule, directly
// (TestTables also compares them with template.yaml).
func TestIndexesOfReleasedStacks(t *testing.T) {
	files, err := filepath.Glob(releasedTables)
	if err != nil || len(files) == 0 {
		t.Fatalf("no released tables in %s (%v)", releasedTables, err)
	}
	v := view(t)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			released := evaluateTemplate(t, readTemplate(t, f))
			for _, err := range templatecheck.TableUpdateErrors(released, v.e) {
				t.Errorf("template.yaml: %v", err)
			}
			for _, err := range templatecheck.TableUpdateErrors(released, createdTables(t, released, v)) {
				t.Errorf("infra/dynamo's CreateTables: %v", err)
			}
		})
	}
}

// TestTableUpdateErrorsFollowCloudFormation: each change CloudFormation
// cannot make to a deployed table is found, and the changes it can make
// are not.
func TestTableUpdateErrorsFollowCloudFormation(t *testing.T) {
	files, err := filepath.Glob(releasedTables)
	if err != nil || len(files) == 0 {
		t.Fatalf("no released tables in %s (%v)", releasedTables, err)
	}
	index := func(name, hash, sort string) map[string]any {
		return map[string]any{
			"IndexName": name,
			"KeySchema": []any{
				map[string]any{"AttributeName": hash, "KeyType": "HASH"},
				map[string]any{"AttributeName": sort, "KeyType": "RANGE"},
			},
			"Projection": map[string]any{"ProjectionType": "KEYS_ONLY"},
		}
	}
	tests := []struct {
		name    string
		edit    func(jobs map[string]any, tmpl *templatecheck.Template)
		wantErr string // "" for none
	}{
		{name: "unchanged"},
		{
			name: "projection of an index widened",
			edit: func(jobs map[string]any, _ *templatecheck.Template) {
				p := gsi(jobs, 0)["Projection"].(map[string]any)
				p["NonKeyAttributes"] = append(p["NonKeyAttributes"].([]any), "demand")
			},
			wantErr: "Projection",
		},
		{
			name: "projection of an index changed to ALL",
			edit: func(jobs map[string]any, _ *templatecheck.Template) {
				gsi(jobs, 2)["Projection"] = map[string]any{"ProjectionType": "ALL"}
			},
			wantErr: "Projection",
		},
		{
			name: "sort key of an index changed",
			edit: func(jobs map[string]any, _ *templatecheck.Template) {
				gsi(jobs, 0)["KeySchema"] = index("x", "queueStatus", "createdKey")["KeySchema"]
			},
			wantErr: "KeySchema",
		},
		{
			name: "one index added",
			edit: func(jobs map[string]any, _ *templatecheck.Template) {
				jobs["GlobalSecondaryIndexes"] = append(jobs["GlobalSecondaryIndexes"].([]any), index("byName", "jobQueue", "name"))
			},
		},
		{
			name: "one index deleted",
			edit: func(jobs map[string]any, _ *templatecheck.Template) {
				jobs["GlobalSecondaryIndexes"] = jobs["GlobalSecondaryIndexes"].([]any)[1:]
			},
		},
		{
			name: "two indexes added",
			edit: func(jobs map[string]any, _ *templatecheck.Template) {
				jobs["GlobalSecondaryIndexes"] = append(jobs["GlobalSecondaryIndexes"].([]any),
					index("byName", "jobQueue", "name"), index("byDefinition", "definition", "createdKey"))
			},
			wantErr: "at most one index",
		},
		{
			name: "an index renamed",
			edit: func(jobs map[string]any, _ *templatecheck.Template) {
				gsi(jobs, 0)["IndexName"] = "byQueueStatus2"
			},
			wantErr: "renaming an index",
		},
		{
			name: "the table's key changed",
			edit: func(jobs map[string]any, _ *templatecheck.Template) {
				jobs["KeySchema"] = []any{map[string]any{"AttributeName": "jobId", "KeyType": "HASH"}}
			},
			wantErr: "replaces a table",
		},
		{
			name: "the table renamed",
			edit: func(jobs map[string]any, _ *templatecheck.Template) {
				jobs["TableName"] = map[string]any{"Fn::Sub": "${AWS::StackName}-jobs2"}
			},
			wantErr: "replaces a table",
		},
		{
			name: "the table's logical id changed",
			edit: func(_ map[string]any, tmpl *templatecheck.Template) {
				tmpl.Resources["Jobs"] = tmpl.Resources["JobsTable"]
				delete(tmpl.Resources, "JobsTable")
			},
			wantErr: "delete it and its data",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			released := readTemplate(t, files[0])
			changed := readTemplate(t, files[0])
			if tt.edit != nil {
				tt.edit(changed.Resources["JobsTable"].Properties, changed)
			}
			errs := templatecheck.TableUpdateErrors(evaluateTemplate(t, released), evaluateTemplate(t, changed))
			switch {
			case tt.wantErr == "" && len(errs) > 0:
				t.Errorf("errors %v, want none", errs)
			case tt.wantErr != "" && len(errs) != 1:
				t.Errorf("errors %v, want one saying %q", errs, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(errs[0].Error(), tt.wantErr):
				t.Errorf("error %q, want one saying %q", errs[0], tt.wantErr)
			}
		})
	}
}

// gsi is the i-th global secondary index of a table's properties.
func gsi(props map[string]any, i int) map[string]any {
	return props["GlobalSecondaryIndexes"].([]any)[i].(map[string]any)
}

// readTemplate reads a CloudFormation template in JSON.
func readTemplate(t *testing.T, path string) *templatecheck.Template {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := templatecheck.ParseTemplate(doc)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tmpl
}

// evaluateTemplate evaluates a template for the sample stack.
func evaluateTemplate(t *testing.T, tmpl *templatecheck.Template) *templatecheck.Evaluator {
	t.Helper()
	e, err := templatecheck.NewEvaluator(tmpl, sample)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// createdTables is the tables infra/dynamo's CreateTables makes for the
// sample stack, as a template whose logical ids are those of the
// released tables of the same names.
func createdTables(t *testing.T, released *templatecheck.Evaluator, v stackView) *templatecheck.Evaluator {
	t.Helper()
	ids := map[string]string{}
	for _, id := range released.Resources("AWS::DynamoDB::Table") {
		name, err := released.Property(id, "TableName")
		if err != nil {
			t.Fatal(err)
		}
		ids[name.(string)] = id
	}
	tmpl := &templatecheck.Template{Resources: map[string]templatecheck.Resource{}}
	store := dynamo.New(nil, dynamo.Options{JobsTable: v.settings.JobsTable, ItemsTable: v.settings.ItemsTable})
	for _, in := range store.TableInputs() {
		id, ok := ids[*in.TableName]
		if !ok {
			id = *in.TableName
		}
		tmpl.Resources[id] = templatecheck.Resource{Type: "AWS::DynamoDB::Table", Properties: tableProperties(t, in)}
	}
	return evaluateTemplate(t, tmpl)
}
