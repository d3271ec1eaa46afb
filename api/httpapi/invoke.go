package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

// Call runs the AWS Batch operation named op (its AWS name, such as
// "CancelJob") with a JSON request body for a caller that accessKeyID
// identifies and that the front end calling it has authenticated itself:
// the web console, whose sessions stand for access keys. Everything else is
// what POST /v1/<op> does once the signature is verified: the body cap,
// the access key's rate limit, the same decoding and required members, the
// same Backend call with the request info, and one log line and metrics
// record. The output is the operation's (*batch.SubmitJobOutput, ...), or
// struct{}{} for operations that answer {}. An error is the API's answer:
// read it with Answer.
func (h *Handler) Call(ctx context.Context, accessKeyID, op string, body []byte) (any, error) {
	c := &call{requestID: h.requestID(), start: h.clock.Now(), accessKey: accessKeyID}
	out, err := h.callOperation(ctx, c, op, body)
	if err != nil {
		ae := toAPIError(err, c.requestID)
		h.logCall(ctx, c, ae)
		return nil, ae
	}
	h.logCall(ctx, c, nil)
	return out, nil
}

func (h *Handler) callOperation(ctx context.Context, c *call, op string, body []byte) (any, error) {
	o, ok := operations[strings.ToLower(op)]
	if !ok || o.name != op {
		return nil, clientErrorf("unknown operation %q", truncate(op, 100))
	}
	c.operation = o.name
	if int64(len(body)) > h.maxBody {
		return nil, clientErrorf("request body exceeds %d bytes", h.maxBody)
	}
	if h.limiter != nil && !h.limiter.allow(c.accessKey) {
		return nil, throttled()
	}
	ri := batch.RequestInfo{AccessKeyID: c.accessKey, RequestID: c.requestID}
	return o.serve(batch.WithRequestInfo(ctx, ri), h.backend, body)
}

// ErrorAnswer is the error answer the API gives: its HTTP status, its
// error type (ClientException, ...) and its message. A server fault's
// message names the request id only; its cause is logged, not in it.
type ErrorAnswer struct {
	Status  int
	Code    string
	Message string
}

// Answer is the API's answer to an error from Call (or from a Backend
// method; requestID then names the request in a server fault's message).
func Answer(err error, requestID string) ErrorAnswer {
	ae := toAPIError(err, requestID)
	return ErrorAnswer{Status: ae.status, Code: ae.code, Message: ae.message}
}

// IsClientFault reports whether a is the caller's fault (4xx).
func (a ErrorAnswer) IsClientFault() bool {
	return a.Status >= http.StatusBadRequest && a.Status < http.StatusInternalServerError
}
