package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tanda-batch/tanda/batch"
)

// LogReader reads a job's log, one page at a time. It serves Tanda's own
// GET /tanda/v1/logs until a CloudWatch Logs adapter exists. attempt 0 means
// the latest attempt; limit 0 means the reader's default page size.
type LogReader interface {
	ReadJobLog(ctx context.Context, jobID string, attempt int, nextToken string, limit int) (LogPage, error)
}

// LogPage is one page of a job's log. NextToken is empty on the last page.
type LogPage struct {
	LogStreamName string           `json:"logStreamName"`
	Events        []batch.LogEvent `json:"events"`
	NextToken     string           `json:"nextToken,omitempty"`
}

// jobQuery reads the query of a GET to one of Tanda's job endpoints, and
// its required jobId.
func jobQuery(r *http.Request) (url.Values, string, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, "", clientErrorf("invalid query string: %v", err)
	}
	jobID := q.Get("jobId")
	if jobID == "" {
		return nil, "", clientErrorf("missing required parameter jobId")
	}
	return q, jobID, nil
}

// logsEndpoint routes GET /tanda/v1/logs?jobId=&attempt=&nextToken=&limit=.
func (h *Handler) logsEndpoint(r *http.Request) (endpoint, error) {
	const name = "GetJobLog"
	if r.Method != http.MethodGet {
		return endpoint{}, wrongMethod(name, r.Method, http.MethodGet)
	}
	if h.logs == nil {
		return endpoint{}, clientErrorf("this server does not serve job logs")
	}
	q, jobID, err := jobQuery(r)
	if err != nil {
		return endpoint{}, err
	}
	attempt, err := nonNegative(q, "attempt")
	if err != nil {
		return endpoint{}, err
	}
	limit, err := nonNegative(q, "limit")
	if err != nil {
		return endpoint{}, err
	}
	nextToken := q.Get("nextToken")
	return endpoint{name: name, serve: func(ctx context.Context, _ []byte) (any, error) {
		page, err := h.logs.ReadJobLog(ctx, jobID, attempt, nextToken, limit)
		if err != nil {
			return nil, err
		}
		if page.Events == nil {
			page.Events = []batch.LogEvent{}
		}
		return page, nil
	}}, nil
}

// nonNegative reads an optional non-negative integer query parameter.
func nonNegative(q url.Values, name string) (int, error) {
	s := q.Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, clientErrorf("parameter %s must be a non-negative integer, got %q", name, truncate(s, 20))
	}
	return n, nil
}
