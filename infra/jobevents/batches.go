package jobevents

// limits bound one PutEvents request; tests lower them.
type limits struct {
	entries      int // entries per request
	requestBytes int // summed entry sizes per request
}

// defaultLimits are EventBridge's.
var defaultLimits = limits{entries: maxEntriesPerRequest, requestBytes: maxRequestBytes}

// split packs entries, in order, into requests within l. Each entry must
// fit in a request on its own.
func split(entries []entry, l limits) [][]entry {
	var (
		out  [][]entry
		cur  []entry
		size int
	)
	for _, e := range entries {
		if len(cur) == l.entries || (len(cur) > 0 && size+e.size > l.requestBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, e)
		size += e.size
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
