package httpapi

import (
	"context"
	"net/http"
	"strings"
)

// Paths outside the POST /v1/<operation> family.
const (
	pingPath   = "/ping"
	tagsPrefix = "/v1/tags/"
	opsPrefix  = "/v1/"
	logsPath   = "/tanda/v1/logs"
	// triggersPath is Tanda's trigger rules endpoint (triggers.go).
	triggersPath = "/tanda/v1/triggers"
)

// endpoint is a routed request: the AWS name of its operation and how to
// serve it once authenticated.
type endpoint struct {
	name  string
	serve func(ctx context.Context, body []byte) (any, error)
}

// route finds the endpoint of an authenticated request. It routes on the
// escaped path, so a percent-encoded "/" inside a tag ARN stays inside its
// segment. Every failure is a 400 ClientException.
func (h *Handler) route(r *http.Request) (endpoint, error) {
	path := r.URL.EscapedPath()
	switch {
	case path == logsPath:
		return h.logsEndpoint(r)
	case path == whyPath:
		return h.whyEndpoint(r)
	case path == capacityPath:
		return h.capacityEndpoint(r)
	case path == triggersPath || strings.HasPrefix(path, triggersPath+"/"):
		return h.triggersEndpoint(r, strings.TrimPrefix(path, triggersPath))
	case strings.HasPrefix(path, tagsPrefix):
		return h.tagsEndpoint(r, strings.TrimPrefix(path, tagsPrefix))
	case strings.HasPrefix(path, opsPrefix):
		name := strings.TrimPrefix(path, opsPrefix)
		if op, ok := operations[name]; ok {
			if r.Method != http.MethodPost {
				return endpoint{}, wrongMethod(op.name, r.Method, http.MethodPost)
			}
			return endpoint{name: op.name, serve: func(ctx context.Context, body []byte) (any, error) {
				return op.serve(ctx, h.backend, body)
			}}, nil
		}
		if awsName, ok := unimplemented[name]; ok {
			return endpoint{}, clientErrorf("Tanda does not implement the AWS Batch operation %s", awsName)
		}
	}
	return endpoint{}, clientErrorf("unknown operation %q", truncate(r.Method+" "+path, 200))
}

// wrongMethod is the error for a known path called with another method.
func wrongMethod(op, got string, want ...string) error {
	return clientErrorf("%s must be called with %s, not %q", op, strings.Join(want, " or "), truncate(got, 20))
}

// truncate shortens s to at most n bytes, so a hostile path cannot bloat an
// error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
