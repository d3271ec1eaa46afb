package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/tanda-batch/tanda/batch"
)

// Error codes, as AWS names them in the X-Amzn-ErrorType header and __type.
const (
	codeClient       = "ClientException"
	codeServer       = "ServerException"
	codeThrottled    = "TooManyRequestsException"
	codeAccessDenied = "AccessDeniedException"
	codeClientClosed = "ClientClosedRequest"
)

// StatusClientClosedRequest is what a request whose client went away
// before its answer is logged and counted with: nginx's 499, "client
// closed request". No client reads it, and it is no server fault: the
// client's SDK retries a call it gave up on, or its caller chose to stop.
const StatusClientClosedRequest = 499

// apiError is an answer in AWS's error shape. cause, if set, is logged and
// never sent.
type apiError struct {
	status  int
	code    string
	message string
	cause   error
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// clientErrorf is a 400 ClientException.
func clientErrorf(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeClient, message: fmt.Sprintf(format, args...)}
}

// throttled is the 429 AWS answers when a caller goes too fast.
func throttled() *apiError {
	return &apiError{status: http.StatusTooManyRequests, code: codeThrottled, message: "Too Many Requests"}
}

// toAPIError maps an error from decoding, authentication or the backend to
// its answer. Only client-caused errors keep their message; anything else is
// an internal error named by the request id, so the detail never leaks.
func toAPIError(err error, requestID string) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var ce *batch.ClientError
	if errors.As(err, &ce) {
		return &apiError{status: http.StatusBadRequest, code: codeClient, message: ce.Message}
	}
	if errors.Is(err, batch.ErrThrottled) {
		return throttled()
	}
	if errors.Is(err, batch.ErrStoreFull) {
		// A server fault, not the caller's: 503, which SDKs retry. The
		// cause is logged, not sent.
		return &apiError{
			status:  http.StatusServiceUnavailable,
			code:    codeServer,
			message: fmt.Sprintf("Tanda's store is out of disk space: the request was not applied; retry once space is freed (request id %s)", requestID),
			cause:   err,
		}
	}
	return &apiError{
		status:  http.StatusInternalServerError,
		code:    codeServer,
		message: fmt.Sprintf("internal error (request id %s)", requestID),
		cause:   err,
	}
}

// clientClosed is the answer to a request that failed because its
// client went away (clientGone): cause is logged, at Info.
func clientClosed(cause error) *apiError {
	return &apiError{status: StatusClientClosedRequest, code: codeClientClosed, message: "client closed request", cause: cause}
}

// clientGone reports whether the client of r has gone away: net/http
// cancels a request's context when its client's connection closes (or,
// with HTTP/2, when the client resets the stream), and otherwise only once
// ServeHTTP returns. A deadline is not the client's doing (a Lambda
// function's, or one the server sets) and does not count; nor does a
// context.Canceled of the server's own making while the request's context
// is live.
func clientGone(r *http.Request) bool {
	return errors.Is(r.Context().Err(), context.Canceled)
}

// authError maps an authentication failure: one with an AuthCode is the
// client's (403); anything else is mapped like a backend error.
func authError(err error, requestID string) *apiError {
	var ac authCoder
	if errors.As(err, &ac) {
		return &apiError{status: http.StatusForbidden, code: ac.AuthCode(), message: ac.AuthMessage()}
	}
	return toAPIError(fmt.Errorf("authenticating request: %w", err), requestID)
}

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}
