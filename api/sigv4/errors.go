package sigv4

import (
	"errors"
	"fmt"
	"net/http"
)

// Error codes of an AuthError, as AWS's JSON services name them.
const (
	CodeMissingToken        = "MissingAuthenticationTokenException"
	CodeIncompleteSignature = "IncompleteSignatureException"
	CodeInvalidSignature    = "InvalidSignatureException"
	CodeUnrecognizedClient  = "UnrecognizedClientException"
)

// ErrUnknownKey is wrapped by a SecretSource's error when an access key does
// not exist or has been revoked.
var ErrUnknownKey = errors.New("unknown access key")

// AuthError is a request that failed authentication. The API answers it with
// HTTP 403, X-Amzn-ErrorType Code and {"__type": Code, "message": Message}.
type AuthError struct {
	Code    string
	Message string
}

func (e *AuthError) Error() string { return e.Code + ": " + e.Message }

// HTTPStatus is the status code to answer with: always 403 Forbidden.
func (e *AuthError) HTTPStatus() int { return http.StatusForbidden }

func missingToken(format string, args ...any) error {
	return &AuthError{Code: CodeMissingToken, Message: fmt.Sprintf(format, args...)}
}

func incomplete(format string, args ...any) error {
	return &AuthError{Code: CodeIncompleteSignature, Message: fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) error {
	return &AuthError{Code: CodeInvalidSignature, Message: fmt.Sprintf(format, args...)}
}

// unrecognized is the one answer for unknown and revoked keys alike.
func unrecognized() error {
	return &AuthError{
		Code:    CodeUnrecognizedClient,
		Message: "The security token included in the request is invalid.",
	}
}

// AuthCode is the error type the API answers with (X-Amzn-ErrorType).
func (e *AuthError) AuthCode() string { return e.Code }

// AuthMessage is the message the API answers with.
func (e *AuthError) AuthMessage() string { return e.Message }
