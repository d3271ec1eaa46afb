package provisioner

import (
	"math"
	"math/bits"
	"slices"
)

// fitIndex finds the first of a growing list of containers (instances or
// new bins) with room for a job, in O(log n) for typical inputs instead of
// a scan: segment trees hold, per range of containers, the per-dimension
// maximum of their free capacity, so that a range without enough vCPUs,
// memory or GPUs anywhere is skipped whole.
//
// Containers are grouped by size (their vCPUs, by powers of two), each
// group with trees of its own, so that a job that Packing keeps off large
// instances searches only the groups it may use: mixed in one tree, the
// spare room of large instances would lead its every search down to
// leaves that refuse it. Each group has two trees: one over its containers
// and one in which containers with GPUs count as full, searched by jobs
// that may not take room on a GPU instance, for the same reason.
type fitIndex struct {
	n      int          // containers
	groups []*sizeGroup // by size class; nil when empty
	joined []int        // the size classes of the groups, by their first container
	where  []member     // by container: its group and place in it
}

// member places a container in its group.
type member struct{ class, local int }

// sizeGroup holds the trees of the containers of one size class, in the
// order they joined the index.
type sizeGroup struct {
	n      int
	leaves int       // a power of two, at least n
	all    []room    // 1-based trees; the leaves start at leaves
	cpu    []room    // as all, with the GPU containers' room taken as none
	global []int     // by place in the group: the container's index
	gpu    []bool    // by place: the container has GPUs
	vcpus  []float64 // by place: the container's vCPUs, free or not
}

// sizeClass groups containers by vCPUs: 1, 2–3, 4–7, 8–15, …
func sizeClass(vcpus float64) int { return bits.Len(uint(max(vcpus, 0))) }

// classFloor is the fewest vCPUs of a container of class c.
func classFloor(c int) float64 {
	if c == 0 {
		return 0
	}
	return float64(uint(1) << (c - 1))
}

func newFitIndex(hint int) *fitIndex {
	return &fitIndex{where: make([]member, 0, hint)}
}

// newFitIndexFor is an empty index with room for containers of these
// sizes, so that filling it never grows a group.
func newFitIndexFor(vcpus []float64) *fitIndex {
	x := newFitIndex(len(vcpus))
	x.resetFor(vcpus)
	return x
}

// resetFor empties the index and makes room for containers of these sizes,
// reusing the groups whose trees have the size they need: a plan places
// its demand on nearly the same containers in each settle round, and
// clearing trees costs less than allocating them.
func (x *fitIndex) resetFor(vcpus []float64) {
	var counts []int
	for _, v := range vcpus {
		c := sizeClass(v)
		for len(counts) <= c {
			counts = append(counts, 0)
		}
		counts[c]++
	}
	x.n, x.where, x.joined = 0, x.where[:0], x.joined[:0]
	for len(x.groups) < len(counts) {
		x.groups = append(x.groups, nil)
	}
	for c, g := range x.groups {
		n := 0
		if c < len(counts) {
			n = counts[c]
		}
		switch {
		case n == 0:
			x.groups[c] = nil
		case g != nil && g.leaves == leavesFor(n):
			g.reset()
		default:
			x.groups[c] = newSizeGroup(n)
		}
	}
}

// leavesFor is the number of leaves of a group of n containers.
func leavesFor(n int) int {
	leaves := 1
	for leaves < n {
		leaves *= 2
	}
	return leaves
}

// reset empties the group, keeping its storage. Searches never look past
// the group's n containers, so old leaves beyond them would do no harm but
// blunt the pruning of the nodes above them: they are cleared.
func (g *sizeGroup) reset() {
	clear(g.all[g.leaves : g.leaves+g.n])
	clear(g.cpu[g.leaves : g.leaves+g.n])
	g.n, g.global, g.gpu, g.vcpus = 0, g.global[:0], g.gpu[:0], g.vcpus[:0]
}

func newSizeGroup(n int) *sizeGroup {
	g := &sizeGroup{leaves: leavesFor(n)}
	g.all, g.cpu = make([]room, 2*g.leaves), make([]room, 2*g.leaves)
	return g
}

// push appends a container of vcpus vCPUs with free capacity free; gpu
// says whether it has GPUs.
func (x *fitIndex) push(free resources, vcpus float64, gpu bool) {
	x.add(free, vcpus, gpu)
	m := x.where[x.n-1]
	g := x.groups[m.class]
	update(g.all, g.leaves+m.local)
	update(g.cpu, g.leaves+m.local)
}

// add appends a container as push does but leaves the trees above the
// leaves stale until build: filling an index of n containers costs O(n)
// instead of O(n log n).
func (x *fitIndex) add(free resources, vcpus float64, gpu bool) {
	c := sizeClass(vcpus)
	for len(x.groups) <= c {
		x.groups = append(x.groups, nil)
	}
	if x.groups[c] == nil {
		x.groups[c] = newSizeGroup(1)
	}
	g := x.groups[c]
	if g.n == 0 {
		x.joined = append(x.joined, c)
	}
	if g.n == g.leaves {
		g.grow()
	}
	g.n++
	g.global = append(g.global, x.n)
	g.gpu = append(g.gpu, gpu)
	g.vcpus = append(g.vcpus, vcpus)
	x.where = append(x.where, member{class: c, local: g.n - 1})
	x.n++
	g.setLeaf(g.n-1, free)
}

// grow doubles the group's leaves, rebuilding its trees.
func (g *sizeGroup) grow() {
	grown := newSizeGroup(2 * g.leaves)
	copy(grown.all[grown.leaves:], g.all[g.leaves:g.leaves+g.n])
	copy(grown.cpu[grown.leaves:], g.cpu[g.leaves:g.leaves+g.n])
	grown.n, grown.global, grown.gpu, grown.vcpus = g.n, g.global, g.gpu, g.vcpus
	grown.build()
	*g = *grown
}

// build brings the trees above the leaves up to date after add.
func (x *fitIndex) build() {
	for _, g := range x.groups {
		if g != nil {
			g.build()
		}
	}
}

func (g *sizeGroup) build() {
	for i := g.leaves - 1; i > 0; i-- {
		g.all[i] = g.all[2*i].envelope(g.all[2*i+1])
		g.cpu[i] = g.cpu[2*i].envelope(g.cpu[2*i+1])
	}
}

// setLeaf sets the leaves of the group's container at local, not the trees
// above them.
func (g *sizeGroup) setLeaf(local int, free resources) {
	k := g.leaves + local
	g.all[k] = roomOf(free, g.vcpus[local])
	g.cpu[k] = g.all[k]
	if g.gpu[local] {
		g.cpu[k] = noRoom
	}
}

// set updates container i's free capacity.
func (x *fitIndex) set(i int, free resources) {
	m := x.where[i]
	g := x.groups[m.class]
	g.setLeaf(m.local, free)
	update(g.all, g.leaves+m.local)
	update(g.cpu, g.leaves+m.local)
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
	best := x.n
	for _, c := range x.joined {
		g := x.groups[c]
		if g.global[0] >= best {
			break // this group, and those that follow, start after the best
		}
		if classFloor(c) > largest+epsilon {
			continue
		}
		// The group's containers from from, and before the best so far.
		lo, hi := 0, g.n
		if from > 0 {
			lo, _ = slices.BinarySearch(g.global, from)
		}
		if best < x.n {
			hi, _ = slices.BinarySearch(g.global, best)
		}
		if lo >= hi {
			continue
		}
		tree := g.cpu
		if onGPU {
			tree = g.all
		}
		var local func(int) bool
		if allows != nil {
			local = func(k int) bool { return allows(g.global[k]) }
		}
		if k := g.find(tree, 1, 0, g.leaves, lo, hi, want, local); k >= 0 {
			best = g.global[k]
		}
	}
	if best == x.n {
		return -1
	}
	return best
}

// find is the first container in [from, to) below node, which covers
// [lo, hi), that holds need and that allows the job, or -1.
func (g *sizeGroup) find(tree []room, node, lo, hi, from, to int, need room, allows func(int) bool) int {
	if hi <= from || lo >= to || !tree[node].holds(need) {
		return -1
	}
	if hi-lo == 1 {
		if allows == nil || allows(lo) {
			return lo
		}
		return -1
	}
	mid := (lo + hi) / 2
	if i := g.find(tree, 2*node, lo, mid, from, to, need, allows); i >= 0 {
		return i
	}
	return g.find(tree, 2*node+1, mid, hi, from, to, need, allows)
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
