package dynamo_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/infra/dynamo/dynamotest"
)

// finishReads is what finishing an array's parent read, per child.
type finishReads struct {
	items, readUnits, requests float64
}

func (f finishReads) String() string {
	return fmt.Sprintf("%.1f items, %.2f read units, %.2f requests", f.items, f.readUnits, f.requests)
}

func perChild(u dynamotest.Usage, n int) finishReads {
	f := float64(n)
	return finishReads{items: float64(u.ItemsRead) / f, readUnits: u.ReadUnits() / f, requests: float64(u.Requests) / f}
}

// TestFinishingAnArrayReadsFewItems measures what the evaluations of an
// array's parent read as its children end one by one, each end ringing
// the parent, in index order and in random order: now (Evaluate, which
// asks AnyChildOpen and counts the children only when none is open) and
// as the evaluation did before (the parent and CountChildren at every
// end, all n entries each time; measured at some of the ends, since it
// is the same at each: 5 of 100 in make test, 20 of 1,000). docs/BENCHMARKS.md and docs/DYNAMODB.md record the
// figures for 1,000 children (TANDA_COST_ARRAY=1000); the bound keeps the
// cost from going back to n² items.
func TestFinishingAnArrayReadsFewItems(t *testing.T) {
	r := newCostRig(t)
	size := arraySize(t, 100)
	inIndexOrder := make([]int, size)
	for i := range inIndexOrder {
		inIndexOrder[i] = i
	}
	random := rand.New(rand.NewPCG(1, 2)).Perm(size)
	tests := []struct {
		name  string
		order []int
		fail  int // the index of the child that fails, -1 for none
		want  batch.Status
	}{
		{"index order", inIndexOrder, -1, batch.Succeeded},
		{"random order", random, random[size/2], batch.Failed},
	}
	for _, tt := range tests {
		n := size
		out, err := r.svc.SubmitJob(r.ctx, &batch.SubmitJobInput{JobName: "arr", JobQueue: "q", JobDefinition: "def", ArrayProperties: &batch.ArrayProperties{Size: &n}})
		if err != nil {
			t.Fatalf("SubmitJob(array): %v", err)
		}
		r.scheduler() // expands it
		parent := out.JobID
		var now, before dynamotest.Usage
		var nowTook, beforeTook time.Duration // on moto, for the record
		sampleEvery, sampled := max(1, size/min(20, max(5, size/50))), 0
		for k, i := range tt.order {
			id := fmt.Sprintf("%s:%d", parent, i)
			c, err := r.store.GetJob(r.ctx, id)
			if err != nil {
				t.Fatalf("%s: reading child %s: %v", tt.name, id, err)
			}
			c.Status = batch.Succeeded
			if i == tt.fail {
				c.Status = batch.Failed
			}
			if _, err := r.store.UpdateJob(r.ctx, c, nil); err != nil {
				t.Fatalf("%s: finishing child %s: %v", tt.name, id, err)
			}

			// The parent's doorbell, as the child's end rings it.
			start, began := r.meter.Usage(), time.Now()
			if err := r.svc.Evaluate(r.ctx, parent); err != nil {
				t.Fatalf("%s: Evaluate(parent): %v", tt.name, err)
			}
			nowTook += time.Since(began)
			now = now.Add(r.meter.Usage().Sub(start))
			if k == size-2 {
				if p, _ := r.store.GetJob(r.ctx, parent); p.Status.Terminal() {
					t.Fatalf("%s: the parent is %v with one child still open", tt.name, p.Status)
				}
			}

			// What the evaluation read before, the same at every end
			// (all n entries), so measured at some: on moto, which
			// reads the whole table for a Query, at every end it would
			// take minutes.
			if k%sampleEvery != 0 {
				continue
			}
			sampled++
			start, began = r.meter.Usage(), time.Now()
			if _, err := r.store.GetJob(r.ctx, parent); err != nil {
				t.Fatalf("%s: reading the parent: %v", tt.name, err)
			}
			if _, err := r.store.CountChildren(r.ctx, parent); err != nil {
				t.Fatalf("%s: CountChildren: %v", tt.name, err)
			}
			beforeTook += time.Since(began)
			before = before.Add(r.meter.Usage().Sub(start))
		}
		p, err := r.store.GetJob(r.ctx, parent)
		if err != nil {
			t.Fatalf("%s: reading the parent: %v", tt.name, err)
		}
		if p.Status != tt.want {
			t.Errorf("%s: the parent is %v after its children, want %v", tt.name, p.Status, tt.want)
		}
		t.Logf("%s, %d children: the parent's evaluations read %v per child (%v each on moto); counting at every end read %v (%v each on moto, measured at %d of the ends)",
			tt.name, size, perChild(now, size), (nowTook / time.Duration(size)).Round(time.Millisecond),
			perChild(before, sampled), (beforeTook / time.Duration(sampled)).Round(time.Millisecond), sampled)
		if limit := 20 * size; now.ItemsRead >= limit {
			t.Errorf("%s: the parent's evaluations read %d items for %d children, want fewer than %d (20 per child)",
				tt.name, now.ItemsRead, size, limit)
		}
	}
}
