package httpapi

import (
	"context"
	"net/http"
)

// whyPath is Tanda's endpoint that says why a job waits.
const whyPath = "/tanda/v1/why"

// Explainer says why a job waits (package explain); it serves GET
// /tanda/v1/why?jobId=. The answer is encoded as JSON.
type Explainer interface {
	Explain(ctx context.Context, jobID string) (any, error)
}

// whyEndpoint routes GET /tanda/v1/why?jobId=.
func (h *Handler) whyEndpoint(r *http.Request) (endpoint, error) {
	const name = "ExplainJob"
	if r.Method != http.MethodGet {
		return endpoint{}, wrongMethod(name, r.Method, http.MethodGet)
	}
	if h.explainer == nil {
		return endpoint{}, clientErrorf("this server does not explain jobs")
	}
	_, jobID, err := jobQuery(r)
	if err != nil {
		return endpoint{}, err
	}
	return endpoint{name: name, serve: func(ctx context.Context, _ []byte) (any, error) {
		return h.explainer.Explain(ctx, jobID)
	}}, nil
}
