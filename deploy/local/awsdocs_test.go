package local

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/tanda-batch/tanda/internal/tooltest"
)

// awsDocs is what AWS documents about the Batch API, read from the Python
// packages the machine ships (botocore and awscli, the aws CLI's own): the
// service model, and the example responses `aws batch <op> help` shows.
type awsDocs struct {
	model    serviceModel
	examples map[string][]example // operation name -> documented outputs
}

// example is one documented output and where it is documented.
type example struct {
	source string
	// cli is set for the aws CLI's examples, some of which are older than
	// the model's: their job definitions give vcpus and memory rather than
	// resourceRequirements.
	cli    bool
	output any
}

// serviceModel is the part of botocore's service-2.json the checks use.
type serviceModel struct {
	Operations map[string]struct {
		Output *struct {
			Shape string `json:"shape"`
		} `json:"output"`
	} `json:"operations"`
	Shapes map[string]modelShape `json:"shapes"`
}

type modelShape struct {
	Type    string              `json:"type"`
	Members map[string]shapeRef `json:"members"`
	Member  shapeRef            `json:"member"`
}

type shapeRef struct {
	Shape string `json:"shape"`
}

// loadAWSDocs finds botocore's and awscli's data through python3.
func loadAWSDocs(t *testing.T) *awsDocs {
	t.Helper()
	python := tooltest.Require(t, "python3", "install Python 3 with boto3")
	out, err := exec.Command(python, "-c",
		"import os, botocore, awscli; print(os.path.dirname(botocore.__file__)); print(os.path.dirname(awscli.__file__))").Output()
	if err != nil {
		if os.Getenv("TANDA_REQUIRE_TOOLS") != "" {
			t.Fatalf("python3 cannot import botocore and awscli (make test requires them): %v", err)
		}
		t.Skipf("python3 cannot import botocore and awscli: %v", err)
	}
	dirs := strings.Fields(string(out))
	if len(dirs) != 2 {
		t.Fatalf("locating botocore and awscli printed %q", out)
	}
	apiDir := filepath.Join(dirs[0], "data", "batch", "2016-08-10")
	docs := &awsDocs{examples: map[string][]example{}}
	readGzipJSON(t, filepath.Join(apiDir, "service-2.json.gz"), &docs.model)

	// The model's own examples (examples-1.json)...
	var modelExamples struct {
		Examples map[string][]struct {
			Output json.RawMessage `json:"output"`
		} `json:"examples"`
	}
	readJSONFile(t, filepath.Join(apiDir, "examples-1.json"), &modelExamples)
	for op, exs := range modelExamples.Examples {
		for _, ex := range exs {
			var v any
			if err := json.Unmarshal(ex.Output, &v); err == nil && v != nil {
				docs.examples[op] = append(docs.examples[op], example{source: "botocore's examples-1.json", output: v})
			}
		}
	}
	// ...and the aws CLI's (awscli/examples/batch/<op>.rst, "Output::").
	files, err := filepath.Glob(filepath.Join(dirs[1], "examples", "batch", "*.rst"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no aws CLI examples for batch under %s (%v)", dirs[1], err)
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		op := operationName(strings.TrimSuffix(filepath.Base(f), ".rst"))
		for _, block := range rstOutputs(string(text)) {
			var v any
			if err := json.Unmarshal([]byte(block), &v); err != nil {
				t.Logf("documentation erratum: %s's example output is not JSON (%v); not compared", filepath.Base(f), err)
				continue
			}
			docs.examples[op] = append(docs.examples[op], example{source: "the aws CLI's " + filepath.Base(f), cli: true, output: v})
		}
	}
	return docs
}

func readGzipJSON(t *testing.T, path string, v any) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := json.NewDecoder(zr).Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// operationName turns a CLI command (describe-job-definitions) into the
// operation's name (DescribeJobDefinitions).
func operationName(command string) string {
	var b strings.Builder
	for _, word := range strings.Split(command, "-") {
		r := []rune(word)
		if len(r) > 0 {
			r[0] = unicode.ToUpper(r[0])
		}
		b.WriteString(string(r))
	}
	return b.String()
}

// rstOutputs are the literal blocks after each "Output::" of an example.
func rstOutputs(text string) []string {
	var blocks []string
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "Output::" {
			continue
		}
		var block []string
		for i++; i < len(lines); i++ {
			l := lines[i]
			if strings.TrimSpace(l) != "" && !startsIndented.MatchString(l) {
				i--
				break
			}
			block = append(block, l)
		}
		if b := strings.TrimSpace(strings.Join(block, "\n")); b != "" {
			blocks = append(blocks, b)
		}
	}
	return blocks
}

var startsIndented = regexp.MustCompile(`^[ \t]`)

// shapeCheck compares an answer of Tanda's with a documented answer, member
// by member, following the service model: every member the documented
// answer has must be in Tanda's, with the model's type. Members the model
// does not define are documentation errata, noted and skipped.
type shapeCheck struct {
	model   serviceModel
	checked int
	missing []string
	noted   []string
}

func (c *shapeCheck) walk(path, shape string, want, got any) {
	s, ok := c.model.Shapes[shape]
	if !ok {
		c.missing = append(c.missing, fmt.Sprintf("%s: shape %s is not in the model", path, shape))
		return
	}
	c.checked++
	if !jsonTypeIs(s.Type, got) {
		c.missing = append(c.missing, fmt.Sprintf("%s is %s, but the model's %s is a %s", path, describeJSON(got), shape, s.Type))
		return
	}
	switch s.Type {
	case "structure":
		w, ok := want.(map[string]any)
		if !ok {
			return
		}
		g := got.(map[string]any)
		for k, wv := range w {
			m, ok := s.Members[k]
			if !ok {
				c.noted = append(c.noted, fmt.Sprintf("%s.%s is not a member of %s in the model (a documentation erratum)", path, k, shape))
				continue
			}
			gv, ok := g[k]
			if !ok || gv == nil {
				c.missing = append(c.missing, fmt.Sprintf("%s.%s is documented but missing", path, k))
				continue
			}
			c.walk(path+"."+k, m.Shape, wv, gv)
		}
	case "list":
		w, _ := want.([]any)
		g := got.([]any)
		if len(w) == 0 {
			return
		}
		if len(g) == 0 {
			c.missing = append(c.missing, fmt.Sprintf("%s is documented with elements but Tanda's answer has none: the test must give it some", path))
			return
		}
		for i, gv := range g {
			c.walk(fmt.Sprintf("%s[%d]", path, i), s.Member.Shape, w[0], gv)
		}
	}
}

// jsonTypeIs reports whether v decoded from JSON is of the model type.
func jsonTypeIs(modelType string, v any) bool {
	switch modelType {
	case "structure", "map":
		_, ok := v.(map[string]any)
		return ok
	case "list":
		_, ok := v.([]any)
		return ok
	case "string", "timestamp", "blob":
		_, ok := v.(string)
		if modelType == "timestamp" {
			_, isNum := v.(float64)
			return ok || isNum
		}
		return ok
	case "integer", "long", "float", "double":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	}
	return true
}

func describeJSON(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
