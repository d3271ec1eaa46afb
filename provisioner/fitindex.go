package provisioner

// fitIndex finds the first of a growing list of containers (instances or
// new bins) with room for a job, in O(log n) for typical inputs instead of
// a scan: it is a segment tree holding, per range of containers, the
// per-dimension maximum of their free capacity, so that a range without
// enough vCPUs, memory or GPUs anywhere is skipped whole.
type fitIndex struct {
	n     int         // containers
	size  int         // leaves (a power of two, at least n)
	nodes []resources // 1-based tree; the leaves start at size
}

func newFitIndex(hint int) *fitIndex {
	x := &fitIndex{size: 1}
	for x.size < hint {
		x.size *= 2
	}
	x.nodes = make([]resources, 2*x.size)
	return x
}

// push appends a container with free capacity free.
func (x *fitIndex) push(free resources) {
	if x.n == x.size {
		leaves := x.nodes[x.size : x.size+x.n]
		grown := newFitIndex(2 * x.size)
		for i, r := range leaves {
			grown.nodes[grown.size+i] = r
		}
		for i := grown.size - 1; i > 0; i-- {
			grown.nodes[i] = grown.nodes[2*i].envelope(grown.nodes[2*i+1])
		}
		grown.n = x.n
		*x = *grown
	}
	x.n++
	x.set(x.n-1, free)
}

// set updates container i's free capacity.
func (x *fitIndex) set(i int, free resources) {
	k := x.size + i
	x.nodes[k] = free
	for k /= 2; k > 0; k /= 2 {
		x.nodes[k] = x.nodes[2*k].envelope(x.nodes[2*k+1])
	}
}

// first returns the first container at or after from whose free capacity
// holds need and that allows the job, or -1.
func (x *fitIndex) first(from int, need resources, allows func(int) bool) int {
	return x.find(1, 0, x.size, from, need, allows)
}

func (x *fitIndex) find(node, lo, hi, from int, need resources, allows func(int) bool) int {
	if hi <= from || lo >= x.n || !x.nodes[node].holds(need) {
		return -1
	}
	if hi-lo == 1 {
		if allows(lo) {
			return lo
		}
		return -1
	}
	mid := (lo + hi) / 2
	if i := x.find(2*node, lo, mid, from, need, allows); i >= 0 {
		return i
	}
	return x.find(2*node+1, mid, hi, from, need, allows)
}
