package jobevents

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/smithy-go"
)

// eventsAPI is the part of the EventBridge API the Publisher calls;
// *eventbridge.Client satisfies it.
type eventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Error codes of EventBridge that the Publisher retries, for a whole
// request or for one entry.
const (
	codeThrottling      = "ThrottlingException"
	codeInternalFailure = "InternalFailure"
)

// retryable reports whether an error code is worth another try.
func retryable(code string) bool {
	return code == codeThrottling || code == codeInternalFailure
}

// errorCode is the API error code of err, or "" if err is not an API error.
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}
