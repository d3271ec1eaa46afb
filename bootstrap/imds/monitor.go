package imds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// Event kinds.
const (
	KindSpotInterruption = "spot-interruption"
	KindRebalance        = "rebalance-recommendation"
)

// Event is one notice IMDS gave, in the same shape whatever its kind.
type Event struct {
	Kind string // KindSpotInterruption or KindRebalance
	// Time is the notice's time: when a Spot interruption takes effect, or
	// when a rebalance was recommended.
	Time time.Time
	// Action is the Spot interruption's action ("terminate", "stop",
	// "hibernate"); empty for a rebalance.
	Action string
	// ID is a stable hash of Kind and Time: the same notice has the same ID
	// across polls and restarts.
	ID string
	// Seen is when the monitor first saw the notice.
	Seen time.Time
}

// MonitorOptions tunes a Monitor.
type MonitorOptions struct {
	Every  time.Duration // polling period (5s, as AWS advises)
	Clock  batch.Clock   // stamps Event.Seen
	Logger *slog.Logger  // failed polls are logged here
}

// Monitor polls IMDS for Spot interruption notices and rebalance
// recommendations.
type Monitor struct {
	c    *Client
	opts MonitorOptions
}

// NewMonitor returns a monitor polling through c.
func NewMonitor(c *Client, opts MonitorOptions) *Monitor {
	if opts.Every <= 0 {
		opts.Every = 5 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = batch.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Monitor{c: c, opts: opts}
}

// Run polls at once and then every period until ctx is done, calling on
// once for each distinct notice, from Run's goroutine. A notice that stays
// in IMDS is reported once; a failed poll is logged and retried on the next
// tick.
func (m *Monitor) Run(ctx context.Context, on func(Event)) {
	seen := make(map[string]bool)
	report := func(e Event) {
		if seen[e.ID] {
			return
		}
		seen[e.ID] = true
		e.Seen = m.opts.Clock.Now()
		on(e)
	}
	t := time.NewTicker(m.opts.Every)
	defer t.Stop()
	for {
		m.poll(ctx, report)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// poll reads both notices once.
func (m *Monitor) poll(ctx context.Context, report func(Event)) {
	spot, err := m.c.SpotInterruption(ctx)
	if err != nil && ctx.Err() == nil {
		m.opts.Logger.Warn("polling IMDS", "err", err)
	}
	if spot != nil {
		report(newEvent(KindSpotInterruption, spot.Time, spot.Action))
	}
	rebalance, err := m.c.RebalanceRecommendation(ctx)
	if err != nil && ctx.Err() == nil {
		m.opts.Logger.Warn("polling IMDS", "err", err)
	}
	if rebalance != nil {
		report(newEvent(KindRebalance, rebalance.NoticeTime, ""))
	}
}

func newEvent(kind string, at time.Time, action string) Event {
	sum := sha256.Sum256([]byte(kind + "|" + at.UTC().Format(time.RFC3339Nano)))
	return Event{Kind: kind, Time: at, Action: action, ID: hex.EncodeToString(sum[:16])}
}
