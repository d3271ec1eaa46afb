package metricstest_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tanda-batch/tanda/internal/metrics/metricstest"
)

func TestReadsSeriesByLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "calls_total"}, []string{"op", "code"})
	calls.WithLabelValues("get", "200").Add(3)
	calls.WithLabelValues("get", "500").Add(1)
	calls.WithLabelValues("put", "200").Add(5)
	depth := prometheus.NewGauge(prometheus.GaugeOpts{Name: "depth"})
	depth.Set(7)
	took := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "took_seconds"}, []string{"op"})
	took.WithLabelValues("get").Observe(0.25)
	took.WithLabelValues("get").Observe(0.5)
	quantiles := prometheus.NewSummary(prometheus.SummaryOpts{Name: "quantiles"})
	quantiles.Observe(1)
	reg.MustRegister(calls, depth, took, quantiles)
	families := metricstest.Gather(t, reg)

	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
		ok     bool
	}{
		{"calls_total", map[string]string{"op": "get", "code": "500"}, 1, true},
		{"calls_total", map[string]string{"op": "put"}, 5, true},
		{"calls_total", map[string]string{"op": "delete"}, 0, false},
		{"calls_total", map[string]string{"region": "x"}, 0, false}, // a label the family does not have
		{"depth", nil, 7, true},
		{"took_seconds", map[string]string{"op": "get"}, 2, true}, // the sample count
		{"quantiles", nil, 0, false},                              // a summary has no one value
		{"missing", nil, 0, false},
	} {
		if got, ok := metricstest.Sample(families, c.name, c.labels); got != c.want || ok != c.ok {
			t.Errorf("Sample(%s%v) = %v, %v; want %v, %v", c.name, c.labels, got, ok, c.want, c.ok)
		}
	}

	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"calls_total", nil, 9},
		{"calls_total", map[string]string{"op": "get"}, 4},
		{"calls_total", map[string]string{"code": "200"}, 8},
		{"calls_total", map[string]string{"op": "get", "code": "404"}, 0},
		{"missing", nil, 0},
	} {
		if got := metricstest.Sum(families, c.name, c.labels); got != c.want {
			t.Errorf("Sum(%s%v) = %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	if h := metricstest.Histogram(families, "took_seconds", map[string]string{"op": "get"}); h.GetSampleCount() != 2 || h.GetSampleSum() != 0.75 {
		t.Errorf("Histogram(took_seconds{op=get}) = %v, want 2 observations summing to 0.75", h)
	}
	if h := metricstest.Histogram(families, "took_seconds", map[string]string{"op": "put"}); h != nil {
		t.Errorf("Histogram(took_seconds{op=put}) = %v, want nil: no such series", h)
	}
}
