//go:build linux

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/deploy/awsstack"
)

func TestParseServe(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	withRegion := env(map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"})
	tests := []struct {
		name      string
		args      []string
		getenv    func(string) string
		wantStack awsstack.Settings
		wantInit  bool
		wantErr   string
	}{
		{
			name: "defaults", args: []string{"--backend", "aws"}, getenv: withRegion,
			wantStack: awsstack.Settings{Stack: "tanda", Region: "eu-west-1", Endpoint: "http://127.0.0.1:5000"}.WithDefaults(),
		},
		{
			name:   "flags",
			args:   []string{"--init", "--stack", "s1", "--runtime", "process", "--lease", "1500ms", "--region", "us-west-2"},
			getenv: withRegion, wantInit: true,
			wantStack: awsstack.Settings{Stack: "s1", Region: "us-west-2", Endpoint: "http://127.0.0.1:5000", Runtime: "process", LeaseSeconds: 2}.WithDefaults(),
		},
		{
			name: "default region", getenv: env(map[string]string{"AWS_DEFAULT_REGION": "ap-south-1"}),
			wantStack: awsstack.Settings{Stack: "tanda", Region: "ap-south-1"}.WithDefaults(),
		},
		{name: "embedded backend", args: []string{"--backend", "sqlite"}, getenv: withRegion, wantErr: "the only backend of tanda serve is aws"},
		{name: "no region", getenv: env(nil), wantErr: "region is not set"},
		{name: "bad stack", args: []string{"--stack", "no_underscores"}, getenv: withRegion, wantErr: "stack name"},
		{name: "bad runtime", args: []string{"--runtime", "vm"}, getenv: withRegion, wantErr: "runtime"},
		{name: "short lease", args: []string{"--lease", "10ms"}, getenv: withRegion, wantErr: "--lease"},
		{name: "stray argument", args: []string{"now"}, getenv: withRegion, wantErr: "no arguments"},
		{name: "negative sweep", args: []string{"--sweep-every", "-1s"}, getenv: withRegion, wantErr: "--sweep-every"},
		{name: "negative stale-pending", args: []string{"--stale-pending", "-1s"}, getenv: withRegion, wantErr: "--stale-pending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseServe(tt.args, tt.getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseServe(%q) error = %v, want %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseServe(%q): %v", tt.args, err)
			}
			if got.cfg.Stack != tt.wantStack {
				t.Errorf("stack = %+v, want %+v", got.cfg.Stack, tt.wantStack)
			}
			if got.doInit != tt.wantInit {
				t.Errorf("init = %v, want %v", got.doInit, tt.wantInit)
			}
		})
	}
}

func TestParseServeSweepEvery(t *testing.T) {
	getenv := func(k string) string { return map[string]string{"AWS_REGION": "eu-west-1"}[k] }
	for _, c := range []struct {
		args []string
		want time.Duration
	}{{nil, 0}, {[]string{"--sweep-every", "1s"}, time.Second}} {
		o, err := parseServe(c.args, getenv)
		if err != nil || o.cfg.Scheduler.SweepEvery != c.want {
			t.Errorf("parseServe(%q): sweep every %v, %v; want %v", c.args, o.cfg.Scheduler.SweepEvery, err, c.want)
		}
	}
}

func TestParseServeStalePending(t *testing.T) {
	getenv := func(k string) string { return map[string]string{"AWS_REGION": "eu-west-1"}[k] }
	for _, c := range []struct {
		args []string
		want time.Duration
	}{{nil, 0}, {[]string{"--stale-pending", "5s"}, 5 * time.Second}} {
		o, err := parseServe(c.args, getenv)
		if err != nil || o.cfg.Scheduler.StalePending != c.want {
			t.Errorf("parseServe(%q): stale pending %v, %v; want %v", c.args, o.cfg.Scheduler.StalePending, err, c.want)
		}
	}
}
