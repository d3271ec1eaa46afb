package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// capacityPath is Tanda's endpoint that serves a compute environment's
// capacity history.
const capacityPath = "/tanda/v1/capacity"

// DefaultCapacityHours is the window GET /tanda/v1/capacity serves when
// the request names none.
const DefaultCapacityHours = 3

// CapacityHistory serves GET
// /tanda/v1/capacity?computeEnvironment=&hours=: a compute environment's
// demand and vCPUs over its last hours (package capacity). It checks the
// compute environment and the range of hours, failing with a
// batch.ClientError. The answer is encoded as JSON.
type CapacityHistory interface {
	CapacitySeries(ctx context.Context, computeEnvironment string, hours int) (any, error)
}

// capacityEndpoint routes GET /tanda/v1/capacity.
func (h *Handler) capacityEndpoint(r *http.Request) (endpoint, error) {
	const name = "GetCapacityHistory"
	if r.Method != http.MethodGet {
		return endpoint{}, wrongMethod(name, r.Method, http.MethodGet)
	}
	if h.capacity == nil {
		return endpoint{}, clientErrorf("this server does not keep a capacity history")
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return endpoint{}, clientErrorf("invalid query string: %v", err)
	}
	ce := q.Get("computeEnvironment")
	if ce == "" {
		return endpoint{}, clientErrorf("missing required parameter computeEnvironment")
	}
	hours := DefaultCapacityHours
	if s := q.Get("hours"); s != "" {
		if hours, err = strconv.Atoi(s); err != nil || hours < 1 {
			return endpoint{}, clientErrorf("parameter hours must be a positive integer, got %q", truncate(s, 20))
		}
	}
	return endpoint{name: name, serve: func(ctx context.Context, _ []byte) (any, error) {
		return h.capacity.CapacitySeries(ctx, ce, hours)
	}}, nil
}
