package dynamo_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

func TestPutItemVersions(t *testing.T) {
	ctx := context.Background()
	s, _, _, _ := newStore(t)
	it := batch.Item{Kind: batch.KindJobQueue, Key: "q", Doc: []byte(`{"a":1}`), ExpiresAt: 1_700_000_000_123}

	steps := []struct {
		name        string
		doc         string
		expect      int64
		wantVersion int64
		wantErr     error
	}{
		{"create", `{"a":1}`, 0, 1, nil},
		{"create again", `{"a":2}`, 0, 0, batch.ErrConflict},
		{"update stale", `{"a":3}`, 2, 0, batch.ErrConflict},
		{"update", `{"a":4}`, 1, 2, nil},
		{"update again at old version", `{"a":5}`, 1, 0, batch.ErrConflict},
	}
	for _, st := range steps {
		it.Doc = []byte(st.doc)
		v, err := s.PutItem(ctx, it, st.expect)
		if !errors.Is(err, st.wantErr) || (st.wantErr == nil && err != nil) {
			t.Fatalf("%s: PutItem(expect %d) error = %v, want %v", st.name, st.expect, err, st.wantErr)
		}
		if v != st.wantVersion {
			t.Errorf("%s: PutItem version = %d, want %d", st.name, v, st.wantVersion)
		}
	}
	got, err := s.GetItem(ctx, batch.KindJobQueue, "q")
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	want := batch.Item{Kind: batch.KindJobQueue, Key: "q", Doc: []byte(`{"a":4}`), Version: 2, ExpiresAt: 1_700_000_000_123}
	if string(got.Doc) != string(want.Doc) || got.Kind != want.Kind || got.Key != want.Key ||
		got.Version != want.Version || got.ExpiresAt != want.ExpiresAt {
		t.Errorf("GetItem = %+v, want %+v", got, want)
	}
}

func TestGetItemMissing(t *testing.T) {
	s, _, _, _ := newStore(t)
	if _, err := s.GetItem(context.Background(), batch.KindJobQueue, "nope"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("GetItem(missing) error = %v, want ErrNotFound", err)
	}
}

func TestDeleteItem(t *testing.T) {
	tests := []struct {
		name     string
		create   bool
		expect   int64
		wantErr  error
		wantGone bool
	}{
		{name: "unconditional", create: true, expect: 0, wantGone: true},
		{name: "unconditional missing", create: false, expect: 0, wantGone: true},
		{name: "right version", create: true, expect: 1, wantGone: true},
		{name: "wrong version", create: true, expect: 2, wantErr: batch.ErrConflict},
		{name: "missing with version", create: false, expect: 1, wantErr: batch.ErrConflict, wantGone: true},
	}
	s, _, _, _ := newStore(t)
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.name
			if tt.create {
				if _, err := s.PutItem(ctx, batch.Item{Kind: batch.KindInstance, Key: key, Doc: []byte("x")}, 0); err != nil {
					t.Fatalf("PutItem: %v", err)
				}
			}
			err := s.DeleteItem(ctx, batch.KindInstance, key, tt.expect)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("DeleteItem(expect %d) error = %v, want %v", tt.expect, err, tt.wantErr)
			}
			_, err = s.GetItem(ctx, batch.KindInstance, key)
			if gone := errors.Is(err, batch.ErrNotFound); gone != tt.wantGone {
				t.Errorf("after DeleteItem, GetItem error = %v, want gone=%v", err, tt.wantGone)
			}
		})
	}
}

func TestListItems(t *testing.T) {
	ctx := context.Background()
	s, _, _, _ := newStore(t)
	// Written out of order; listings come back by key.
	for _, it := range []batch.Item{
		{Kind: batch.KindJobDefinition, Key: "b#2"},
		{Kind: batch.KindJobDefinition, Key: "a#10"},
		{Kind: batch.KindJobDefinition, Key: "b#1"},
		{Kind: batch.KindJobDefinition, Key: "a#2"},
		{Kind: batch.KindJobDefinition, Key: "ab#1"},
		{Kind: batch.KindJobQueue, Key: "a#1"},
	} {
		it.Doc = []byte(it.Key)
		if _, err := s.PutItem(ctx, it, 0); err != nil {
			t.Fatalf("PutItem(%s/%s): %v", it.Kind, it.Key, err)
		}
	}
	tests := []struct {
		kind, prefix string
		want         []string
	}{
		{batch.KindJobDefinition, "", []string{"a#10", "a#2", "ab#1", "b#1", "b#2"}},
		{batch.KindJobDefinition, "a#", []string{"a#10", "a#2"}},
		{batch.KindJobDefinition, "b", []string{"b#1", "b#2"}},
		{batch.KindJobDefinition, "c", nil},
		{batch.KindJobQueue, "", []string{"a#1"}},
		{batch.KindComputeEnvironment, "", nil},
	}
	for _, tt := range tests {
		items, err := s.ListItems(ctx, tt.kind, tt.prefix)
		if err != nil {
			t.Fatalf("ListItems(%s, %q): %v", tt.kind, tt.prefix, err)
		}
		var got []string
		for _, it := range items {
			if it.Kind != tt.kind || string(it.Doc) != it.Key || it.Version != 1 {
				t.Errorf("ListItems(%s, %q) item = %+v, want kind %s, doc = key, version 1", tt.kind, tt.prefix, it, tt.kind)
			}
			got = append(got, it.Key)
		}
		if !equalStrings(got, tt.want) {
			t.Errorf("ListItems(%s, %q) keys = %v, want %v", tt.kind, tt.prefix, got, tt.want)
		}
	}
}

func TestListItemRange(t *testing.T) {
	ctx := context.Background()
	s, _, _, _ := newStore(t)
	for _, it := range []batch.Item{
		{Kind: batch.KindCapacity, Key: "a#3"}, {Kind: batch.KindCapacity, Key: "a#1"},
		{Kind: batch.KindCapacity, Key: "a#2"}, {Kind: batch.KindCapacity, Key: "a-b#2"},
		{Kind: batch.KindCapacity, Key: "b#2"}, {Kind: batch.KindComputeEnvironment, Key: "a#2"},
	} {
		it.Doc = []byte(it.Key)
		if _, err := s.PutItem(ctx, it, 0); err != nil {
			t.Fatalf("PutItem(%s/%s): %v", it.Kind, it.Key, err)
		}
	}
	tests := []struct {
		kind, from, to string
		want           []string
	}{
		{batch.KindCapacity, "a#2", "a#3", []string{"a#2"}},
		{batch.KindCapacity, "a#", "a#9", []string{"a#1", "a#2", "a#3"}},
		{batch.KindCapacity, "a#0", "a#1", nil},
		{batch.KindCapacity, "a#3", "a#2", nil},
		{batch.KindCapacity, "a#2", "a#2", nil},
		{batch.KindCapacity, "a", "b#3", []string{"a#1", "a#2", "a#3", "a-b#2", "b#2"}},
		{batch.KindComputeEnvironment, "a#", "a#9", []string{"a#2"}},
	}
	for _, tt := range tests {
		items, err := s.ListItemRange(ctx, tt.kind, tt.from, tt.to)
		if err != nil {
			t.Fatalf("ListItemRange(%s, %q, %q): %v", tt.kind, tt.from, tt.to, err)
		}
		var got []string
		for _, it := range items {
			if it.Kind != tt.kind || string(it.Doc) != it.Key || it.Version != 1 {
				t.Errorf("ListItemRange(%s, ...) item = %+v, want kind %s, doc = key, version 1", tt.kind, it, tt.kind)
			}
			got = append(got, it.Key)
		}
		if !equalStrings(got, tt.want) {
			t.Errorf("ListItemRange(%s, %q, %q) keys = %v, want %v", tt.kind, tt.from, tt.to, got, tt.want)
		}
	}
}

func TestNextSequence(t *testing.T) {
	ctx := context.Background()
	s, _, _, _ := newStore(t)
	steps := []struct {
		name string
		want int64
	}{{"jd:a", 1}, {"jd:a", 2}, {"jd:b", 1}, {"jd:a", 3}}
	for _, st := range steps {
		got, err := s.NextSequence(ctx, st.name)
		if err != nil {
			t.Fatalf("NextSequence(%s): %v", st.name, err)
		}
		if got != st.want {
			t.Errorf("NextSequence(%s) = %d, want %d", st.name, got, st.want)
		}
	}
}

// equalStrings compares two lists, nil and empty being equal.
func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
