package batch

import "context"

// RequestInfo describes the API call being served: who signed it and the
// SDK's invocation id, which is the same across one call's retries.
type RequestInfo struct {
	AccessKeyID  string
	InvocationID string
	RequestID    string
	// BodySHA256 is the hash of the request body as received, set when
	// there is an invocation id: a retry sends the same body.
	BodySHA256 string
}

type requestInfoKey struct{}

// WithRequestInfo returns a context carrying ri.
func WithRequestInfo(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, ri)
}

// RequestInfoFrom returns the RequestInfo of ctx, if any.
func RequestInfoFrom(ctx context.Context) (RequestInfo, bool) {
	ri, ok := ctx.Value(requestInfoKey{}).(RequestInfo)
	return ri, ok
}
