package cwlogs

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/infra/mototest"
)

// The Store's calls are those of the SDK's client.
var _ logsAPI = (*cloudwatchlogs.Client)(nil)

// groupSeq keeps the groups of tests apart on the shared moto server.
var groupSeq atomic.Int64

// motoStore is a Store on the moto server `make test` starts
// (scripts/moto.sh), in a log group of its own that exists unless opts say
// to create it.
func motoStore(t *testing.T, opts Options) *Store {
	t.Helper()
	endpoint := mototest.Endpoint(t)
	client := cloudwatchlogs.New(cloudwatchlogs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  mototest.Credentials(),
	})
	opts.Group = fmt.Sprintf("/tanda-test/%d-%d/%s", time.Now().UnixNano(), groupSeq.Add(1),
		strings.NewReplacer(" ", "_", ",", "_", "=", "_").Replace(t.Name()))
	s := New(client, opts)
	if !opts.CreateGroup {
		if err := s.EnsureGroup(t.Context()); err != nil {
			t.Fatalf("EnsureGroup: %v", err)
		}
	}
	return s
}

// countingAPI counts the PutLogEvents calls of the real client.
type countingAPI struct {
	logsAPI
	puts atomic.Int32
}

func (c *countingAPI) PutLogEvents(ctx context.Context, in *cloudwatchlogs.PutLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error) {
	c.puts.Add(1)
	return c.logsAPI.PutLogEvents(ctx, in, opts...)
}

// now is a timestamp CloudWatch accepts: within the last 14 days.
func now() int64 { return time.Now().UnixMilli() }

// readAll reads stream from the head with pages of limit events until the
// token stops changing, and returns the events and the last token.
func readAll(t *testing.T, s *Store, stream string, limit int) ([]batch.LogEvent, string) {
	t.Helper()
	var all []batch.LogEvent
	token := ""
	for range 10000 {
		events, next, err := s.Read(t.Context(), stream, token, limit)
		if err != nil {
			t.Fatalf("Read(%q, %q, %d): %v", stream, token, limit, err)
		}
		if most := cmp.Or(limit, MaxReadLimit); len(events) > most {
			t.Fatalf("Read returned %d events, over the limit %d", len(events), most)
		}
		all = append(all, events...)
		if next == token {
			return all, token
		}
		token = next
	}
	t.Fatal("Read never reached the end of the stream")
	return nil, ""
}

func sameEvents(t *testing.T, got, want []batch.LogEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("read %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
