package kmskeys_test

import (
	"context"
	"strings"
	"sync"

	"github.com/tanda-batch/tanda/batch"
)

// memStore is an accesskeys.Store in memory.
type memStore struct {
	mu    sync.Mutex
	items map[string]batch.Item
}

func newMemStore() *memStore { return &memStore{items: map[string]batch.Item{}} }

func (s *memStore) PutItem(_ context.Context, it batch.Item, expect int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := it.Kind + "/" + it.Key
	if s.items[id].Version != expect {
		return 0, batch.ErrConflict
	}
	it.Version = expect + 1
	s.items[id] = it
	return it.Version, nil
}

func (s *memStore) GetItem(_ context.Context, kind, key string) (batch.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[kind+"/"+key]
	if !ok {
		return batch.Item{}, batch.ErrNotFound
	}
	return it, nil
}

func (s *memStore) ListItems(_ context.Context, kind, prefix string) ([]batch.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []batch.Item
	for id, it := range s.items {
		if strings.HasPrefix(id, kind+"/"+prefix) {
			out = append(out, it)
		}
	}
	return out, nil
}
