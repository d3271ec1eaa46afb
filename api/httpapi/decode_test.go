package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

func TestMalformedBodiesAreClientErrors(t *testing.T) {
	deepArray := `{"nodeOverrides":{"x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}}`
	deepObject := `{"ecsPropertiesOverride":` + strings.Repeat(`{"":`, 10500) + `1` + strings.Repeat("}", 10500) + `}`
	tests := []struct {
		name, path, body string
		want             string
	}{
		{"wrong type", "/v1/createjobqueue", `{"jobQueueName":"q","priority":"high"}`,
			"cannot decode request: priority: expected number, got string"},
		{"fraction for integer", "/v1/createjobqueue", `{"jobQueueName":"q","priority":1.5}`,
			"cannot decode request: priority: expected an integer in range, got number 1.5"},
		{"integer overflow", "/v1/createjobqueue", `{"jobQueueName":"q","priority":1e30}`,
			"cannot decode request: priority: expected an integer in range, got number 1e30"},
		{"nested field path", "/v1/submitjob", `{"jobName":"j","jobQueue":"q","jobDefinition":"d","containerOverrides":{"environment":[{"name":5}]}}`,
			"cannot decode request: containerOverrides.environment.name: expected string, got number"},
		{"list of strings", "/v1/describejobs", `{"jobs":"abc"}`,
			"cannot decode request: jobs: expected array, got string"},
		{"boolean", "/v1/submitjob", `{"jobName":"j","jobQueue":"q","jobDefinition":"d","propagateTags":"yes"}`,
			"cannot decode request: propagateTags: expected boolean, got string"},
		{"object expected", "/v1/submitjob", `{"jobName":"j","jobQueue":"q","jobDefinition":"d","tags":[]}`,
			"cannot decode request: tags: expected object, got array"},
		{"truncated", "/v1/describejobs", `{"jobs":["a"`,
			"cannot decode request: invalid JSON at offset 12: unexpected end of JSON input"},
		{"bad token", "/v1/describejobs", `{"jobs":[a]}`,
			"cannot decode request: invalid JSON at offset 10: invalid character 'a' looking for beginning of value"},
		{"trailing garbage", "/v1/describejobs", `{"jobs":["a"]} x`,
			"cannot decode request: invalid JSON at offset 16: invalid character 'x' after top-level value"},
		{"two objects", "/v1/describejobs", `{"jobs":["a"]}{}`,
			"invalid character '{' after top-level value"},
		{"array body", "/v1/listjobs", `[{"jobQueue":"q"}]`,
			"cannot decode request: the body must be a JSON object, got an array"},
		{"string body", "/v1/listjobs", `"q"`,
			"cannot decode request: the body must be a JSON object, got a string"},
		{"null body", "/v1/listjobs", `null`,
			"cannot decode request: the body must be a JSON object, got null"},
		{"number body", "/v1/listjobs", `42`,
			"cannot decode request: the body must be a JSON object, got a number"},
		{"not JSON", "/v1/listjobs", `jobQueue=q`,
			`cannot decode request: the body must be a JSON object, got invalid JSON starting with "jobQueue=q"`},
		{"deep arrays", "/v1/submitjob", deepArray, "exceeded max depth"},
		{"deep objects", "/v1/submitjob", deepObject, "exceeded max depth"},
		{"missing required", "/v1/submitjob", `{"jobName":"j","jobQueue":"q"}`,
			"missing required member jobDefinition"},
		{"null required", "/v1/canceljob", `{"jobId":null,"reason":"r"}`,
			"missing required member jobId"},
		{"empty body with required", "/v1/deletejobqueue", ``,
			"missing required member jobQueue"},
		{"whitespace body with required", "/v1/deletejobqueue", " \n\t",
			"missing required member jobQueue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := &fakeBackend{}
			rec := do(t, New(fb, testOptions()), "POST", tt.path, tt.body)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400; body %s", rec.Code, rec.Body)
			}
			e := decodeErrorBody(t, rec)
			if e.Type != codeClient || !strings.Contains(e.Message, tt.want) {
				t.Errorf("error = %s %q, want ClientException containing %q", e.Type, e.Message, tt.want)
			}
			if n := len(fb.recordedCalls()); n != 0 {
				t.Errorf("backend called %d times, want 0", n)
			}
		})
	}
}

func TestLenientBodies(t *testing.T) {
	tests := []struct {
		name, path, body string
	}{
		{"empty body, no required members", "/v1/describejobqueues", ``},
		{"empty object", "/v1/listschedulingpolicies", `{}`},
		{"whitespace around", "/v1/describecomputeenvironments", " \r\n {} \n"},
		{"null members are absent", "/v1/listjobs", `{"jobQueue":"q","maxResults":null,"filters":null}`},
		{"empty required string is present", "/v1/deletejobqueue", `{"jobQueue":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := &fakeBackend{}
			rec := do(t, New(fb, testOptions()), "POST", tt.path, tt.body)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
			}
			if n := len(fb.recordedCalls()); n != 1 {
				t.Errorf("backend called %d times, want 1", n)
			}
		})
	}
}
