package batchtest

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/tanda-batch/tanda/batch"
)

// Items is an in-memory item store, with the real stores' conditional
// writes, for unit tests of code that keeps records as items (access
// keys, leases). It is safe for concurrent use.
type Items struct {
	mu    sync.Mutex
	items map[string]batch.Item // by kind + "/" + key
	gets  int
	fail  error
}

// NewItems returns an empty store.
func NewItems() *Items { return &Items{items: map[string]batch.Item{}} }

// Fail makes every later call fail with err (nil: succeed again).
func (s *Items) Fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

// Gets is how many GetItem calls the store has had.
func (s *Items) Gets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets
}

// PutItem writes it if the stored version is expect (0: absent).
func (s *Items) PutItem(_ context.Context, it batch.Item, expect int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return 0, s.fail
	}
	id := it.Kind + "/" + it.Key
	if s.items[id].Version != expect {
		return 0, batch.ErrConflict
	}
	it.Version = expect + 1
	it.Doc = bytes.Clone(it.Doc)
	s.items[id] = it
	return it.Version, nil
}

// GetItem reads an item or returns batch.ErrNotFound.
func (s *Items) GetItem(_ context.Context, kind, key string) (batch.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	if s.fail != nil {
		return batch.Item{}, s.fail
	}
	it, ok := s.items[kind+"/"+key]
	if !ok {
		return batch.Item{}, batch.ErrNotFound
	}
	return it, nil
}

// ListItems lists a kind's items whose key starts with prefix, by key.
func (s *Items) ListItems(_ context.Context, kind, prefix string) ([]batch.Item, error) {
	return s.list(kind, func(key string) bool { return strings.HasPrefix(key, prefix) })
}

// ListItemRange lists a kind's items whose keys lie in [from, to), by key.
func (s *Items) ListItemRange(_ context.Context, kind, from, to string) ([]batch.Item, error) {
	return s.list(kind, func(key string) bool { return key >= from && key < to })
}

// list lists a kind's items whose keys pass keep, by key.
func (s *Items) list(kind string, keep func(key string) bool) ([]batch.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	var out []batch.Item
	for _, id := range slices.Sorted(maps.Keys(s.items)) {
		if it := s.items[id]; it.Kind == kind && keep(it.Key) {
			out = append(out, it)
		}
	}
	return out, nil
}
