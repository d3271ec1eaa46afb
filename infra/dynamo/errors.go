package dynamo

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/tanda-batch/tanda/batch"
)

// throttleCodes are the error codes of a request DynamoDB refused for its
// rate.
var throttleCodes = map[string]bool{
	"ProvisionedThroughputExceededException": true,
	"ThrottlingException":                    true,
	"RequestLimitExceeded":                   true,
}

// errorCode is the AWS error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// translate makes a DynamoDB error wrap the sentinel callers act on
// (batch.ErrConflict, batch.ErrThrottled) besides the error itself.
func translate(err error) error {
	switch {
	case isConditionFailed(err):
		return fmt.Errorf("%w: %w", batch.ErrConflict, err)
	case throttleCodes[errorCode(err)]:
		return fmt.Errorf("%w: %w", batch.ErrThrottled, err)
	}
	return err
}

// isConditionFailed reports whether a write lost its condition.
func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// isTableExists reports whether CreateTable found the table already there.
func isTableExists(err error) bool {
	var riu *types.ResourceInUseException
	return errors.As(err, &riu)
}
