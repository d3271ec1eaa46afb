package metrics_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/internal/metrics"
)

// dashboard is the part of a Grafana dashboard's JSON the test reads.
type dashboard struct {
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

var (
	// selectorRE finds a metric name with its label matchers, if any.
	selectorRE = regexp.MustCompile(`\b(tanda_[a-z_]+)(\{[^}]*\})?`)
	// matcherRE finds the label names in a selector's matchers.
	matcherRE = regexp.MustCompile(`([a-z_]+)\s*(=~|!~|!=|=)`)
	// byRE finds the labels of "by (...)" clauses.
	byRE = regexp.MustCompile(`by \(([^)]*)\)`)
)

// TestDashboardUsesOnlyMetricsThatExist reads docs/grafana-dashboard.json
// and checks every metric its queries and variables name against the
// registry: the metric exists, and every label a query selects or groups
// by is one of its labels (le for histograms' buckets).
func TestDashboardUsesOnlyMetricsThatExist(t *testing.T) {
	raw, err := os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("decoding the dashboard: %v", err)
	}
	names := metrics.New(metrics.Options{}).Names()
	var exprs []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if v.Definition != "" {
			exprs = append(exprs, v.Definition)
		}
	}
	used := map[string]bool{}
	for _, expr := range exprs {
		var exprLabels []string
		for _, m := range selectorRE.FindAllStringSubmatch(expr, -1) {
			name, histogram := m[1], false
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if base, ok := strings.CutSuffix(name, suffix); ok {
					if _, isMetric := names[base]; isMetric {
						name, histogram = base, true
					}
				}
			}
			labels, ok := names[name]
			if !ok {
				t.Errorf("%q: no metric %s", expr, m[1])
				continue
			}
			used[name] = true
			if histogram {
				labels = append(slices.Clone(labels), "le")
			}
			exprLabels = append(exprLabels, labels...)
			for _, mm := range matcherRE.FindAllStringSubmatch(m[2], -1) {
				if !slices.Contains(labels, mm[1]) {
					t.Errorf("%q: %s has no label %s (it has %v)", expr, name, mm[1], labels)
				}
			}
		}
		for _, by := range byRE.FindAllStringSubmatch(expr, -1) {
			for _, l := range strings.Split(by[1], ",") {
				if l = strings.TrimSpace(l); !slices.Contains(exprLabels, l) {
					t.Errorf("%q: grouped by %s, which none of its metrics has", expr, l)
				}
			}
		}
	}
	// The dashboard shows what the issue asks for.
	for _, want := range []string{
		"tanda_jobs", "tanda_job_transitions_total", "tanda_job_submit_to_runnable_seconds",
		"tanda_job_runnable_to_running_seconds", "tanda_job_run_seconds", "tanda_api_requests_total",
		"tanda_api_request_duration_seconds", "tanda_provisioner_passes_total", "tanda_provisioner_decisions_total",
		"tanda_provisioner_launched_instances_total", "tanda_provisioner_launch_errors_total",
		"tanda_provisioner_retired_instances_total", "tanda_instances", "tanda_compute_environment_desired_vcpus",
		"tanda_compute_environment_provisioned_vcpus", "tanda_compute_environment_used_vcpus",
		"tanda_store_operation_duration_seconds", "tanda_store_operation_errors_total",
		"tanda_queue_operation_duration_seconds", "tanda_queue_operation_errors_total",
		"tanda_agent_running_attempts", "tanda_agent_lease_renewals_total", "tanda_agent_leases_lost_total",
	} {
		if !used[want] {
			t.Errorf("the dashboard does not show %s", want)
		}
	}
}
