package provisioner

import "math"

// fitIndex finds the first of a growing list of containers (instances or
// new bins) with room for a job, in O(log n) for typical inputs instead of
// a scan: it is a segment tree holding, per range of containers, the
// per-dimension maximum of their free capacity, so that a range without
// enough vCPUs, memory or GPUs anywhere is skipped whole. Each range also
// keeps its smallest container, so that a job limited to instances of a
// size (Packing) skips ranges of larger ones.
//
// It keeps two such trees: one over every container and one in which
// containers with GPUs count as full. Jobs that may not take room on a GPU
// instance search the second, so the spare room of GPU instances, which is
// large and never theirs, does not lead every search into them.
type fitIndex struct {
	n      int       // containers
	leaves int       // a power of two, at least n
	all    []room    // 1-based trees; the leaves start at leaves
	cpu    []room    // as all, with the GPU containers' room zeroed
	gpu    []bool    // by container: it has GPUs
	vcpus  []float64 // by container: its size in vCPUs, free or not
}

func newFitIndex(hint int) *fitIndex {
	x := &fitIndex{leaves: 1}
	for x.leaves < hint {
		x.leaves *= 2
	}
	x.all = make([]room, 2*x.leaves)
	x.cpu = make([]room, 2*x.leaves)
	x.gpu = make([]bool, 0, x.leaves)
	x.vcpus = make([]float64, 0, x.leaves)
	return x
}

// push appends a container of vcpus vCPUs with free capacity free; gpu
// says whether it has GPUs.
func (x *fitIndex) push(free resources, vcpus float64, gpu bool) {
	x.add(free, vcpus, gpu)
	k := x.leaves + x.n - 1
	update(x.all, k)
	update(x.cpu, k)
}

// add appends a container as push does but leaves the trees above the
// leaves stale until build: filling an index of n containers costs O(n)
// instead of O(n log n).
func (x *fitIndex) add(free resources, vcpus float64, gpu bool) {
	if x.n == x.leaves {
		x.grow()
	}
	x.n++
	x.gpu = append(x.gpu, gpu)
	x.vcpus = append(x.vcpus, vcpus)
	x.setLeaf(x.n-1, free)
}

// grow doubles the leaves, rebuilding the trees.
func (x *fitIndex) grow() {
	grown := newFitIndex(2 * x.leaves)
	copy(grown.all[grown.leaves:], x.all[x.leaves:x.leaves+x.n])
	copy(grown.cpu[grown.leaves:], x.cpu[x.leaves:x.leaves+x.n])
	grown.n, grown.gpu, grown.vcpus = x.n, x.gpu, x.vcpus
	grown.build()
	*x = *grown
}

// build brings the trees above the leaves up to date after add.
func (x *fitIndex) build() {
	for i := x.leaves - 1; i > 0; i-- {
		x.all[i] = x.all[2*i].envelope(x.all[2*i+1])
		x.cpu[i] = x.cpu[2*i].envelope(x.cpu[2*i+1])
	}
}

// setLeaf sets container i's leaves, not the trees above them.
func (x *fitIndex) setLeaf(i int, free resources) {
	k := x.leaves + i
	x.all[k] = roomOf(free, x.vcpus[i])
	x.cpu[k] = x.all[k]
	if x.gpu[i] {
		x.cpu[k] = noRoom
	}
}

// set updates container i's free capacity.
func (x *fitIndex) set(i int, free resources) {
	x.setLeaf(i, free)
	k := x.leaves + i
	update(x.all, k)
	update(x.cpu, k)
}

// update recomputes the ancestors of leaf k, up to the first that does not
// change.
func update(tree []room, k int) {
	for k /= 2; k > 0; k /= 2 {
		e := tree[2*k].envelope(tree[2*k+1])
		if e == tree[k] {
			return
		}
		tree[k] = e
	}
}

// first returns the first container at or after from, of at most largest
// vCPUs, whose free capacity holds need and that allows the job, or -1.
// onGPU says whether the job may take room on containers with GPUs;
// allows, when not nil, may refuse a container that has room (a job
// pinned to another type).
func (x *fitIndex) first(from int, need resources, largest float64, onGPU bool, allows func(int) bool) int {
	want := roomOf(need, largest)
	tree := x.cpu
	if onGPU {
		tree = x.all
	}
	return x.find(tree, 1, 0, x.leaves, from, want, allows)
}

func (x *fitIndex) find(tree []room, node, lo, hi, from int, need room, allows func(int) bool) int {
	if hi <= from || lo >= x.n || !tree[node].holds(need) {
		return -1
	}
	if hi-lo == 1 {
		if allows == nil || allows(lo) {
			return lo
		}
		return -1
	}
	mid := (lo + hi) / 2
	if i := x.find(tree, 2*node, lo, mid, from, need, allows); i >= 0 {
		return i
	}
	return x.find(tree, 2*node+1, mid, hi, from, need, allows)
}

// room is a node of a fitIndex tree: the per-dimension maximum of its
// containers' free capacity, the maximum of their free capacity seen
// along diagonals, min(vCPUs × ratio, memory), at the memory-per-vCPU
// ratios of EC2's families, and the size of its smallest container. The
// per-dimension maximum alone stops pruning when vCPUs and memory vary
// independently (one container with spare vCPUs, another with spare
// memory): a container that holds a job also holds it along every
// diagonal, so the diagonals prune those ranges too.
//
// As a query, a room is the job's need along the same lines, with smallest
// the largest container the job may take.
type room struct {
	free     resources
	diag     [len(diagonals)]int64
	smallest float64
}

// diagonals are the ratios, in MiB per vCPU, along which room is kept:
// those of compute, general purpose and memory optimized types. Five (1
// to 16 GiB) measured slower: each node costs more than the extra pruning
// saves.
var diagonals = [...]float64{2048, 4096, 8192}

// diagonalSlack covers the truncation to whole MiB and resources.holds'
// epsilon on vCPUs, so that the diagonals never prune a fitting leaf.
const diagonalSlack = 2

// noRoom is the room of a container no job may use: it holds nothing,
// not even a job that needs nothing.
var noRoom = func() room {
	r := room{free: resources{vcpus: -1, mem: -1, gpus: -1}, smallest: math.Inf(1)}
	for i := range r.diag {
		r.diag[i] = -1 << 40
	}
	return r
}()

func roomOf(r resources, vcpus float64) room {
	o := room{free: r, smallest: vcpus}
	for i, ratio := range diagonals {
		o.diag[i] = min(int64(r.vcpus*ratio), r.mem)
	}
	return o
}

func (r room) envelope(o room) room {
	e := room{free: r.free.envelope(o.free), smallest: min(r.smallest, o.smallest)}
	for i := range e.diag {
		e.diag[i] = max(r.diag[i], o.diag[i])
	}
	return e
}

// holds is necessary for some container below to hold need, and
// sufficient for a leaf.
func (r room) holds(need room) bool {
	if !r.free.holds(need.free) || r.smallest > need.smallest+epsilon {
		return false
	}
	for i := range r.diag {
		if r.diag[i] < need.diag[i]-diagonalSlack {
			return false
		}
	}
	return true
}
