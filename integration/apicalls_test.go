//go:build unix

package integration

import (
	"context"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// apiCalls counts the AWS requests SDK clients send, by service and
// operation ("EC2.CreateFleet"). Install it with register in an
// aws.Config's APIOptions. Each attempt counts, retries included: it is
// what the service sees (and bills). Safe for concurrent use.
type apiCalls struct {
	mu sync.Mutex
	n  map[string]int
}

// register adds the counting step to an operation's middleware stack,
// at the end of the finalize step: after the retry loop, so once per
// attempt.
func (c *apiCalls) register(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("TandaCountCalls",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			c.add(awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx))
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

func (c *apiCalls) add(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[op]++
}

// count is how many requests of op ("EC2.CreateFleet") were sent.
func (c *apiCalls) count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}
