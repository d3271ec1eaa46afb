package lambdaurl

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
)

// Func is a Lambda handler of function URL events, for lambda.Start.
type Func func(ctx context.Context, ev events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error)

// Handler serves h behind a function URL. An event that does not make a
// request (a path with a bad escape, say) is answered 400, as net/http
// answers such a request.
func Handler(h http.Handler) Func {
	return func(ctx context.Context, ev events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
		r, err := Request(ctx, ev)
		if err != nil {
			return events.LambdaFunctionURLResponse{
				StatusCode: http.StatusBadRequest,
				Headers:    map[string]string{"Content-Type": "text/plain; charset=utf-8"},
				Body:       "400 Bad Request: " + err.Error(),
			}, nil
		}
		w := newResponseWriter()
		h.ServeHTTP(w, r)
		return w.response(), nil
	}
}
