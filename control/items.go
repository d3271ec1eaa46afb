package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tanda-batch/tanda/batch"
)

// getDoc reads an item and decodes it into a T, returning its version.
func getDoc[T any](ctx context.Context, st Store, kind, key string) (T, int64, error) {
	var v T
	it, err := st.GetItem(ctx, kind, key)
	if err != nil {
		return v, 0, err
	}
	if err := json.Unmarshal(it.Doc, &v); err != nil {
		return v, 0, fmt.Errorf("decoding %s %s: %w", kind, key, err)
	}
	return v, it.Version, nil
}

// listDocs reads every item of a kind under a key prefix.
func listDocs[T any](ctx context.Context, st Store, kind, prefix string) ([]T, []int64, error) {
	items, err := st.ListItems(ctx, kind, prefix)
	if err != nil {
		return nil, nil, fmt.Errorf("listing %s: %w", kind, err)
	}
	out := make([]T, 0, len(items))
	versions := make([]int64, 0, len(items))
	for _, it := range items {
		var v T
		if err := json.Unmarshal(it.Doc, &v); err != nil {
			return nil, nil, fmt.Errorf("decoding %s %s: %w", kind, it.Key, err)
		}
		out = append(out, v)
		versions = append(versions, it.Version)
	}
	return out, versions, nil
}

// putDoc encodes v and writes it conditionally.
func putDoc(ctx context.Context, st Store, kind, key string, v any, expect int64) (int64, error) {
	doc, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("encoding %s %s: %w", kind, key, err)
	}
	return st.PutItem(ctx, batch.Item{Kind: kind, Key: key, Doc: doc}, expect)
}

// updateDoc reads, changes and writes an item, retrying lost races. fn
// returns errNoChange to skip the write.
func updateDoc[T any](ctx context.Context, st Store, kind, key string, fn func(*T) error) (T, error) {
	for range maxConflictRetries {
		v, ver, err := getDoc[T](ctx, st, kind, key)
		if err != nil {
			return v, err
		}
		if err := fn(&v); err != nil {
			if errors.Is(err, errNoChange) {
				return v, nil
			}
			return v, err
		}
		if _, err := putDoc(ctx, st, kind, key, v, ver); err != nil {
			if errors.Is(err, batch.ErrConflict) {
				continue
			}
			return v, fmt.Errorf("writing %s %s: %w", kind, key, err)
		}
		return v, nil
	}
	var zero T
	return zero, fmt.Errorf("writing %s %s: %w", kind, key, batch.ErrConflict)
}
