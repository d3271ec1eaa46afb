package capacity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/provisioner"
)

// Store is where the Recorder writes samples (control.Store's items:
// infra/sqlite, infra/dynamo).
type Store interface {
	PutItem(ctx context.Context, it batch.Item, expectVersion int64) (int64, error)
	GetItem(ctx context.Context, kind, key string) (batch.Item, error)
}

// maxUnwritten bounds the samples the Recorder keeps while the store
// refuses them: two hours of one compute environment, or a few minutes of
// many. The oldest go first.
const maxUnwritten = 120

// closeTimeout bounds Run's last write, made after its context is done.
const closeTimeout = 5 * time.Second

// RecorderOptions tune a Recorder; zero values take the defaults.
type RecorderOptions struct {
	Clock     batch.Clock   // default batch.SystemClock
	Retention time.Duration // how long samples are kept; default DefaultRetention
	Logger    *slog.Logger  // default slog.Default()
}

// Recorder aggregates the provisioner's passes (it is a
// provisioner.Metrics) into one Sample per compute environment and minute,
// and writes each minute once it has ended (Flush), or when the recorder
// stops (Close). It never writes a minute twice. The minute it started
// observing in may have been written by the process before it, which
// writes its last minute when it stops (the provisioner function hands
// over to its next invocation so): that minute is read first, and written
// only if it is not stored. So a compute environment costs at most one
// write a minute (and a read at a handover), and a minute of a handover
// shows what its first observer saw of it.
//
// Pass and Reconciled are quick and never block on the store; Flush and
// Close write. It is safe for concurrent use.
type Recorder struct {
	store Store
	opts  RecorderOptions

	mu        sync.Mutex
	since     time.Time          // the minute of the first pass since the start or Close; zero before it
	open      map[string]*Sample // per compute environment, the minute being aggregated
	unwritten []entry            // ended minutes, oldest first
}

// entry is a sample to write.
type entry struct {
	ce string
	s  Sample
	// first marks the minute the recorder started observing in, which
	// another process may have written.
	first bool
}

var _ provisioner.Metrics = (*Recorder)(nil)

// NewRecorder makes a Recorder writing to store.
func NewRecorder(store Store, o RecorderOptions) *Recorder {
	if o.Clock == nil {
		o.Clock = batch.SystemClock{}
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Recorder{store: store, opts: o, open: map[string]*Sample{}}
}

// Pass adds one compute environment's pass to the sample of the minute
// the clock reads.
func (r *Recorder) Pass(p provisioner.PassReport) {
	ce := p.ComputeEnvironment
	if !validName(ce) {
		return
	}
	minute := r.opts.Clock.Now().UTC().Truncate(Resolution)
	provisioned, used := p.VCPUs()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.since.IsZero() {
		r.since = minute
	}
	s := r.open[ce]
	if s != nil && minute.After(s.At) {
		r.end(ce, s)
		s = nil
	}
	if s == nil {
		s = &Sample{At: minute}
		r.open[ce] = s
	}
	s.DemandvCpus = max(s.DemandvCpus, p.DemandvCpus)
	s.DemandJobs = max(s.DemandJobs, p.DemandJobs)
	s.ProvisionedvCpus = max(s.ProvisionedvCpus, provisioned)
	s.UsedvCpus = max(s.UsedvCpus, used)
	s.DesiredvCpus, s.MinvCpus, s.MaxvCpus = p.DesiredvCpus, p.MinvCpus, p.MaxvCpus
}

// Reconciled does nothing: a compute environment's minute is written once
// it ends, whether or not the provisioner still provisions it.
func (r *Recorder) Reconciled([]string, time.Duration, error) {}

// end queues a minute to be written. The caller holds r.mu.
func (r *Recorder) end(ce string, s *Sample) {
	r.unwritten = append(r.unwritten, entry{ce: ce, s: *s, first: s.At.Equal(r.since)})
	if n := len(r.unwritten) - maxUnwritten; n > 0 {
		r.opts.Logger.Warn("capacity history: dropping unwritten samples", "samples", n)
		r.unwritten = r.unwritten[n:]
	}
}

// Flush writes the minutes that have ended. A write that fails is tried
// again by the next Flush (the samples are kept, up to a bound); a minute
// already stored is left as it is.
func (r *Recorder) Flush(ctx context.Context) error {
	return r.write(ctx, false)
}

// Close writes every minute, the current one too, and starts afresh: the
// next pass is treated as a new process's first. The provisioner function
// closes its recorder before it hands the provisioner's lease over.
func (r *Recorder) Close(ctx context.Context) error {
	return r.write(ctx, true)
}

// write writes the ended minutes, and with all the open ones too.
func (r *Recorder) write(ctx context.Context, all bool) error {
	now := r.opts.Clock.Now()
	r.mu.Lock()
	for ce, s := range r.open {
		if all || !now.Before(s.At.Add(Resolution)) {
			r.end(ce, s)
			delete(r.open, ce)
		}
	}
	if all {
		r.since = time.Time{}
	}
	todo := r.unwritten
	r.unwritten = nil
	r.mu.Unlock()

	var errs []error
	var failed []entry
	for i, e := range todo {
		if ctx.Err() != nil {
			failed = append(failed, todo[i:]...)
			errs = append(errs, ctx.Err())
			break
		}
		if err := r.put(ctx, e); err != nil {
			failed = append(failed, e)
			errs = append(errs, err)
		}
	}
	if len(failed) > 0 {
		r.mu.Lock()
		r.unwritten = append(failed, r.unwritten...)
		r.mu.Unlock()
	}
	return errors.Join(errs...)
}

// put writes one sample unless that minute is stored already, or has
// expired.
func (r *Recorder) put(ctx context.Context, e entry) error {
	it, err := item(e.ce, e.s, r.opts.Retention)
	if err != nil {
		return err
	}
	if it.ExpiresAt <= batch.Millis(r.opts.Clock.Now()) {
		return nil
	}
	if e.first {
		_, err := r.store.GetItem(ctx, it.Kind, it.Key)
		if err == nil {
			return nil // the process before this one wrote it
		}
		if !errors.Is(err, batch.ErrNotFound) {
			return fmt.Errorf("reading capacity sample of %s at %s: %w", e.ce, e.s.At.Format(time.RFC3339), err)
		}
	}
	_, err = r.store.PutItem(ctx, it, 0)
	if err != nil && !errors.Is(err, batch.ErrConflict) {
		return fmt.Errorf("writing capacity sample of %s at %s: %w", e.ce, e.s.At.Format(time.RFC3339), err)
	}
	return nil
}

// Run flushes every interval until ctx is done, logging what fails, then
// closes (within a few seconds, past ctx's end). It is the loop of the
// servers, tanda up and tanda serve, beside the provisioner's.
func (r *Recorder) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
			defer cancel()
			if err := r.Close(closeCtx); err != nil {
				r.opts.Logger.Warn("capacity history: writing the last samples", "err", err)
			}
			return
		case <-t.C:
		}
		if err := r.Flush(ctx); err != nil && ctx.Err() == nil {
			r.opts.Logger.Warn("capacity history: writing samples", "err", err)
		}
	}
}
