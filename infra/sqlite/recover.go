package sqlite

import (
	"context"
	"fmt"
)

// releaseInFlightSQL makes every received message visible again.
const releaseInFlightSQL = `UPDATE messages SET visible_at = min(visible_at, ?), receipt = '', redeliver = 0 WHERE receipt != ''`

// ReleaseInFlight makes every message that was received but not yet deleted
// visible again at once, and returns how many there were. It is for a
// process that starts over a database whose consumers all died with the
// previous process: their messages need not wait out their visibility
// timeouts. Receipts issued before are invalid afterwards.
func (db *DB) ReleaseInFlight(ctx context.Context) (int, error) {
	var n int64
	err := db.write.do(ctx, func(t *wtx) error {
		res, err := t.exec(releaseInFlightSQL, db.nowMillis())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("releasing in-flight messages: %w", err)
	}
	return int(n), nil
}
