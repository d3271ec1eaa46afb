package sqlite_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

func TestPutItemIsConditional(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	steps := []struct {
		name        string
		key         string
		doc         string
		expect      int64
		wantVersion int64
		wantErr     error
	}{
		{"create absent", "a", "one", 0, 1, nil},
		{"create existing", "a", "x", 0, 0, batch.ErrConflict},
		{"update at stored version", "a", "two", 1, 2, nil},
		{"update at stale version", "a", "x", 1, 0, batch.ErrConflict},
		{"update missing", "b", "x", 3, 0, batch.ErrConflict},
	}
	for _, s := range steps {
		got, err := db.PutItem(ctx, batch.Item{Kind: "k", Key: s.key, Doc: []byte(s.doc)}, s.expect)
		if !errors.Is(err, s.wantErr) || got != s.wantVersion {
			t.Fatalf("%s: PutItem = %d, %v; want %d, %v", s.name, got, err, s.wantVersion, s.wantErr)
		}
	}
	it, err := db.GetItem(ctx, "k", "a")
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if string(it.Doc) != "two" || it.Version != 2 {
		t.Errorf("GetItem = %q v%d; want %q v2", it.Doc, it.Version, "two")
	}
	if _, err := db.GetItem(ctx, "k", "b"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("GetItem(missing) error = %v; want ErrNotFound", err)
	}
}

func TestListItemsByPrefix(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	for _, it := range []batch.Item{
		{Kind: "jd", Key: "b:1"}, {Kind: "jd", Key: "a:2"}, {Kind: "jd", Key: "a:10"},
		{Kind: "jd", Key: "ab"}, {Kind: "jd", Key: "é:1"}, {Kind: "ce", Key: "a:1"},
	} {
		if _, err := db.PutItem(ctx, it, 0); err != nil {
			t.Fatalf("PutItem: %v", err)
		}
	}
	tests := []struct {
		kind, prefix string
		want         []string
	}{
		{"jd", "a:", []string{"a:10", "a:2"}},
		{"jd", "a", []string{"a:10", "a:2", "ab"}},
		{"jd", "", []string{"a:10", "a:2", "ab", "b:1", "é:1"}},
		{"jd", "é", []string{"é:1"}},
		{"jd", "c", nil},
		{"ce", "a", []string{"a:1"}},
	}
	for _, tt := range tests {
		items, err := db.ListItems(ctx, tt.kind, tt.prefix)
		if err != nil {
			t.Fatalf("ListItems(%q, %q): %v", tt.kind, tt.prefix, err)
		}
		var got []string
		for _, it := range items {
			if it.Kind != tt.kind || it.Version != 1 {
				t.Errorf("ListItems(%q, %q) item %+v; want kind %q version 1", tt.kind, tt.prefix, it, tt.kind)
			}
			got = append(got, it.Key)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ListItems(%q, %q) = %q; want %q", tt.kind, tt.prefix, got, tt.want)
		}
	}
}

func TestListItemRange(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	for _, it := range []batch.Item{
		{Kind: "capacity", Key: "a#1"}, {Kind: "capacity", Key: "a#2"}, {Kind: "capacity", Key: "a#3"},
		{Kind: "capacity", Key: "a-b#2"}, {Kind: "capacity", Key: "b#2"}, {Kind: "ce", Key: "a#2"},
	} {
		if _, err := db.PutItem(ctx, it, 0); err != nil {
			t.Fatalf("PutItem: %v", err)
		}
	}
	tests := []struct {
		kind, from, to string
		want           []string
	}{
		{"capacity", "a#2", "a#3", []string{"a#2"}},
		{"capacity", "a#", "a#9", []string{"a#1", "a#2", "a#3"}},
		{"capacity", "a#0", "a#1", nil},
		{"capacity", "a#3", "a#2", nil},
		{"capacity", "a", "b#3", []string{"a#1", "a#2", "a#3", "a-b#2", "b#2"}},
		{"ce", "a#", "a#9", []string{"a#2"}},
	}
	for _, tt := range tests {
		items, err := db.ListItemRange(ctx, tt.kind, tt.from, tt.to)
		if err != nil {
			t.Fatalf("ListItemRange(%q, %q, %q): %v", tt.kind, tt.from, tt.to, err)
		}
		var got []string
		for _, it := range items {
			if it.Kind != tt.kind {
				t.Errorf("ListItemRange(%q, ...) item of kind %q", tt.kind, it.Kind)
			}
			got = append(got, it.Key)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ListItemRange(%q, %q, %q) = %q; want %q", tt.kind, tt.from, tt.to, got, tt.want)
		}
	}
}

func TestDeleteItem(t *testing.T) {
	tests := []struct {
		name      string
		exists    bool
		expect    int64
		wantErr   error
		wantGone  bool
		storedVer int64
	}{
		{"unconditional on missing", false, 0, nil, true, 0},
		{"unconditional on existing", true, 0, nil, true, 0},
		{"at stored version", true, 1, nil, true, 0},
		{"at stale version", true, 7, batch.ErrConflict, false, 0},
		{"conditional on missing", false, 1, batch.ErrConflict, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t, sqlite.Options{})
			if tt.exists {
				if _, err := db.PutItem(ctx, batch.Item{Kind: "k", Key: "a"}, 0); err != nil {
					t.Fatalf("PutItem: %v", err)
				}
			}
			if err := db.DeleteItem(ctx, "k", "a", tt.expect); !errors.Is(err, tt.wantErr) {
				t.Fatalf("DeleteItem error = %v; want %v", err, tt.wantErr)
			}
			_, err := db.GetItem(ctx, "k", "a")
			if gone := errors.Is(err, batch.ErrNotFound); gone != tt.wantGone {
				t.Errorf("after DeleteItem, GetItem error = %v; want gone %v", err, tt.wantGone)
			}
		})
	}
}

func TestNextSequence(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	steps := []struct {
		name string
		want int64
	}{{"a", 1}, {"a", 2}, {"b", 1}, {"a", 3}, {"b", 2}}
	for _, s := range steps {
		got, err := db.NextSequence(ctx, s.name)
		if err != nil || got != s.want {
			t.Fatalf("NextSequence(%q) = %d, %v; want %d", s.name, got, err, s.want)
		}
	}
}
