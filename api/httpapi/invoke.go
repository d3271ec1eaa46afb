package httpapi

import (
	"context"
	"net/http"
	"strings"
)

// Invoke runs the AWS Batch operation named op (its AWS name, such as
// "CancelJob") on b with a JSON request body, exactly as POST /v1/<op>
// serves it once authenticated: the same decoding, the same required
// members, the same Backend call. Other front ends (the web console) use it
// so that they refuse what the API refuses, with the same message. ctx
// should carry the caller's batch.RequestInfo. The output is the
// operation's (*batch.SubmitJobOutput, ...), or struct{}{} for operations
// that answer {}. Turn an error into the API's answer with Answer.
func Invoke(ctx context.Context, b Backend, op string, body []byte) (any, error) {
	o, ok := operations[strings.ToLower(op)]
	if !ok || o.name != op {
		return nil, clientErrorf("unknown operation %q", truncate(op, 100))
	}
	return o.serve(ctx, b, body)
}

// ErrorAnswer is the error answer the API gives: its HTTP status, its
// error type (ClientException, ...) and its message. A server fault's
// message names the request id only; its cause is not in it.
type ErrorAnswer struct {
	Status  int
	Code    string
	Message string
}

// Answer maps an error from Invoke to the API's answer for it; requestID
// names the request in a server fault's message.
func Answer(err error, requestID string) ErrorAnswer {
	ae := toAPIError(err, requestID)
	return ErrorAnswer{Status: ae.status, Code: ae.code, Message: ae.message}
}

// IsClientFault reports whether a is the caller's fault (4xx).
func (a ErrorAnswer) IsClientFault() bool {
	return a.Status >= http.StatusBadRequest && a.Status < http.StatusInternalServerError
}

// Cause is the detail of a server fault, for the log; nil for a client
// fault.
func Cause(err error, requestID string) error {
	return toAPIError(err, requestID).cause
}
