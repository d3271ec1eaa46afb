package provisionfn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// maxReceives bounds the receives one drain makes, so a flood of events
// does not starve the pass.
const maxReceives = 10

// Message is one received message of the interruption queue.
type Message struct {
	Receipt string
	Body    []byte
}

// Notices is the interruption queue.
type Notices interface {
	// Receive returns the messages waiting, at most ten, without waiting
	// for more; they are hidden from other receivers for a while.
	Receive(ctx context.Context) ([]Message, error)
	// Delete removes handled messages.
	Delete(ctx context.Context, receipts []string) error
}

// Locator finds the compute environments of instances.
type Locator interface {
	// Locate maps the ids of this stack's instances among ids to their
	// compute environments; other instances are left out.
	Locate(ctx context.Context, ids []string) (map[string]string, error)
}

// drainNotices handles the messages waiting in the interruption queue.
// A message is deleted once handled, or when it names nothing Tanda acts
// on; one whose handling failed comes back after its visibility timeout.
func (f *Function) drainNotices(ctx context.Context, log *slog.Logger) error {
	var errs []error
	for range maxReceives {
		msgs, err := f.deps.Notices.Receive(ctx)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		if len(msgs) == 0 {
			break
		}
		done, err := f.handleNotices(ctx, msgs, log)
		if err != nil {
			errs = append(errs, err)
		}
		if len(done) > 0 {
			if err := f.deps.Notices.Delete(ctx, done); err != nil {
				errs = append(errs, err)
			}
		}
		if len(done) < len(msgs) {
			break // the rest comes back later: do not receive it again now
		}
	}
	return errors.Join(errs...)
}

// handleNotices acts on a batch of messages and returns the receipts of
// those done with.
func (f *Function) handleNotices(ctx context.Context, msgs []Message, log *slog.Logger) ([]string, error) {
	type pending struct {
		receipt string
		notice  Notice
	}
	var (
		done, ids []string
		todo      []pending
	)
	for _, m := range msgs {
		n, err := ParseNotice(m.Body)
		switch {
		case err != nil:
			log.Warn("dropping an interruption-queue message that is not an EventBridge event", "err", err)
			done = append(done, m.Receipt)
		case n.Action == Ignore:
			done = append(done, m.Receipt)
		default:
			todo = append(todo, pending{m.Receipt, n})
			ids = append(ids, n.InstanceID)
		}
	}
	if len(ids) == 0 {
		return done, nil
	}
	ces, err := f.deps.Locator.Locate(ctx, ids)
	if err != nil {
		return done, fmt.Errorf("finding the compute environments of instances %v: %w", ids, err)
	}
	var errs []error
	for _, p := range todo {
		n := p.notice
		ce, ours := ces[n.InstanceID]
		if !ours {
			done = append(done, p.receipt) // another stack's, or no one's
			continue
		}
		if err := f.apply(ctx, ce, n); err != nil {
			errs = append(errs, err)
			continue
		}
		log.Info("instance notice", "instance", n.InstanceID, "computeEnvironment", ce, "event", n.DetailType, "action", n.Action)
		done = append(done, p.receipt)
	}
	return done, errors.Join(errs...)
}

// apply tells the control plane what a notice means.
func (f *Function) apply(ctx context.Context, ce string, n Notice) error {
	switch n.Action {
	case Drain:
		if err := f.deps.Instances.DrainInstance(ctx, ce, n.InstanceID); err != nil {
			return fmt.Errorf("draining instance %s: %w", n.InstanceID, err)
		}
	case Forget:
		if err := f.deps.Instances.ForgetInstance(ctx, ce, n.InstanceID); err != nil {
			return fmt.Errorf("forgetting instance %s: %w", n.InstanceID, err)
		}
	}
	return nil
}
