package capacity_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/capacity"
	"github.com/tanda-batch/tanda/provisioner"
)

// t0 is the start of a minute.
var t0 = time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)

// countingItems is an in-memory item store that counts the calls made.
type countingItems struct {
	*batchtest.Items
	mu         sync.Mutex
	puts, gets int
}

func newCountingItems() *countingItems { return &countingItems{Items: batchtest.NewItems()} }

func (c *countingItems) PutItem(ctx context.Context, it batch.Item, expect int64) (int64, error) {
	c.mu.Lock()
	c.puts++
	c.mu.Unlock()
	return c.Items.PutItem(ctx, it, expect)
}

func (c *countingItems) GetItem(ctx context.Context, kind, key string) (batch.Item, error) {
	c.mu.Lock()
	c.gets++
	c.mu.Unlock()
	return c.Items.GetItem(ctx, kind, key)
}

func (c *countingItems) counts() (puts, gets int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.puts, c.gets
}

// pass is a pass report of ce: demand, desired, and instances of the given
// vCPUs (a negative one is terminating), each using used[i] vCPUs.
func pass(ce string, demand float64, desired int, vcpus []float64, used []float64) provisioner.PassReport {
	r := provisioner.PassReport{
		ComputeEnvironment: ce, MinvCpus: 0, MaxvCpus: 64, DesiredvCpus: desired,
		DemandvCpus: demand, DemandJobs: int(demand), Loads: map[string]provisioner.Load{},
	}
	for i, v := range vcpus {
		inst := provisioner.Instance{ID: string(rune('a' + i)), VCPUs: v, State: provisioner.InstanceRunning}
		if v < 0 {
			inst.VCPUs, inst.State = -v, provisioner.InstanceTerminating
		}
		r.Instances = append(r.Instances, inst)
		r.Loads[inst.ID] = provisioner.Load{UsedVCPUs: used[i]}
	}
	return r
}

// stored reads every sample of ce in the store.
func stored(t *testing.T, items capacity.ItemReader, ce string) []capacity.Sample {
	t.Helper()
	h := capacity.NewHistory(items, nil, nil)
	got, err := h.Samples(context.Background(), ce, t0.Add(-time.Hour), t0.Add(24*time.Hour))
	if err != nil {
		t.Fatalf("Samples: %v", err)
	}
	return got
}

func TestRecorderAggregatesAMinute(t *testing.T) {
	ctx := context.Background()
	items := newCountingItems()
	clock := batchtest.NewClock(t0.Add(50 * time.Second))
	rec := capacity.NewRecorder(items, capacity.RecorderOptions{Clock: clock})

	rec.Pass(pass("ce", 1, 0, nil, nil)) // the first minute: written only if no one did
	clock.Advance(10 * time.Second)      // 20:01:00
	rec.Pass(pass("ce", 8, 4, []float64{4}, []float64{2}))
	clock.Advance(20 * time.Second)
	rec.Pass(pass("ce", 2, 8, []float64{4, 4, -16}, []float64{4, 1, 16}))
	clock.Advance(30 * time.Second) // 20:01:50
	rec.Pass(pass("ce", 0, 6, []float64{4}, []float64{0}))
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, items, "ce"); len(got) != 1 || !got[0].At.Equal(t0) {
		t.Fatalf("before 20:02, stored %+v; want only the minute of 20:00", got)
	}
	clock.Advance(20 * time.Second) // 20:02:10: the minute has ended
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	want := []capacity.Sample{
		{At: t0, DemandvCpus: 1, DemandJobs: 1, MaxvCpus: 64},
		{At: t0.Add(time.Minute), DemandvCpus: 8, DemandJobs: 8, DesiredvCpus: 6, ProvisionedvCpus: 8, UsedvCpus: 5, MaxvCpus: 64},
	}
	if got := stored(t, items, "ce"); !reflect.DeepEqual(got, want) {
		t.Errorf("samples\n got %+v\nwant %+v", got, want)
	}
	puts, gets := items.counts()
	if puts != 2 || gets != 1 {
		t.Errorf("PutItem %d times, GetItem %d times; want 2 and 1 (the first minute is read before it is written)", puts, gets)
	}
}

func TestRecorderWritesEachMinuteOnce(t *testing.T) {
	ctx := context.Background()
	items := newCountingItems()
	clock := batchtest.NewClock(t0)
	rec := capacity.NewRecorder(items, capacity.RecorderOptions{Clock: clock})
	// Two compute environments, a pass every 2 s and a flush after each,
	// for ten minutes.
	for range 300 {
		rec.Pass(pass("a", 1, 1, []float64{2}, []float64{1}))
		rec.Pass(pass("b", 3, 4, []float64{4}, []float64{3}))
		if err := rec.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Advance(2 * time.Second)
	}
	if err := rec.Flush(ctx); err != nil { // 20:10:00
		t.Fatal(err)
	}
	if puts, _ := items.counts(); puts != 20 {
		t.Errorf("%d writes for 2 compute environments over 10 minutes; want 20", puts)
	}
	for _, ce := range []string{"a", "b"} {
		got := stored(t, items, ce)
		if len(got) != 10 {
			t.Fatalf("%s: %d samples, want 10", ce, len(got))
		}
		for i, s := range got {
			if want := t0.Add(time.Duration(i) * time.Minute); !s.At.Equal(want) {
				t.Errorf("%s: sample %d at %v, want %v", ce, i, s.At, want)
			}
		}
	}
}

func TestRecorderHandsOver(t *testing.T) {
	ctx := context.Background()
	items := newCountingItems()
	clock := batchtest.NewClock(t0.Add(5 * time.Second))
	old := capacity.NewRecorder(items, capacity.RecorderOptions{Clock: clock})
	old.Pass(pass("ce", 5, 5, nil, nil))
	clock.Advance(time.Minute) // 20:01:05
	old.Pass(pass("ce", 7, 7, nil, nil))
	clock.Advance(20 * time.Second) // 20:01:25: it stops, and writes both minutes
	if err := old.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// The next process takes over in the same minute: it does not write
	// that minute again.
	next := capacity.NewRecorder(items, capacity.RecorderOptions{Clock: clock})
	next.Pass(pass("ce", 9, 9, nil, nil))
	clock.Advance(time.Minute) // 20:02:25
	next.Pass(pass("ce", 3, 3, nil, nil))
	if err := next.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := demands(t, items), []float64{5, 7}; !slices.Equal(got, want) {
		t.Errorf("demand of the stored minutes %v, want %v (20:01 as the first process saw it)", got, want)
	}
	if puts, _ := items.counts(); puts != 2 {
		t.Errorf("%d writes for 2 minutes, want 2", puts)
	}

	// A closed recorder starts afresh: the minute it resumes in is read
	// first, here finding nothing, so it is written.
	if err := next.Close(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute) // 20:04:25
	next.Pass(pass("ce", 4, 4, nil, nil))
	if err := next.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := demands(t, items), []float64{5, 7, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("after resuming at 20:04, demand of the stored minutes %v, want %v", got, want)
	}
	if puts, gets := items.counts(); puts != 4 || gets != 3 {
		t.Errorf("PutItem %d times, GetItem %d times; want 4 and 3 (one read per start)", puts, gets)
	}
}

// demands are the DemandvCpus of the stored samples of "ce".
func demands(t *testing.T, items capacity.ItemReader) []float64 {
	t.Helper()
	var out []float64
	for _, s := range stored(t, items, "ce") {
		out = append(out, s.DemandvCpus)
	}
	return out
}

func TestRecorderKeepsWhatTheStoreRefused(t *testing.T) {
	ctx := context.Background()
	items := newCountingItems()
	clock := batchtest.NewClock(t0)
	rec := capacity.NewRecorder(items, capacity.RecorderOptions{Clock: clock})
	rec.Pass(pass("ce", 1, 1, nil, nil))
	clock.Advance(time.Minute)
	rec.Pass(pass("ce", 2, 2, nil, nil))
	clock.Advance(time.Minute)

	down := errors.New("store down")
	items.Fail(down)
	if err := rec.Flush(ctx); !errors.Is(err, down) {
		t.Fatalf("Flush with the store down = %v, want %v", err, down)
	}
	items.Fail(nil)
	if err := rec.Flush(ctx); err != nil {
		t.Fatalf("Flush again: %v", err)
	}
	if got := stored(t, items, "ce"); len(got) != 2 {
		t.Errorf("stored %d samples after the store came back, want 2", len(got))
	}
}

func TestRecorderItems(t *testing.T) {
	ctx := context.Background()
	items := batchtest.NewItems()
	clock := batchtest.NewClock(t0.Add(30 * time.Second))
	rec := capacity.NewRecorder(items, capacity.RecorderOptions{Clock: clock, Retention: 2 * time.Hour})
	rec.Pass(pass("my-ce", 2.5, 4, []float64{4}, []float64{2.5}))
	if err := rec.Close(ctx); err != nil {
		t.Fatal(err)
	}
	it, err := items.GetItem(ctx, batch.KindCapacity, "my-ce#001796673600000")
	if err != nil {
		t.Fatalf("the sample's item: %v", err)
	}
	if want := t0.Add(time.Minute + 2*time.Hour).UnixMilli(); it.ExpiresAt != want {
		t.Errorf("ExpiresAt = %d, want %d (the minute's end + the retention)", it.ExpiresAt, want)
	}
	var doc map[string]any
	if err := json.Unmarshal(it.Doc, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"at": float64(t0.UnixMilli()), "demandvCpus": 2.5, "demandJobs": float64(2), "desiredvCpus": float64(4),
		"provisionedvCpus": float64(4), "usedvCpus": 2.5, "minvCpus": float64(0), "maxvCpus": float64(64),
	}
	if !reflect.DeepEqual(doc, want) {
		t.Errorf("stored document\n got %v\nwant %v", doc, want)
	}
}

func TestRunClosesWhenDone(t *testing.T) {
	items := batchtest.NewItems()
	clock := batchtest.NewClock(t0)
	rec := capacity.NewRecorder(items, capacity.RecorderOptions{Clock: clock})
	rec.Pass(pass("ce", 3, 3, nil, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		rec.Run(ctx, time.Hour)
	}()
	cancel()
	<-done
	if got := stored(t, items, "ce"); len(got) != 1 || got[0].DemandvCpus != 3 {
		t.Errorf("after Run stopped, stored %+v; want the open minute", got)
	}
}
