package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// callError is an operation that failed, with the request id it ran under.
type callError struct {
	op        string
	requestID string
	err       error
}

func (e *callError) Error() string { return e.op + ": " + e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

// invoke runs an AWS Batch operation as the session's access key, through
// the API (Options.API: its decoding, Backend, rate limit and request log).
// in is the request body (marshalled to JSON unless it is already []byte).
func (c *Console) invoke(ctx context.Context, s *session, op string, in any) (any, error) {
	body, ok := in.([]byte)
	if !ok {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, fmt.Errorf("encoding %s request: %w", op, err)
		}
	}
	out, err := c.o.API.Call(ctx, s.keyID, op, body)
	if err != nil {
		// The API's answer already: it names its own request id.
		return nil, &callError{op: op, err: err}
	}
	return out, nil
}

// call runs op and returns its output as Out.
func call[Out any](ctx context.Context, c *Console, s *session, op string, in any) (*Out, error) {
	out, err := c.invoke(ctx, s, op, in)
	if err != nil {
		return nil, err
	}
	o, ok := out.(*Out)
	if !ok {
		return nil, fmt.Errorf("%s answered %T, want *%T", op, out, *new(Out))
	}
	return o, nil
}

// writeJSON answers the page script.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
