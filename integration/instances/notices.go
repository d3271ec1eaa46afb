//go:build unix

package instances

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// Interrupt gives the instance a Spot interruption notice, as EC2 does two
// minutes ahead: its IMDS serves {"action":"terminate","time":T} at
// spot/instance-action, with T = now+in rounded up to a whole second, and
// at T the harness terminates the instance in EC2 (TerminateInstances);
// its agent is then killed like any other whose instance stops running.
func (h *Harness) Interrupt(instanceID string, in time.Duration) error {
	at := h.clock.Now().Add(in)
	if frac := at.Sub(at.Truncate(time.Second)); frac > 0 {
		at = at.Add(time.Second - frac)
	}
	inst, err := h.live(instanceID)
	if err != nil {
		return fmt.Errorf("interrupting %s: %w", instanceID, err)
	}
	h.mu.Lock()
	inst.interruptAt = at
	h.mu.Unlock()
	inst.imds.SetSpotInterruption("terminate", at)
	h.logf("instance harness: Spot interruption notice for %s, terminating at %s", instanceID, at.Format(time.RFC3339))
	return nil
}

// Rebalance gives the instance a rebalance recommendation, noticed now,
// at events/recommendations/rebalance. Nothing else happens to it.
func (h *Harness) Rebalance(instanceID string) error {
	inst, err := h.live(instanceID)
	if err != nil {
		return fmt.Errorf("recommending a rebalance of %s: %w", instanceID, err)
	}
	inst.imds.SetRebalance(h.clock.Now())
	return nil
}

// live is the instance with that id, if the harness plays it now.
func (h *Harness) live(id string) (*instance, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	in, ok := h.instances[id]
	switch {
	case !ok:
		return nil, fmt.Errorf("no running instance %s in stack %s", id, h.opts.Stack)
	case in.gone:
		return nil, fmt.Errorf("instance %s is no longer running", id)
	}
	return in, nil
}

// terminateDue terminates, in EC2, the interrupted instances whose notice
// time has come. A failed call is logged and retried next poll.
func (h *Harness) terminateDue(ctx context.Context) {
	now := h.clock.Now()
	h.mu.Lock()
	var due []string
	for id, in := range h.instances {
		if !in.gone && !in.terminateSent && !in.interruptAt.IsZero() && !now.Before(in.interruptAt) {
			due = append(due, id)
		}
	}
	h.mu.Unlock()
	if len(due) == 0 {
		return
	}
	if _, err := h.opts.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: due}); err != nil {
		h.logf("instance harness: terminating interrupted instances %v: %v (retrying)", due, err)
		return
	}
	h.logf("instance harness: terminated interrupted instances %v", due)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range due {
		h.instances[id].terminateSent = true
	}
}
