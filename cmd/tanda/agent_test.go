package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/deploy/ec2agent"
)

func TestParseAgent(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    agentOptions
		wantErr string
	}{
		{"defaults", nil, nil, agentOptions{imdsEndpoint: imds.DefaultEndpoint, workRoot: ec2agent.DefaultWorkRoot, level: slog.LevelInfo, credentialsPort: rolecreds.DefaultPort, logFormat: "text"}, ""},
		{"endpoint from the environment", nil, map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1338"},
			agentOptions{imdsEndpoint: "http://127.0.0.1:1338", workRoot: ec2agent.DefaultWorkRoot, level: slog.LevelInfo, credentialsPort: rolecreds.DefaultPort, logFormat: "text"}, ""},
		{"flags win", []string{"--imds-endpoint", "http://a", "--work-root", "/w", "--log-level", "debug", "--credentials-port", "8170", "--log-format", "json", "--metrics-listen", ":9265"},
			map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://b"},
			agentOptions{imdsEndpoint: "http://a", workRoot: "/w", level: slog.LevelDebug, credentialsPort: 8170, logFormat: "json", metrics: ":9265"}, ""},
		{"clock offset file", []string{"--clock-offset-file", "/tmp/offset"}, nil,
			agentOptions{imdsEndpoint: imds.DefaultEndpoint, workRoot: ec2agent.DefaultWorkRoot, level: slog.LevelInfo, credentialsPort: rolecreds.DefaultPort, logFormat: "text", clockOffsetFile: "/tmp/offset"}, ""},
		{"any credentials port", []string{"--credentials-port", "0"}, nil,
			agentOptions{imdsEndpoint: imds.DefaultEndpoint, workRoot: ec2agent.DefaultWorkRoot, level: slog.LevelInfo, credentialsPort: rolecreds.AnyPort, logFormat: "text"}, ""},
		{"bad credentials port", []string{"--credentials-port", "70000"}, nil, agentOptions{}, "--credentials-port 70000"},
		{"bad log format", []string{"--log-format", "xml"}, nil, agentOptions{}, "--log-format"},
		{"bad level", []string{"--log-level", "loud"}, nil, agentOptions{}, "--log-level"},
		{"stray argument", []string{"now"}, nil, agentOptions{}, "no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAgent(tt.args, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseAgent error = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseAgent = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// agentIMDS serves an instance's metadata: paths maps a path to its body,
// others are 404.
func agentIMDS(t *testing.T, paths map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			fmt.Fprint(w, "token")
			return
		}
		body, ok := paths[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAgentExplainsAMisconfiguredInstance(t *testing.T) {
	script, err := awsstack.Settings{Stack: "s", Region: "us-east-1"}.AgentScript("tanda agent")
	if err != nil {
		t.Fatalf("AgentScript: %v", err)
	}
	const (
		identity = "/latest/dynamic/instance-identity/document"
		userData = "/latest/user-data"
		ceTag    = "/latest/meta-data/tags/instance/tanda:compute-environment"
		doc      = `{"instanceId":"i-0abc","instanceType":"m6i.large","region":"us-east-1","accountId":"123456789012"}`
	)
	tests := []struct {
		name  string
		paths map[string]string
		wants []string
	}{
		{"user data without settings", map[string]string{identity: doc, userData: "#!/bin/sh\n", ceTag: "ce"},
			[]string{"i-0abc", "no TANDA_SETTINGS", "launch template"}},
		{"no compute environment tag", map[string]string{identity: doc, userData: string(script)},
			[]string{"i-0abc", "tanda:compute-environment", "InstanceMetadataTags"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", agentIMDS(t, tt.paths))
			err := runAgent(t.Context(), []string{"--work-root", t.TempDir()}, io.Discard)
			if err == nil {
				t.Fatal("tanda agent started, want it to fail")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("tanda agent error = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}
