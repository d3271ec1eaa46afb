// Package capacity keeps the capacity history of each compute environment:
// a Sample a minute of its demand (the vCPUs of the RUNNABLE jobs it
// provides for) against its desired, provisioned and used vCPUs, recorded
// from the provisioner's passes (Recorder) and read back for the API and
// the console's chart (History, package capacity/chart).
//
// Samples are items of the store (kind batch.KindCapacity, key
// "<compute environment>#<minute in epoch ms>") that expire after the
// retention, so both stores keep them with no table of their own: SQLite
// deletes them in its retention sweep, DynamoDB's TTL on the items table.
package capacity

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// Resolution is the time a Sample covers: the passes of one minute are
// aggregated into one sample, so a compute environment costs at most one
// write a minute however often the provisioner runs.
const Resolution = time.Minute

// DefaultRetention is how long samples are kept: a day, enough for the
// console's "last hours" and for a daily cycle, while a compute
// environment's history stays at 1,440 items (about 330 KB, one DynamoDB
// Query page) and costs 1,440 writes a day.
const DefaultRetention = 24 * time.Hour

// Sample is one compute environment's minute.
type Sample struct {
	// At is the start of the minute (UTC); the JSON has it in epoch ms.
	At time.Time `json:"-"`
	// DemandvCpus and DemandJobs are the RUNNABLE jobs the compute
	// environment provides for, and the vCPUs they ask for: the most any
	// pass of the minute saw.
	DemandvCpus float64 `json:"demandvCpus"`
	DemandJobs  int     `json:"demandJobs"`
	// DesiredvCpus is the last decision's desiredvCpus in the minute.
	DesiredvCpus int `json:"desiredvCpus"`
	// ProvisionedvCpus are the vCPUs of its instances that are pending or
	// running, and UsedvCpus those its STARTING and RUNNING attempts hold:
	// the most any pass of the minute saw (so used never exceeds
	// provisioned, and an instance that lived less than a minute shows).
	ProvisionedvCpus float64 `json:"provisionedvCpus"`
	UsedvCpus        float64 `json:"usedvCpus"`
	// MinvCpus and MaxvCpus are its limits at the minute's last pass.
	MinvCpus int `json:"minvCpus"`
	MaxvCpus int `json:"maxvCpus"`
}

// sampleJSON is Sample on the wire and in the store.
type sampleJSON struct {
	At int64 `json:"at"`
	sampleFields
}

// sampleFields are Sample's fields but At, without its methods.
type sampleFields Sample

// MarshalJSON writes At in epoch milliseconds, the API's time unit.
func (s Sample) MarshalJSON() ([]byte, error) {
	return json.Marshal(sampleJSON{At: batch.Millis(s.At), sampleFields: sampleFields(s)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Sample) UnmarshalJSON(b []byte) error {
	var j sampleJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = Sample(j.sampleFields)
	s.At = time.UnixMilli(j.At).UTC()
	return nil
}

// keySeparator ends a compute environment's name in a key; AWS Batch's
// names (letters, digits, hyphens, underscores) never hold it.
const keySeparator = "#"

// itemKey is the key of ce's sample of the minute at.
func itemKey(ce string, at time.Time) string {
	return fmt.Sprintf("%s%s%015d", ce, keySeparator, batch.Millis(at))
}

// item is s as a store item, expiring retention after its minute ends.
func item(ce string, s Sample, retention time.Duration) (batch.Item, error) {
	doc, err := json.Marshal(s)
	if err != nil {
		return batch.Item{}, fmt.Errorf("encoding capacity sample: %w", err)
	}
	return batch.Item{
		Kind:      batch.KindCapacity,
		Key:       itemKey(ce, s.At),
		Doc:       doc,
		ExpiresAt: batch.Millis(s.At.Add(Resolution + retention)),
	}, nil
}

// fromItem reads a stored sample.
func fromItem(it batch.Item) (Sample, error) {
	var s Sample
	if err := json.Unmarshal(it.Doc, &s); err != nil {
		return Sample{}, fmt.Errorf("decoding capacity sample %s: %w", it.Key, err)
	}
	return s, nil
}

// validName reports whether ce can be part of a key.
func validName(ce string) bool { return ce != "" && !strings.Contains(ce, keySeparator) }
