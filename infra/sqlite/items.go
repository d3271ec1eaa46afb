package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tanda-batch/tanda/batch"
)

const (
	insertItemSQL = `INSERT INTO items (kind, key, doc, version, expires_at) VALUES (?1, ?2, ?3, 1, ?4)
		ON CONFLICT (kind, key) DO NOTHING`
	updateItemSQL = `UPDATE items SET doc = ?3, version = version + 1, expires_at = ?4
		WHERE kind = ?1 AND key = ?2 AND version = ?5`
	getItemSQL = `SELECT doc, version, expires_at FROM items WHERE kind = ? AND key = ?`
	// A prefix is a range of the primary key: [prefix, next prefix).
	listItemsSQL = `SELECT key, doc, version, expires_at FROM items
		WHERE kind = ?1 AND key >= ?2 AND key < ?3 ORDER BY key`
	listItemsFromSQL = `SELECT key, doc, version, expires_at FROM items
		WHERE kind = ?1 AND key >= ?2 ORDER BY key`
	deleteItemSQL        = `DELETE FROM items WHERE kind = ? AND key = ?`
	deleteItemVersionSQL = `DELETE FROM items WHERE kind = ? AND key = ? AND version = ?`
	nextSequenceSQL      = `INSERT INTO sequences (name, value) VALUES (?, 1)
		ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`
)

// PutItem writes it if its stored version is expectVersion (0: it must not
// exist) and returns the new version; otherwise it fails with
// batch.ErrConflict. it.Version is ignored.
func (db *DB) PutItem(ctx context.Context, it batch.Item, expectVersion int64) (int64, error) {
	if it.Kind == "" || it.Key == "" {
		return 0, fmt.Errorf("putting item: kind and key are required")
	}
	doc := it.Doc
	if doc == nil {
		doc = []byte{} // the column is NOT NULL
	}
	err := db.write.do(ctx, func(t *wtx) error {
		var n int64
		var err error
		if expectVersion == 0 {
			n, err = affected(t.exec(insertItemSQL, it.Kind, it.Key, doc, it.ExpiresAt))
		} else {
			n, err = affected(t.exec(updateItemSQL, it.Kind, it.Key, doc, it.ExpiresAt, expectVersion))
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return batch.ErrConflict
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("putting item %s/%s: %w", it.Kind, it.Key, err)
	}
	return expectVersion + 1, nil
}

// GetItem reads an item or returns batch.ErrNotFound.
func (db *DB) GetItem(ctx context.Context, kind, key string) (batch.Item, error) {
	it := batch.Item{Kind: kind, Key: key}
	err := db.read.queryRow(ctx, getItemSQL, kind, key).Scan(&it.Doc, &it.Version, &it.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return batch.Item{}, fmt.Errorf("getting item %s/%s: %w", kind, key, batch.ErrNotFound)
	}
	if err != nil {
		return batch.Item{}, fmt.Errorf("getting item %s/%s: %w", kind, key, err)
	}
	return it, nil
}

// ListItems lists the items of a kind whose key starts with prefix, by key.
func (db *DB) ListItems(ctx context.Context, kind, prefix string) ([]batch.Item, error) {
	var rows *sql.Rows
	var err error
	if end, ok := prefixEnd(prefix); ok {
		rows, err = db.read.query(ctx, listItemsSQL, kind, prefix, end)
	} else {
		rows, err = db.read.query(ctx, listItemsFromSQL, kind, prefix)
	}
	if err != nil {
		return nil, fmt.Errorf("listing items %s/%s*: %w", kind, prefix, err)
	}
	items, err := scanItems(rows, kind)
	if err != nil {
		return nil, fmt.Errorf("listing items %s/%s*: %w", kind, prefix, err)
	}
	return items, nil
}

// scanItems reads the items of a kind rows hold (key, doc, version,
// expires_at) and closes rows.
func scanItems(rows *sql.Rows, kind string) ([]batch.Item, error) {
	defer rows.Close()
	var items []batch.Item
	for rows.Next() {
		it := batch.Item{Kind: kind}
		if err := rows.Scan(&it.Key, &it.Doc, &it.Version, &it.ExpiresAt); err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

// ListItemRange lists the items of a kind whose keys lie in [from, to),
// by key.
func (db *DB) ListItemRange(ctx context.Context, kind, from, to string) ([]batch.Item, error) {
	rows, err := db.read.query(ctx, listItemsSQL, kind, from, to)
	if err != nil {
		return nil, fmt.Errorf("listing items %s/[%s, %s): %w", kind, from, to, err)
	}
	items, err := scanItems(rows, kind)
	if err != nil {
		return nil, fmt.Errorf("listing items %s/[%s, %s): %w", kind, from, to, err)
	}
	return items, nil
}

// prefixEnd is the least string greater than every string that starts
// with prefix (keys compare bytewise); ok is false when there is none (the
// prefix is empty or all 0xff bytes).
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// DeleteItem deletes an item if its version is expectVersion, failing with
// batch.ErrConflict if it is missing or has another version. With
// expectVersion 0 it deletes whatever is there, and succeeds if nothing is.
func (db *DB) DeleteItem(ctx context.Context, kind, key string, expectVersion int64) error {
	err := db.write.do(ctx, func(t *wtx) error {
		if expectVersion == 0 {
			_, err := t.exec(deleteItemSQL, kind, key)
			return err
		}
		n, err := affected(t.exec(deleteItemVersionSQL, kind, key, expectVersion))
		if err != nil {
			return err
		}
		if n == 0 {
			return batch.ErrConflict
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("deleting item %s/%s: %w", kind, key, err)
	}
	return nil
}

// NextSequence atomically increments and returns a named counter; the
// first value is 1.
func (db *DB) NextSequence(ctx context.Context, name string) (int64, error) {
	var v int64
	err := db.write.do(ctx, func(t *wtx) error {
		return t.queryRow(nextSequenceSQL, name).Scan(&v)
	})
	if err != nil {
		return 0, fmt.Errorf("next value of sequence %s: %w", name, err)
	}
	return v, nil
}
