package sim

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ICE is a scenario of insufficient capacity: offerings EC2 cannot launch
// during spans of the workload's time. A launch of such an offering fails
// with InsufficientInstanceCapacity, and the provisioner handles it as it
// does on AWS (the offering is hidden for a while, others are tried).
type ICE struct {
	Spans []ICESpan
}

// ICESpan is one offering without capacity from From to To (offsets from
// the workload's start). Types names an exact type ("c5.large"), a family
// ("c5") or "*"; Capacity is "spot", "on-demand" or "*".
type ICESpan struct {
	From, To time.Duration
	Types    string
	Capacity string
}

// ReadICE reads a scenario as CSV: from_seconds,to_seconds,types,capacity
// with a header line; '#' lines are comments.
func ReadICE(r io.Reader) (ICE, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = 4
	header, err := cr.Read()
	if err != nil {
		return ICE{}, fmt.Errorf("reading ICE scenario: %w", err)
	}
	if strings.Join(header, ",") != "from_seconds,to_seconds,types,capacity" {
		return ICE{}, fmt.Errorf("ICE scenario: want the columns from_seconds,to_seconds,types,capacity (got %q)", strings.Join(header, ","))
	}
	var ice ICE
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return ice, nil
		}
		if err != nil {
			return ICE{}, fmt.Errorf("reading ICE scenario: %w", err)
		}
		from, e1 := strconv.ParseFloat(rec[0], 64)
		to, e2 := strconv.ParseFloat(rec[1], 64)
		if err := errors.Join(e1, e2); err != nil || to <= from {
			return ICE{}, fmt.Errorf("ICE scenario: span %v to %v is not a span of seconds", rec[0], rec[1])
		}
		capacity := strings.ToLower(strings.TrimSpace(rec[3]))
		if capacity != "spot" && capacity != "on-demand" && capacity != "*" {
			return ICE{}, fmt.Errorf("ICE scenario: capacity %q must be spot, on-demand or *", rec[3])
		}
		ice.Spans = append(ice.Spans, ICESpan{From: seconds(from), To: seconds(to), Types: strings.TrimSpace(rec[2]), Capacity: capacity})
	}
}

// short reports whether the offering of typ (a type's name and family) in
// the capacity type has no capacity at offset at.
func (ice *ICE) short(name, family string, spot bool, at time.Duration) bool {
	if ice == nil {
		return false
	}
	for _, s := range ice.Spans {
		if at < s.From || at >= s.To {
			continue
		}
		if s.Types != "*" && s.Types != name && s.Types != family {
			continue
		}
		if s.Capacity == "*" || (s.Capacity == "spot") == spot {
			return true
		}
	}
	return false
}
