// Package dynamotest measures what Tanda's DynamoDB store costs: a Meter
// wraps a real DynamoDB client (moto's server in the tests) and counts the
// read and write request units each call would be billed on AWS, by
// DynamoDB's published rules, since moto does not report them.
package dynamotest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Usage is what a Meter has counted. Read units are in halves: an
// eventually consistent read of up to 4 KB is one half.
type Usage struct {
	Requests    int
	WriteUnits  int // table and index writes, 1 KB each; transactional ones twice
	IndexWrites int // the part of WriteUnits spent on global secondary indexes
	ReadHalves  int
	// ItemsRead is the items and index entries read: what Queries
	// examined (their ScannedCount) and what GetItem and BatchGetItem
	// returned.
	ItemsRead int
}

// ReadUnits is the read request units, rounded up.
func (u Usage) ReadUnits() float64 { return float64(u.ReadHalves) / 2 }

// Add is u plus o.
func (u Usage) Add(o Usage) Usage {
	return Usage{u.Requests + o.Requests, u.WriteUnits + o.WriteUnits, u.IndexWrites + o.IndexWrites, u.ReadHalves + o.ReadHalves, u.ItemsRead + o.ItemsRead}
}

// Sub is u minus an earlier reading.
func (u Usage) Sub(o Usage) Usage {
	return Usage{u.Requests - o.Requests, u.WriteUnits - o.WriteUnits, u.IndexWrites - o.IndexWrites, u.ReadHalves - o.ReadHalves, u.ItemsRead - o.ItemsRead}
}

// gsi is what the meter knows of an index: its key attributes and the
// other attributes it projects (nil: keys only; all: every attribute).
type gsi struct {
	keys     []string
	projects []string
	all      bool
}

// table is what the meter knows of a table.
type table struct {
	keys    []string
	indexes []gsi
	items   map[string]map[string]types.AttributeValue // by primary key
}

// Meter is a DynamoDB client that counts the capacity its calls use. It
// learns each table's keys and indexes with DescribeTable on first use
// and keeps the items written through it, to price their index updates.
// Only writes made through the Meter are priced correctly.
type Meter struct {
	*dynamodb.Client

	mu     sync.Mutex
	usage  Usage
	tables map[string]*table
}

// NewMeter wraps client.
func NewMeter(client *dynamodb.Client) *Meter {
	return &Meter{Client: client, tables: map[string]*table{}}
}

// Usage is what has been counted so far.
func (m *Meter) Usage() Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.usage
}

// table describes a table once.
func (m *Meter) table(ctx context.Context, name string) (*table, error) {
	m.mu.Lock()
	t, ok := m.tables[name]
	m.mu.Unlock()
	if ok {
		return t, nil
	}
	out, err := m.Client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("metering table %s: %w", name, err)
	}
	t = &table{items: map[string]map[string]types.AttributeValue{}}
	for _, k := range out.Table.KeySchema {
		t.keys = append(t.keys, aws.ToString(k.AttributeName))
	}
	for _, g := range out.Table.GlobalSecondaryIndexes {
		ix := gsi{}
		for _, k := range g.KeySchema {
			ix.keys = append(ix.keys, aws.ToString(k.AttributeName))
		}
		if p := g.Projection; p != nil {
			ix.all = p.ProjectionType == types.ProjectionTypeAll
			ix.projects = p.NonKeyAttributes
		}
		t.indexes = append(t.indexes, ix)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev, ok := m.tables[name]; ok {
		return prev, nil
	}
	m.tables[name] = t
	return t, nil
}

// primaryKey is an item's primary key as a map key.
func (t *table) primaryKey(item map[string]types.AttributeValue) string {
	parts := make([]string, len(t.keys))
	for i, k := range t.keys {
		parts[i] = fmt.Sprint(item[k])
		if s, ok := item[k].(*types.AttributeValueMemberS); ok {
			parts[i] = s.Value
		}
	}
	return strings.Join(parts, "\x00")
}

// entry is an item's entry in an index, or nil if the item has none
// there.
func (ix gsi) entry(t *table, item map[string]types.AttributeValue) map[string]types.AttributeValue {
	if item == nil {
		return nil
	}
	for _, k := range ix.keys {
		if _, ok := item[k]; !ok {
			return nil
		}
	}
	if ix.all {
		return item
	}
	e := map[string]types.AttributeValue{}
	for _, k := range append(append(ix.keys, t.keys...), ix.projects...) {
		if v, ok := item[k]; ok {
			e[k] = v
		}
	}
	return e
}

// record prices replacing old with new (either may be nil) at factor
// (2 for a transaction) and remembers new.
func (m *Meter) record(t *table, old, new map[string]types.AttributeValue, factor int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	size := max(itemSize(old), itemSize(new))
	m.usage.WriteUnits += factor * units(size, 1024)
	for _, ix := range t.indexes {
		before, after := ix.entry(t, old), ix.entry(t, new)
		w := 0
		switch {
		case before == nil && after == nil:
		case before == nil:
			w = units(itemSize(after), 1024)
		case after == nil:
			w = units(itemSize(before), 1024)
		case !sameKeys(ix, before, after):
			w = units(itemSize(before), 1024) + units(itemSize(after), 1024)
		case !equalItems(before, after):
			w = units(itemSize(after), 1024)
		}
		m.usage.WriteUnits += w
		m.usage.IndexWrites += w
	}
	key := t.primaryKey(cmpOr(new, old))
	if new == nil {
		delete(t.items, key)
	} else {
		t.items[key] = new
	}
}

func cmpOr(a, b map[string]types.AttributeValue) map[string]types.AttributeValue {
	if a != nil {
		return a
	}
	return b
}

// sameKeys reports whether two entries of an index have the same key.
func sameKeys(ix gsi, a, b map[string]types.AttributeValue) bool {
	for _, k := range ix.keys {
		if fmt.Sprint(a[k]) != fmt.Sprint(b[k]) {
			return false
		}
	}
	return true
}

// equalItems compares two items attribute by attribute.
func equalItems(a, b map[string]types.AttributeValue) bool {
	if len(a) != len(b) {
		return false
	}
	names := make([]string, 0, len(a))
	for k := range a {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if fmt.Sprintf("%v", a[k]) != fmt.Sprintf("%v", b[k]) {
			return false
		}
	}
	return true
}

// stored is the item the meter last saw written under item's key.
func (m *Meter) stored(t *table, item map[string]types.AttributeValue) map[string]types.AttributeValue {
	m.mu.Lock()
	defer m.mu.Unlock()
	return t.items[t.primaryKey(item)]
}

// read counts a read of n items of size bytes in all.
func (m *Meter) read(n, size int, consistent bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	halves := 2 * units(size, 4096)
	if !consistent {
		halves /= 2
	}
	m.usage.ReadHalves += halves
	m.usage.ItemsRead += n
}

func (m *Meter) request() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.usage.Requests++
}
