//go:build unix

package integration

import (
	"encoding/json"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		line   string
		want   string
		wantOK bool
	}{
		{"endpoint: http://127.0.0.1:41234", "http://127.0.0.1:41234", true},
		{"tanda serve: AWS Batch API endpoint: http://127.0.0.1:8080 (stack e2e-1)", "http://127.0.0.1:8080", true},
		{"level=INFO msg=serving endpoint: https://batch.example.com.", "https://batch.example.com", true},
		{"endpoint: 127.0.0.1:8080", "", false},
		{"endpoint:", "", false},
		{"listening on http://127.0.0.1:8080", "", false},
	}
	for _, tt := range tests {
		got, ok := parseEndpoint(tt.line)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseEndpoint(%q) = %q, %v; want %q, %v", tt.line, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestDig(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"jobs":[{"status":"SUCCEEDED","attempts":[{"container":{"containerInstanceArn":"arn:aws:ecs:us-east-1:123456789012:container-instance/i-0abc"}}]}]}`), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path []any
		want string
	}{
		{[]any{"jobs", 0, "status"}, "SUCCEEDED"},
		{[]any{"jobs", 1, "status"}, ""},
		{[]any{"jobs", "0"}, ""},
		{[]any{"jobs", 0, "attempts", 0, "container", "containerInstanceArn"}, "arn:aws:ecs:us-east-1:123456789012:container-instance/i-0abc"},
		{[]any{"nope", 0}, ""},
	}
	for _, tt := range tests {
		if got := digString(doc, tt.path...); got != tt.want {
			t.Errorf("digString(%v) = %q, want %q", tt.path, got, tt.want)
		}
	}
	if got := instanceOf(digString(doc, "jobs", 0, "attempts", 0, "container", "containerInstanceArn")); got != "i-0abc" {
		t.Errorf("instanceOf = %q, want i-0abc", got)
	}
}
