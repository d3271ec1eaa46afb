package capacity

import (
	"context"
	"fmt"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// ItemReader reads samples back: the items of a kind whose keys lie in
// [from, to), by key (infra/sqlite, infra/dynamo).
type ItemReader interface {
	ListItemRange(ctx context.Context, kind, from, to string) ([]batch.Item, error)
}

// ComputeEnvironments finds a compute environment by name or ARN, or
// fails with a batch.ClientError (*control.Service).
type ComputeEnvironments interface {
	ComputeEnvironment(ctx context.Context, ref string) (batch.ComputeEnvironment, error)
}

// MaxHours is the longest window Series serves: the default retention.
const MaxHours = int(DefaultRetention / time.Hour)

// History reads the samples the Recorder wrote.
type History struct {
	items ItemReader
	envs  ComputeEnvironments
	clock batch.Clock
}

// NewHistory reads samples from items; envs tells which compute
// environments exist, clock what time it is (nil: the system clock).
func NewHistory(items ItemReader, envs ComputeEnvironments, clock batch.Clock) *History {
	if clock == nil {
		clock = batch.SystemClock{}
	}
	return &History{items: items, envs: envs, clock: clock}
}

// Samples are ce's samples whose minutes start in [from, to), oldest
// first. Minutes without a pass (the provisioner was not running) have
// none.
func (h *History) Samples(ctx context.Context, ce string, from, to time.Time) ([]Sample, error) {
	if !validName(ce) || !from.Before(to) {
		return nil, nil
	}
	items, err := h.items.ListItemRange(ctx, batch.KindCapacity, itemKey(ce, from), itemKey(ce, to))
	if err != nil {
		return nil, fmt.Errorf("reading the capacity history of %s: %w", ce, err)
	}
	out := make([]Sample, 0, len(items))
	for _, it := range items {
		s, err := fromItem(it)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Series is the answer of GET /tanda/v1/capacity: a compute environment's
// samples over a window.
type Series struct {
	ComputeEnvironment string `json:"computeEnvironment"`
	// From and To bound the window (epoch ms); samples start in [From, To).
	From int64 `json:"from"`
	To   int64 `json:"to"`
	// ResolutionSeconds is the time each sample covers.
	ResolutionSeconds int      `json:"resolutionSeconds"`
	Samples           []Sample `json:"samples"`
}

// Series reads the last hours of the compute environment ref (a name or
// an ARN). An unknown compute environment, or hours outside 1 to MaxHours,
// is a batch.ClientError.
func (h *History) Series(ctx context.Context, ref string, hours int) (Series, error) {
	if hours < 1 || hours > MaxHours {
		return Series{}, batch.Clientf("hours must be between 1 and %d (samples are kept %d hours), got %d", MaxHours, MaxHours, hours)
	}
	ce, err := h.envs.ComputeEnvironment(ctx, ref)
	if err != nil {
		return Series{}, err
	}
	to := h.clock.Now().UTC().Truncate(Resolution).Add(Resolution)
	from := to.Add(-time.Duration(hours) * time.Hour)
	samples, err := h.Samples(ctx, ce.ComputeEnvironmentName, from, to)
	if err != nil {
		return Series{}, err
	}
	return Series{
		ComputeEnvironment: ce.ComputeEnvironmentName,
		From:               batch.Millis(from), To: batch.Millis(to),
		ResolutionSeconds: int(Resolution / time.Second),
		Samples:           samples,
	}, nil
}
