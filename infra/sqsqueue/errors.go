package sqsqueue

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
	"github.com/tanda-batch/tanda/batch"
)

// ErrNoQueue is wrapped by errors about a queue that does not exist.
var ErrNoQueue = errors.New("queue does not exist")

// Error codes SQS answers with, in the JSON protocol and in the older query
// protocol that some endpoints still report.
var (
	throttleCodes = codeSet("ThrottlingException", "RequestThrottled", "OverLimit",
		"AWS.SimpleQueueService.RequestThrottled")
	noQueueCodes = codeSet("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue")
	// staleCodes mean a receipt no longer names an in-flight message.
	staleCodes = codeSet("ReceiptHandleIsInvalid", "MessageNotInflight",
		"AWS.SimpleQueueService.MessageNotInflight")
)

func codeSet(codes ...string) map[string]bool {
	set := make(map[string]bool, len(codes))
	for _, c := range codes {
		set[c] = true
	}
	return set
}

// errorCode is the AWS error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// translate makes an SQS error wrap the sentinel callers act on
// (batch.ErrThrottled, ErrNoQueue) besides the error itself.
func translate(err error) error {
	code := errorCode(err)
	switch {
	case throttleCodes[code]:
		return fmt.Errorf("%w: %w", batch.ErrThrottled, err)
	case noQueueCodes[code]:
		return fmt.Errorf("%w: %w", ErrNoQueue, err)
	}
	return err
}

// isNoQueue reports whether err says the queue does not exist.
func isNoQueue(err error) bool { return noQueueCodes[errorCode(err)] }

// isStale reports whether err says a receipt is stale or expired. SQS
// answers ChangeMessageVisibility on a message no longer in flight with
// InvalidParameterValue about the ReceiptHandle parameter.
func isStale(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	if staleCodes[ae.ErrorCode()] {
		return true
	}
	return ae.ErrorCode() == "InvalidParameterValue" && strings.Contains(ae.ErrorMessage(), "ReceiptHandle")
}
