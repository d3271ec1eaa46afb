package sim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// SpotTrace is Spot capacity over time, one 0/1 availability series per
// zone, in the format of SkyPilot's spot traces (skypilot-org/spot-traces:
// {"metadata":{"gap_seconds":N},"data":[...]}, where each sample is the
// number of instances available, 1 or 0). A Spot instance runs in a zone
// while the zone's series reads 1; when it turns 0, the instance gets EC2's
// two-minute warning and is then reclaimed. A series shorter than the
// workload repeats.
type SpotTrace struct {
	Zones []SpotZone
}

// SpotZone is one zone's availability.
type SpotZone struct {
	Name      string
	Gap       time.Duration
	Available []bool
}

// ReadSpotTrace reads a SkyPilot spot trace: a JSON file (one zone), or a
// directory whose .json files are one zone each.
func ReadSpotTrace(path string) (SpotTrace, error) {
	st, err := os.Stat(path)
	if err != nil {
		return SpotTrace{}, err
	}
	files := []string{path}
	if st.IsDir() {
		if files, err = filepath.Glob(filepath.Join(path, "*.json")); err != nil {
			return SpotTrace{}, err
		}
		slices.Sort(files)
	}
	var tr SpotTrace
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return SpotTrace{}, err
		}
		var doc struct {
			Metadata struct {
				GapSeconds float64 `json:"gap_seconds"`
			} `json:"metadata"`
			Data []int `json:"data"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return SpotTrace{}, fmt.Errorf("reading spot trace %s: %w", f, err)
		}
		if doc.Metadata.GapSeconds <= 0 || len(doc.Data) == 0 {
			return SpotTrace{}, fmt.Errorf("spot trace %s has no gap_seconds or no data", f)
		}
		z := SpotZone{Name: strings.TrimSuffix(filepath.Base(f), ".json"), Gap: seconds(doc.Metadata.GapSeconds)}
		for _, v := range doc.Data {
			z.Available = append(z.Available, v > 0)
		}
		tr.Zones = append(tr.Zones, z)
	}
	if len(tr.Zones) == 0 {
		return SpotTrace{}, fmt.Errorf("spot trace %s: no .json series", path)
	}
	return tr, nil
}

// tick is the sample of z in force at offset d from the workload's start.
func (z SpotZone) tick(d time.Duration) int {
	return int(d/z.Gap) % len(z.Available)
}

// availableAt reports whether z has Spot capacity at offset d.
func (z SpotZone) availableAt(d time.Duration) bool { return z.Available[z.tick(d)] }

// nextLoss is the first offset after d at which z turns unavailable, or
// false when its series never does.
func (z SpotZone) nextLoss(d time.Duration) (time.Duration, bool) {
	start := z.tick(d)
	base := d - d%z.Gap
	for k := 1; k <= len(z.Available); k++ {
		if !z.Available[(start+k)%len(z.Available)] {
			return base + time.Duration(k)*z.Gap, true
		}
	}
	return 0, false
}
