package cwlogs

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/smithy-go"
)

// logsAPI is the part of the CloudWatch Logs API the Store calls;
// *cloudwatchlogs.Client satisfies it.
type logsAPI interface {
	CreateLogGroup(ctx context.Context, in *cloudwatchlogs.CreateLogGroupInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	CreateLogStream(ctx context.Context, in *cloudwatchlogs.CreateLogStreamInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogStreamOutput, error)
	PutLogEvents(ctx context.Context, in *cloudwatchlogs.PutLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error)
	GetLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

// Error codes of CloudWatch Logs that the Store acts on.
const (
	codeAlreadyExists      = "ResourceAlreadyExistsException"
	codeNotFound           = "ResourceNotFoundException"
	codeInvalidParameter   = "InvalidParameterException"
	codeThrottling         = "ThrottlingException"
	codeServiceUnavailable = "ServiceUnavailableException"
)

// hasCode reports whether err is an API error with one of codes.
func hasCode(err error, codes ...string) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, c := range codes {
		if apiErr.ErrorCode() == c {
			return true
		}
	}
	return false
}

// describeAPIError is an API error as "<code>: <message>", the way the
// awslogs driver reports CloudWatch's answers, or err's text for any other
// error.
func describeAPIError(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	return err.Error()
}
