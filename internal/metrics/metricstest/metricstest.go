// Package metricstest reads Prometheus metric families in tests: those a
// registry gathers or an endpoint's scrape parsed.
package metricstest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Gather is what g gathers, by family name.
func Gather(tb testing.TB, g prometheus.Gatherer) map[string]*dto.MetricFamily {
	tb.Helper()
	gathered, err := g.Gather()
	if err != nil {
		tb.Fatalf("gathering metrics: %v", err)
	}
	families := make(map[string]*dto.MetricFamily, len(gathered))
	for _, f := range gathered {
		families[f.GetName()] = f
	}
	return families
}

// Series are the series of the family name that have every one of labels
// (and maybe more), in the family's order.
func Series(families map[string]*dto.MetricFamily, name string, labels map[string]string) []*dto.Metric {
	var series []*dto.Metric
next:
	for _, m := range families[name].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		series = append(series, m)
	}
	return series
}

// Sample is the value of the first series of the family name that has
// labels and a value; ok is false when there is no such series.
func Sample(families map[string]*dto.MetricFamily, name string, labels map[string]string) (v float64, ok bool) {
	for _, m := range Series(families, name, labels) {
		if v, ok := Value(m); ok {
			return v, true
		}
	}
	return 0, false
}

// Sum adds the values of every series of the family name that has labels.
func Sum(families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	total := 0.0
	for _, m := range Series(families, name, labels) {
		v, _ := Value(m)
		total += v
	}
	return total
}

// Histogram is the histogram of the first series of the family name that
// has labels, or nil.
func Histogram(families map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Histogram {
	series := Series(families, name, labels)
	if len(series) == 0 {
		return nil
	}
	return series[0].GetHistogram()
}

// Value is a series' counter or gauge, or a histogram's sample count; ok
// is false for a series of another type (a summary, an untyped value).
func Value(m *dto.Metric) (v float64, ok bool) {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue(), true
	case m.Gauge != nil:
		return m.GetGauge().GetValue(), true
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount()), true
	}
	return 0, false
}
