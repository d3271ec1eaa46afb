package capacity_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/capacity"
)

// envs knows compute environments by name and by ARN.
type envs map[string]bool

func (e envs) ComputeEnvironment(_ context.Context, ref string) (batch.ComputeEnvironment, error) {
	name := ref[strings.LastIndex(ref, "/")+1:]
	if !e[name] {
		return batch.ComputeEnvironment{}, batch.Clientf("ComputeEnvironment %s not found.", ref)
	}
	return batch.ComputeEnvironment{ComputeEnvironmentName: name}, nil
}

// record writes a sample a minute for ce from start, demand rising 1, 2...
func record(t *testing.T, items capacity.Store, ce string, start time.Time, minutes int) {
	t.Helper()
	clock := batchtest.NewClock(start)
	rec := capacity.NewRecorder(items, capacity.RecorderOptions{Clock: clock})
	for i := range minutes {
		rec.Pass(pass(ce, float64(i+1), i+1, nil, nil))
		clock.Advance(time.Minute)
	}
	if err := rec.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestSeries(t *testing.T) {
	ctx := context.Background()
	items := batchtest.NewItems()
	record(t, items, "ce", t0, 180)             // 20:00 to 22:59
	record(t, items, "ce-other", t0, 10)        // another, whose name extends "ce"
	now := t0.Add(3*time.Hour + 30*time.Second) // 23:00:30
	h := capacity.NewHistory(items, envs{"ce": true, "ce-other": true}, batchtest.NewClock(now))

	got, err := h.Series(ctx, "arn:aws:batch:us-east-1:123456789012:compute-environment/ce", 2)
	if err != nil {
		t.Fatal(err)
	}
	if got.ComputeEnvironment != "ce" || got.ResolutionSeconds != 60 {
		t.Errorf("Series names %q at %d s, want ce at 60 s", got.ComputeEnvironment, got.ResolutionSeconds)
	}
	// The window ends with the current minute, 23:00, which has no sample
	// yet, and starts two hours before: 21:01 to 22:59 are in it.
	if from, to := time.UnixMilli(got.From).UTC(), time.UnixMilli(got.To).UTC(); !from.Equal(t0.Add(61*time.Minute)) || !to.Equal(t0.Add(181*time.Minute)) {
		t.Errorf("window [%v, %v), want [21:01, 23:01)", from, to)
	}
	if len(got.Samples) != 119 {
		t.Fatalf("%d samples, want 119", len(got.Samples))
	}
	first, last := got.Samples[0], got.Samples[len(got.Samples)-1]
	if !first.At.Equal(t0.Add(61*time.Minute)) || first.DemandvCpus != 62 || !last.At.Equal(t0.Add(179*time.Minute)) || last.DemandvCpus != 180 {
		t.Errorf("samples run from %v (demand %v) to %v (demand %v), want 21:01 (62) to 22:59 (180)", first.At, first.DemandvCpus, last.At, last.DemandvCpus)
	}

	for _, tc := range []struct {
		name, ce string
		hours    int
		want     string
	}{
		{"no hours", "ce", 0, "hours must be between 1 and 24"},
		{"too many hours", "ce", 25, "hours must be between 1 and 24"},
		{"unknown compute environment", "nope", 1, "ComputeEnvironment nope not found."},
	} {
		_, err := h.Series(ctx, tc.ce, tc.hours)
		var ce *batch.ClientError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Series = %v, want a client error saying %q", tc.name, err, tc.want)
		}
	}
}

func TestSamplesOfAnEmptyWindow(t *testing.T) {
	h := capacity.NewHistory(batchtest.NewItems(), envs{"ce": true}, batchtest.NewClock(t0))
	got, err := h.Series(context.Background(), "ce", 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Samples == nil || len(got.Samples) != 0 {
		t.Errorf("Samples = %#v, want an empty list (JSON [], not null)", got.Samples)
	}
}
