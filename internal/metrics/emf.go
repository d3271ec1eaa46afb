package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// maxEMFValues is the most values CloudWatch takes for one metric in one
// EMF document.
const maxEMFValues = 100

// EMF writes a registry's metrics as CloudWatch metrics in embedded metric
// format: one JSON line per series that changed, which CloudWatch Logs
// turns into metrics when the line reaches a Lambda function's log. A
// Lambda function flushes after each invocation. Counters are written as
// what they rose by since the last flush; gauges as their value; a
// histogram as the values observed since the last flush, each at the upper
// bound of its bucket (at most 100 values, in proportion), so CloudWatch's
// percentiles are to the buckets' resolution. Each label is a dimension,
// with the fixed Dimensions beside them.
type EMF struct {
	Gatherer prometheus.Gatherer
	// Namespace is the CloudWatch namespace (default "Tanda").
	Namespace string
	// Dimensions are added to every metric (e.g. the stack's name).
	Dimensions map[string]string
	Out        io.Writer
	Now        func() time.Time // default time.Now

	mu   sync.Mutex
	last map[string]float64 // by series and sample: what was flushed last
}

// Flush writes what changed since the last Flush.
func (e *EMF) Flush() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.last == nil {
		e.last = map[string]float64{}
	}
	families, err := e.Gatherer.Gather()
	if err != nil {
		return fmt.Errorf("gathering metrics: %w", err)
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	ns := e.Namespace
	if ns == "" {
		ns = "Tanda"
	}
	ts := now().UnixMilli()
	var b strings.Builder
	for _, f := range families {
		for _, m := range f.GetMetric() {
			value, ok := e.sample(f, m)
			if !ok {
				continue
			}
			doc, err := e.document(ns, ts, f, m, value)
			if err != nil {
				return err
			}
			b.Write(doc)
			b.WriteByte('\n')
		}
	}
	if b.Len() == 0 {
		return nil
	}
	if _, err := io.WriteString(e.Out, b.String()); err != nil {
		return fmt.Errorf("writing metrics: %w", err)
	}
	return nil
}

// seriesKey names a series among all families.
func seriesKey(f *dto.MetricFamily, m *dto.Metric) string {
	var b strings.Builder
	b.WriteString(f.GetName())
	for _, l := range m.GetLabel() {
		b.WriteString("\xff" + l.GetName() + "=" + l.GetValue())
	}
	return b.String()
}

// sample is the EMF value of a series now (a number or a list of
// numbers), and whether it is to be written.
func (e *EMF) sample(f *dto.MetricFamily, m *dto.Metric) (any, bool) {
	key := seriesKey(f, m)
	switch f.GetType() {
	case dto.MetricType_COUNTER:
		v := m.GetCounter().GetValue()
		d := v - e.last[key]
		e.last[key] = v
		return d, d > 0
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue(), true
	case dto.MetricType_HISTOGRAM:
		return e.histogramValues(key, m.GetHistogram())
	}
	return nil, false
}

// histogramValues lists a histogram's new observations at their buckets'
// upper bounds (the last finite bound for the +Inf bucket).
func (e *EMF) histogramValues(key string, h *dto.Histogram) (any, bool) {
	total := float64(h.GetSampleCount())
	newCount := total - e.last[key]
	e.last[key] = total
	if newCount <= 0 {
		return nil, false
	}
	type bucket struct {
		bound float64
		n     float64
	}
	var buckets []bucket
	prev, lastBound := 0.0, 0.0
	for i, bk := range h.GetBucket() {
		cum := float64(bk.GetCumulativeCount())
		bkey := fmt.Sprintf("%s\xffle%d", key, i)
		newCum := cum - e.last[bkey]
		e.last[bkey] = cum
		bound := bk.GetUpperBound()
		if !math.IsInf(bound, 1) {
			lastBound = bound
		}
		if n := newCum - prev; n > 0 {
			buckets = append(buckets, bucket{bound, n})
		}
		prev = newCum
	}
	if n := newCount - prev; n > 0 { // the implicit +Inf bucket
		buckets = append(buckets, bucket{lastBound, n})
	}
	scale := 1.0
	if newCount > maxEMFValues {
		scale = maxEMFValues / newCount
	}
	var values []float64
	for _, bk := range buckets {
		n := max(1, int(math.Round(bk.n*scale)))
		for range n {
			if len(values) == maxEMFValues {
				break
			}
			values = append(values, bk.bound)
		}
	}
	return values, len(values) > 0
}

// unit is the CloudWatch unit of a metric, from its name's suffix.
func unit(name string) string {
	switch {
	case strings.HasSuffix(name, "_seconds"):
		return "Seconds"
	case strings.HasSuffix(name, "_total"):
		return "Count"
	}
	return "None"
}

// document is one EMF document: the fixed dimensions and the series'
// labels as dimensions, and its value.
func (e *EMF) document(ns string, ts int64, f *dto.MetricFamily, m *dto.Metric, value any) ([]byte, error) {
	doc := map[string]any{}
	var dims []string
	for k, v := range e.Dimensions {
		doc[k] = v
		dims = append(dims, k)
	}
	for _, l := range m.GetLabel() {
		doc[l.GetName()] = l.GetValue()
		dims = append(dims, l.GetName())
	}
	sort.Strings(dims)
	if dims == nil {
		dims = []string{}
	}
	name := f.GetName()
	doc[name] = value
	doc["_aws"] = map[string]any{
		"Timestamp": ts,
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  ns,
			"Dimensions": [][]string{dims},
			"Metrics":    []any{map[string]string{"Name": name, "Unit": unit(name)}},
		}},
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encoding metric %s: %w", name, err)
	}
	return out, nil
}

// EnvStack names the stack in the Lambda functions' environment (the
// value of awsstack.EnvStack, which this package does not import).
const EnvStack = "TANDA_STACK"

// NewEMF writes reg's metrics to out in the CloudWatch namespace Tanda,
// with the stack (from getenv) as a dimension of each.
func NewEMF(reg *Registry, getenv func(string) string, out io.Writer) *EMF {
	return &EMF{Gatherer: reg.Gatherer(), Namespace: "Tanda", Dimensions: map[string]string{"Stack": getenv(EnvStack)}, Out: out}
}
