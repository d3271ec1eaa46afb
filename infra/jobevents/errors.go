package jobevents

import (
	"fmt"
	"strings"
)

// Failure is a job whose event was not published, and why.
type Failure struct {
	JobID string
	// Code is EventBridge's error code, if it gave one.
	Code string
	Err  error
}

// PublishError reports the jobs of a Publish call whose events were not
// published; the others were. It wraps each failure's error, so
// errors.Is(err, batch.ErrThrottled) tells whether throttling was the cause
// of any of them.
type PublishError struct {
	Total  int // events Publish tried to send
	Failed []Failure
}

func (e *PublishError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "publishing job events: %d of %d failed:", len(e.Failed), e.Total)
	for i, f := range e.Failed {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " job %s: %v", f.JobID, f.Err)
	}
	return b.String()
}

// Unwrap returns the failures' errors.
func (e *PublishError) Unwrap() []error {
	errs := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		errs[i] = f.Err
	}
	return errs
}
