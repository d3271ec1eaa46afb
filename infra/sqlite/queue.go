package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

const (
	// upsertMessageSQL keeps one message per (queue, id); see the package
	// documentation for the rule.
	upsertMessageSQL = `INSERT INTO messages (queue, id, body, visible_at, receive_count, receipt, redeliver, seq)
		VALUES (?1, ?2, ?3, ?4, 0, '', 0, ?5)
		ON CONFLICT (queue, id) DO UPDATE SET
			body = excluded.body,
			visible_at = CASE WHEN receipt = '' THEN min(visible_at, excluded.visible_at) ELSE visible_at END,
			redeliver = receipt != ''`
	// The limit is cast so that SQLite does not plan for the value bound,
	// which would make it prepare the statement again whenever the limit
	// changes.
	visibleMessagesSQL = `SELECT id, body, receive_count FROM messages
		WHERE queue = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT CAST(? AS INTEGER)`
	receiveMessageSQL = `UPDATE messages SET visible_at = ?, receive_count = receive_count + 1, receipt = ?, redeliver = 0
		WHERE queue = ? AND id = ?`
	nextVisibleSQL   = `SELECT min(visible_at) FROM messages WHERE queue = ?`
	deleteMessageSQL = `DELETE FROM messages WHERE queue = ? AND id = ? AND receipt = ? AND redeliver = 0`
	rearmMessageSQL  = `UPDATE messages SET visible_at = ?, receive_count = 0, receipt = '', redeliver = 0
		WHERE queue = ? AND id = ? AND receipt = ? AND redeliver = 1`
	hideMessageSQL = `UPDATE messages SET visible_at = ? WHERE queue = ? AND id = ? AND receipt = ?`
	deleteQueueSQL = `DELETE FROM messages WHERE queue = ?`
)

// Send enqueues messages; a message whose (queue, id) is already queued is
// updated in place rather than duplicated.
func (db *DB) Send(ctx context.Context, msgs []batch.Message) error {
	if err := validMessages(msgs); err != nil {
		return fmt.Errorf("sending messages: %w", err)
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := db.write.do(ctx, func(t *wtx) error { return db.sendIn(t, msgs) }); err != nil {
		return fmt.Errorf("sending messages: %w", err)
	}
	return nil
}

// sendIn enqueues messages in the writer's transaction.
func (db *DB) sendIn(t *wtx, msgs []batch.Message) error {
	now := db.nowMillis()
	for _, m := range msgs {
		if _, err := t.exec(upsertMessageSQL, m.Queue, m.ID, m.Body, now, db.sendSeq.Add(1)); err != nil {
			return fmt.Errorf("queueing %s on %s: %w", m.ID, m.Queue, err)
		}
		t.wakeQueue(m.Queue)
	}
	return nil
}

// validMessages checks that every message names its queue and id.
func validMessages(msgs []batch.Message) error {
	for _, m := range msgs {
		if m.Queue == "" || m.ID == "" {
			return fmt.Errorf("message %+v: queue and id are required", m)
		}
	}
	return nil
}

// Receive returns up to limit (at least 1) visible messages of a queue, the
// longest visible first, and hides them for visibility. If none is visible
// it waits up to wait for one, returning no messages and no error when the
// wait ends empty-handed.
func (db *DB) Receive(ctx context.Context, queue string, limit int, visibility, wait time.Duration) ([]batch.Delivery, error) {
	limit = max(limit, 1)
	var deadline <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		deadline = t.C
	}
	for {
		sent, stop := db.notify.watch(queue)
		ds, next, err := db.receiveOnce(ctx, queue, limit, visibility)
		if err != nil || len(ds) > 0 || wait <= 0 {
			stop()
			return ds, err
		}
		err = db.await(ctx, sent, deadline, next)
		stop()
		if err != nil {
			if errors.Is(err, errWaitOver) {
				return nil, nil
			}
			return nil, fmt.Errorf("receiving from %s: %w", queue, err)
		}
	}
}

// errWaitOver ends a long poll that found nothing.
var errWaitOver = errors.New("wait over")

// await blocks until a Send to the queue, until the earliest hidden message
// may be visible (after next, if positive), or until the deadline, the
// context or Close.
func (db *DB) await(ctx context.Context, sent <-chan struct{}, deadline <-chan time.Time, next time.Duration) error {
	var visible <-chan time.Time
	if next > 0 {
		t := time.NewTimer(next)
		defer t.Stop()
		visible = t.C
	}
	select {
	case <-sent:
		return nil
	case <-visible:
		return nil
	case <-deadline:
		return errWaitOver
	case <-ctx.Done():
		return ctx.Err()
	case <-db.done:
		return ErrClosed
	}
}

// receiveOnce receives what is visible now; when nothing is, it returns how
// long until the earliest hidden message becomes visible (0 if none is).
func (db *DB) receiveOnce(ctx context.Context, queue string, limit int, visibility time.Duration) ([]batch.Delivery, time.Duration, error) {
	// A Send wakes every long poll of its queue, and all but the first find
	// the queue empty again: look on a read connection first, so that they
	// do not queue up for the writer.
	if next, visible, err := db.peek(ctx, queue); err != nil || !visible {
		return nil, next, err
	}
	var (
		ds   []batch.Delivery
		next time.Duration
	)
	err := db.write.do(ctx, func(t *wtx) error {
		ds, next = nil, 0
		now := db.nowMillis()
		rows, err := t.query(visibleMessagesSQL, queue, now, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			d := batch.Delivery{Message: batch.Message{Queue: queue}}
			if err := rows.Scan(&d.ID, &d.Body, &d.ReceiveCount); err != nil {
				rows.Close()
				return err
			}
			ds = append(ds, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		hideUntil := now + visibility.Milliseconds()
		for i := range ds {
			ds[i].ReceiveCount++
			ds[i].Receipt = db.receipts.next(ds[i].ID)
			if _, err := t.exec(receiveMessageSQL, hideUntil, ds[i].Receipt, queue, ds[i].ID); err != nil {
				return err
			}
		}
		if len(ds) > 0 {
			return nil
		}
		var earliest sql.NullInt64
		if err := t.queryRow(nextVisibleSQL, queue).Scan(&earliest); err != nil {
			return err
		}
		if earliest.Valid {
			next = time.Duration(earliest.Int64-now) * time.Millisecond
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("receiving from %s: %w", queue, err)
	}
	return ds, next, nil
}

// peek reports whether a message of the queue is visible now and, if none
// is, how long until the earliest hidden one becomes visible (0 if none is).
func (db *DB) peek(ctx context.Context, queue string) (time.Duration, bool, error) {
	var earliest sql.NullInt64
	if err := db.read.queryRow(ctx, nextVisibleSQL, queue).Scan(&earliest); err != nil {
		select {
		case <-db.done:
			err = ErrClosed
		default:
		}
		return 0, false, fmt.Errorf("receiving from %s: %w", queue, err)
	}
	if !earliest.Valid {
		return 0, false, nil
	}
	if wait := earliest.Int64 - db.nowMillis(); wait > 0 {
		return time.Duration(wait) * time.Millisecond, false, nil
	}
	return 0, true, nil
}

// Delete deletes a received message. With a receipt that is no longer
// current it does nothing. A message sent again while received is re-armed
// instead of deleted.
func (db *DB) Delete(ctx context.Context, queue, receipt string) error {
	id, err := receiptID(receipt)
	if err != nil {
		return fmt.Errorf("deleting from %s: %w", queue, err)
	}
	err = db.write.do(ctx, func(t *wtx) error { return db.deleteIn(t, queue, id, receipt) })
	if err != nil {
		return fmt.Errorf("deleting %s from %s: %w", id, queue, err)
	}
	return nil
}

// deleteIn deletes a received message in the writer's transaction, or
// re-arms it if it was sent again while in flight.
func (db *DB) deleteIn(t *wtx, queue, id, receipt string) error {
	n, err := affected(t.exec(deleteMessageSQL, queue, id, receipt))
	if err != nil || n > 0 {
		return err
	}
	n, err = affected(t.exec(rearmMessageSQL, db.nowMillis(), queue, id, receipt))
	if n > 0 {
		t.wakeQueue(queue)
	}
	return err
}

// ChangeVisibility hides a received message for visibility from now, or,
// with 0, makes it visible at once. With a receipt that is no longer current
// it does nothing.
func (db *DB) ChangeVisibility(ctx context.Context, queue, receipt string, visibility time.Duration) error {
	id, err := receiptID(receipt)
	if err != nil {
		return fmt.Errorf("changing visibility on %s: %w", queue, err)
	}
	err = db.write.do(ctx, func(t *wtx) error {
		n, err := affected(t.exec(hideMessageSQL, db.nowMillis()+visibility.Milliseconds(), queue, id, receipt))
		if n > 0 && visibility <= 0 {
			t.wakeQueue(queue)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("changing visibility of %s on %s: %w", id, queue, err)
	}
	return nil
}

// DeleteQueue removes a queue's messages (queues have no other state).
func (db *DB) DeleteQueue(ctx context.Context, queue string) error {
	err := db.write.do(ctx, func(t *wtx) error {
		_, err := t.exec(deleteQueueSQL, queue)
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting queue %s: %w", queue, err)
	}
	return nil
}

// nowMillis is the clock's time in epoch milliseconds.
func (db *DB) nowMillis() int64 { return batch.Millis(db.clock.Now()) }
