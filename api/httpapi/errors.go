package httpapi

import (
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
)

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
