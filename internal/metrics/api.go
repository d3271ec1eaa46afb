package metrics

import (
	"strconv"
	"time"
)

// API is the API handler's hook (httpapi.Options.Metrics): requests by
// operation and status code, and their latency.
func (r *Registry) API() APIMetrics { return APIMetrics{r} }

// APIMetrics counts and times API requests.
type APIMetrics struct{ r *Registry }

// Request counts one answered request.
func (m APIMetrics) Request(operation string, status int, took time.Duration) {
	m.r.apiRequests.WithLabelValues(operation, strconv.Itoa(status)).Inc()
	m.r.apiDuration.WithLabelValues(operation).Observe(took.Seconds())
}
