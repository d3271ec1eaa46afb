package batch

import (
	"errors"
	"fmt"
)

// ClientError is a caller's mistake: the API answers it with 400
// ClientException and the message, and nothing is written.
type ClientError struct {
	Message string
}

func (e *ClientError) Error() string { return e.Message }

// Clientf makes a ClientError.
func Clientf(format string, args ...any) error {
	return &ClientError{Message: fmt.Sprintf(format, args...)}
}

// IsClientError reports whether err is (or wraps) a ClientError.
func IsClientError(err error) bool {
	var ce *ClientError
	return errors.As(err, &ce)
}

// ErrNotFound is returned by stores when an item does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned by stores when a conditional write loses: the item
// changed (its version moved on) or already exists.
var ErrConflict = errors.New("conditional write failed")

// ErrThrottled is returned when a backend asks the caller to slow down.
var ErrThrottled = errors.New("throttled")

// ErrStoreFull is returned when the store cannot write because its disk
// (or its quota) is full. What failed was not written; the API answers
// 503, and the caller may retry once space is freed.
var ErrStoreFull = errors.New("store is out of space")
