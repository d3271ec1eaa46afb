package provisionfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// LeaseKey is the key of the provisioner's lease, an item of kind
// batch.KindLease in the items table.
const LeaseKey = "provisioner"

// leaseAttempts bounds the conditional writes one acquire or release
// makes when others write the lease meanwhile.
const leaseAttempts = 3

// LeaseStore keeps the lease: the items table (control.Store).
type LeaseStore interface {
	// GetItem reads an item or returns batch.ErrNotFound.
	GetItem(ctx context.Context, kind, key string) (batch.Item, error)
	// PutItem writes an item if its stored version equals expectVersion
	// (0: absent), or fails with batch.ErrConflict.
	PutItem(ctx context.Context, it batch.Item, expectVersion int64) (int64, error)
}

// leaseDoc is the stored lease.
type leaseDoc struct {
	Holder string `json:"holder"`
	Until  int64  `json:"until"` // epoch ms; the lease is free from then
}

// lease is the provisioner's lease as read from the store.
type lease struct {
	doc     leaseDoc
	version int64 // 0: absent
}

// heldByOther reports whether a holder other than holder has the lease
// at now.
func (l lease) heldByOther(holder string, now time.Time) bool {
	return l.version != 0 && l.doc.Holder != holder && batch.Millis(now) < l.doc.Until
}

// readLease reads the lease; an absent one is free.
func readLease(ctx context.Context, store LeaseStore) (lease, error) {
	it, err := store.GetItem(ctx, batch.KindLease, LeaseKey)
	if errors.Is(err, batch.ErrNotFound) {
		return lease{}, nil
	}
	if err != nil {
		return lease{}, fmt.Errorf("reading the provisioner's lease: %w", err)
	}
	var doc leaseDoc
	if err := json.Unmarshal(it.Doc, &doc); err != nil {
		return lease{}, fmt.Errorf("decoding the provisioner's lease: %w", err)
	}
	return lease{doc: doc, version: it.Version}, nil
}

// writeLease writes doc over l, if l is still what is stored.
func writeLease(ctx context.Context, store LeaseStore, l lease, doc leaseDoc) error {
	raw, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encoding the provisioner's lease: %w", err)
	}
	_, err = store.PutItem(ctx, batch.Item{Kind: batch.KindLease, Key: LeaseKey, Doc: raw}, l.version)
	return err
}

// acquireLease takes the lease for holder until until, unless another
// holder has it at now: then it returns the time that lease ends, and
// false.
func acquireLease(ctx context.Context, store LeaseStore, holder string, now, until time.Time) (bool, time.Time, error) {
	for range leaseAttempts {
		l, err := readLease(ctx, store)
		if err != nil {
			return false, time.Time{}, err
		}
		if l.heldByOther(holder, now) {
			return false, time.UnixMilli(l.doc.Until), nil
		}
		err = writeLease(ctx, store, l, leaseDoc{Holder: holder, Until: batch.Millis(until)})
		if errors.Is(err, batch.ErrConflict) {
			continue // another invocation wrote it meanwhile: look again
		}
		if err != nil {
			return false, time.Time{}, fmt.Errorf("taking the provisioner's lease: %w", err)
		}
		return true, time.Time{}, nil
	}
	return false, time.Time{}, fmt.Errorf("taking the provisioner's lease: %w", batch.ErrConflict)
}

// releaseLease ends holder's lease at now, so the next invocation need
// not wait for it. A lease another holder took meanwhile is left alone.
func releaseLease(ctx context.Context, store LeaseStore, holder string, now time.Time) error {
	for range leaseAttempts {
		l, err := readLease(ctx, store)
		if err != nil {
			return err
		}
		if l.version == 0 || l.doc.Holder != holder {
			return nil
		}
		err = writeLease(ctx, store, l, leaseDoc{Holder: holder, Until: batch.Millis(now)})
		if errors.Is(err, batch.ErrConflict) {
			continue
		}
		if err != nil {
			return fmt.Errorf("releasing the provisioner's lease: %w", err)
		}
		return nil
	}
	return fmt.Errorf("releasing the provisioner's lease: %w", batch.ErrConflict)
}
