package provisioner

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFitIndexFindsWhatAScanFinds checks the index against a linear scan
// over random containers and needs, as they shrink, with GPU containers,
// pins, size limits and needs of zero: the diagonals, the sizes and the
// GPU tree prune ranges but must never skip a container that holds the
// job, in a new index or one emptied for reuse.
func TestFitIndexFindsWhatAScanFinds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	reused := newFitIndex(0) // emptied by resetFor in odd rounds, as firstFit does
	for round := range 50 {
		n := rng.IntN(300) + 1
		free := make([]resources, n)
		gpu := make([]bool, n)
		size := make([]float64, n)
		for i := range size {
			size[i] = float64(int(1) << rng.IntN(8))
		}
		x := newFitIndex(0)
		switch round % 4 {
		case 1:
			x = newFitIndexFor(size)
		case 3:
			reused.resetFor(size)
			x = reused
		}
		for i := range free {
			free[i] = resources{vcpus: float64(rng.IntN(65)) + float64(rng.IntN(4))/4, mem: int64(rng.IntN(1 << 19)), gpus: 0}
			gpu[i] = rng.IntN(8) == 0
			if gpu[i] {
				free[i].gpus = int64(rng.IntN(9))
			}
			if round%2 == 1 {
				x.add(free[i], size[i], gpu[i])
			} else {
				x.push(free[i], size[i], gpu[i])
			}
		}
		if round%2 == 1 {
			x.build()
		}
		for range 2000 {
			need := resources{vcpus: float64(rng.IntN(33)) + float64(rng.IntN(4))/4, mem: int64(rng.IntN(1 << 18))}
			if rng.IntN(10) == 0 {
				need.gpus = int64(rng.IntN(4))
			}
			onGPU := need.gpus > 0 || rng.IntN(2) == 0
			from := 0
			if rng.IntN(3) == 0 {
				from = rng.IntN(n)
			}
			largest := math.Inf(1)
			if rng.IntN(2) == 0 {
				largest = float64(int(1) << rng.IntN(8))
			}
			var pin func(int) bool
			if rng.IntN(5) == 0 {
				pin = func(k int) bool { return k%3 != 0 }
			}
			want := -1
			for k := from; k < n; k++ {
				if free[k].holds(need) && (onGPU || !gpu[k]) && (pin == nil || pin(k)) && size[k] <= largest {
					want = k
					break
				}
			}
			got := x.first(from, need, largest, onGPU, pin)
			if got != want {
				t.Fatalf("round %d: first(%d, %+v, %v, onGPU=%v) = %d, a scan finds %d", round, from, need, largest, onGPU, got, want)
			}
			if got >= 0 {
				free[got] = free[got].minus(need)
				x.set(got, free[got])
			}
		}
	}
}
