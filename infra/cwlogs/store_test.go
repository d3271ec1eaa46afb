package cwlogs

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/infra/logfiles"
)

const testStream = "sleep/default/4f1c2d"

func TestAppendThenRead(t *testing.T) {
	t0 := now()
	tests := []struct {
		name    string
		appends [][]batch.LogEvent
		want    []batch.LogEvent
	}{
		{"lines in order", [][]batch.LogEvent{{{Timestamp: t0, Message: "one"}, {Timestamp: t0 + 1, Message: "two"}, {Timestamp: t0 + 1, Message: "three"}}},
			[]batch.LogEvent{{Timestamp: t0, Message: "one"}, {Timestamp: t0 + 1, Message: "two"}, {Timestamp: t0 + 1, Message: "three"}}},
		{"newlines, tabs and unicode", [][]batch.LogEvent{{{Timestamp: t0, Message: "multi\nline\n"}, {Timestamp: t0, Message: "tab\there"}, {Timestamp: t0, Message: "héllo, 世界 🚀"}, {Timestamp: t0, Message: `back\slash "quoted"`}}},
			[]batch.LogEvent{{Timestamp: t0, Message: "multi\nline\n"}, {Timestamp: t0, Message: "tab\there"}, {Timestamp: t0, Message: "héllo, 世界 🚀"}, {Timestamp: t0, Message: `back\slash "quoted"`}}},
		{"several appends", [][]batch.LogEvent{{{Timestamp: t0, Message: "a"}}, {{Timestamp: t0 + 5, Message: "b"}, {Timestamp: t0 + 6, Message: "c"}}, {{Timestamp: t0 + 7, Message: "d"}}},
			[]batch.LogEvent{{Timestamp: t0, Message: "a"}, {Timestamp: t0 + 5, Message: "b"}, {Timestamp: t0 + 6, Message: "c"}, {Timestamp: t0 + 7, Message: "d"}}},
		{"unsorted batch sorted", [][]batch.LogEvent{{{Timestamp: t0 + 2, Message: "second"}, {Timestamp: t0, Message: "first"}}},
			[]batch.LogEvent{{Timestamp: t0, Message: "first"}, {Timestamp: t0 + 2, Message: "second"}}},
		{"empty message sent as a space", [][]batch.LogEvent{{{Timestamp: t0, Message: "before"}, {Timestamp: t0, Message: ""}, {Timestamp: t0, Message: "after"}}},
			[]batch.LogEvent{{Timestamp: t0, Message: "before"}, {Timestamp: t0, Message: emptyMessage}, {Timestamp: t0, Message: "after"}}},
		{"nothing to append", [][]batch.LogEvent{{}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := motoStore(t, Options{})
			for _, events := range tt.appends {
				if err := s.Append(t.Context(), testStream, events); err != nil {
					t.Fatalf("Append: %v", err)
				}
			}
			if tt.want == nil {
				if _, _, err := s.Read(t.Context(), testStream, "", 0); !errors.Is(err, batch.ErrNotFound) {
					t.Fatalf("Read after appending nothing: %v, want not found (no stream made)", err)
				}
				return
			}
			got, _ := readAll(t, s, testStream, 0)
			sameEvents(t, got, tt.want)
		})
	}
}

func TestReadPages(t *testing.T) {
	s := motoStore(t, Options{})
	t0 := now()
	var want []batch.LogEvent
	for i := range 10 {
		want = append(want, batch.LogEvent{Timestamp: t0 + int64(i), Message: fmt.Sprintf("line %d", i)})
	}
	if err := s.Append(t.Context(), testStream, want); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, 3, 10, 11} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			got, _ := readAll(t, s, testStream, limit)
			sameEvents(t, got, want)
		})
	}
}

func TestReadAtEnd(t *testing.T) {
	s := motoStore(t, Options{})
	t0 := now()
	if err := s.Append(t.Context(), testStream, []batch.LogEvent{{Timestamp: t0, Message: "a"}, {Timestamp: t0 + 1, Message: "b"}}); err != nil {
		t.Fatal(err)
	}
	_, end := readAll(t, s, testStream, 0)
	for range 2 {
		events, next, err := s.Read(t.Context(), testStream, end, 0)
		if err != nil || len(events) != 0 || next != end {
			t.Fatalf("Read at the end = %v, %q, %v; want no events and the same token %q", events, next, err, end)
		}
	}
	// Events appended later are read from the end's token.
	if err := s.Append(t.Context(), testStream, []batch.LogEvent{{Timestamp: t0 + 2, Message: "c"}}); err != nil {
		t.Fatal(err)
	}
	events, next, err := s.Read(t.Context(), testStream, end, 0)
	if err != nil {
		t.Fatal(err)
	}
	sameEvents(t, events, []batch.LogEvent{{Timestamp: t0 + 2, Message: "c"}})
	if next == end {
		t.Errorf("token after new events = %q, still the end's", next)
	}
}

func TestReadErrors(t *testing.T) {
	s := motoStore(t, Options{})
	if err := s.Append(t.Context(), testStream, []batch.LogEvent{{Timestamp: now(), Message: "a"}}); err != nil {
		t.Fatal(err)
	}
	noGroup := New(s.api, Options{Group: s.Group() + "/missing"})
	tests := []struct {
		name         string
		store        *Store
		stream       string
		token        string
		wantNotFound bool
		wantClient   bool
	}{
		{"missing stream", s, "sleep/default/nope", "", true, false},
		{"missing group", noGroup, testStream, "", true, false},
		{"invalid token", s, testStream, "not a token", false, true},
		{"empty name", s, "", "", false, true},
		{"name with a colon", s, "a:b", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.store.Read(t.Context(), tt.stream, tt.token, 0)
			if got := errors.Is(err, batch.ErrNotFound); got != tt.wantNotFound {
				t.Errorf("Read: %v; not found = %v, want %v", err, got, tt.wantNotFound)
			}
			if got := batch.IsClientError(err); got != tt.wantClient {
				t.Errorf("Read: %v; client error = %v, want %v", err, got, tt.wantClient)
			}
		})
	}
}

func TestAppendManyBatches(t *testing.T) {
	tests := []struct {
		name      string
		maxEvents int // events a PutLogEvents call
		n         int
		wantPuts  int32
	}{
		{"CloudWatch's limit", maxBatchEvents, 12000, 2},
		{"lowered limit", 1000, 2500, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := motoStore(t, Options{})
			api := &countingAPI{logsAPI: s.api}
			s.api = api
			s.limits.events = tt.maxEvents
			t0 := now()
			want := make([]batch.LogEvent, tt.n)
			for i := range want {
				want[i] = batch.LogEvent{Timestamp: t0 + int64(i/100), Message: fmt.Sprintf("event %05d", i)}
			}
			if err := s.Append(t.Context(), testStream, want); err != nil {
				t.Fatalf("Append: %v", err)
			}
			if n := api.puts.Load(); n != tt.wantPuts {
				t.Errorf("PutLogEvents called %d times, want %d", n, tt.wantPuts)
			}
			got, _ := readAll(t, s, testStream, 0)
			sameEvents(t, got, want)
		})
	}
}

func TestAppendCreatesGroup(t *testing.T) {
	tests := []struct {
		name        string
		createGroup bool
		wantErr     bool
	}{
		{"created when asked", true, false},
		{"missing otherwise", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := motoStore(t, Options{CreateGroup: true}) // the group is not made yet
			s.createGroup = tt.createGroup
			err := s.Append(t.Context(), testStream, []batch.LogEvent{{Timestamp: now(), Message: "hello"}})
			if (err != nil) != tt.wantErr {
				t.Fatalf("Append to a missing group: %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			got, _ := readAll(t, s, testStream, 0)
			if len(got) != 1 || got[0].Message != "hello" {
				t.Errorf("read %+v, want the one event", got)
			}
			if err := s.EnsureGroup(t.Context()); err != nil {
				t.Errorf("EnsureGroup of an existing group: %v", err)
			}
		})
	}
}

func TestAppendRecreatesDeletedStream(t *testing.T) {
	s := motoStore(t, Options{})
	if err := s.Append(t.Context(), testStream, []batch.LogEvent{{Timestamp: now(), Message: "a"}}); err != nil {
		t.Fatal(err)
	}
	// Another Store (another process) finds the stream there already.
	other := New(s.api, Options{Group: s.Group()})
	if err := other.Append(t.Context(), testStream, []batch.LogEvent{{Timestamp: now(), Message: "b"}}); err != nil {
		t.Fatalf("Append to a stream another Store created: %v", err)
	}
	// A stream this Store thinks exists but does not is made again.
	s.remember("sleep/default/gone")
	if err := s.Append(t.Context(), "sleep/default/gone", []batch.LogEvent{{Timestamp: now(), Message: "c"}}); err != nil {
		t.Fatalf("Append to a stream known but missing: %v", err)
	}
	got, _ := readAll(t, s, testStream, 0)
	if len(got) != 2 {
		t.Errorf("read %d events, want 2", len(got))
	}
	if got, _ := readAll(t, s, "sleep/default/gone", 0); len(got) != 1 || got[0].Message != "c" {
		t.Errorf("recreated stream holds %+v, want the one event", got)
	}
}

func TestAppendInvalidName(t *testing.T) {
	s := New(nil, Options{}) // never reaches the API
	for _, name := range []string{"", "a*b", "a:b", string(make([]byte, maxStreamName+1))} {
		if err := s.Append(t.Context(), name, []batch.LogEvent{{Timestamp: 1, Message: "x"}}); !batch.IsClientError(err) {
			t.Errorf("Append to %.20q: %v, want a client error", name, err)
		}
	}
}

// logStore is what the agent's and the API's adapters use of a log store.
type logStore interface {
	Append(ctx context.Context, stream string, events []batch.LogEvent) error
	Read(ctx context.Context, stream, fromToken string, limit int) ([]batch.LogEvent, string, error)
}

// Both stores fit the same adapters.
var (
	_ logStore = (*Store)(nil)
	_ logStore = (*logfiles.Store)(nil)
)
