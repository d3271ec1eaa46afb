package dynamotest

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// PutItem writes and prices a put; a lost condition still costs the write.
func (m *Meter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	m.request()
	t, err := m.table(ctx, aws.ToString(in.TableName))
	if err != nil {
		return nil, err
	}
	out, err := m.Client.PutItem(ctx, in, opts...)
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		m.record(t, m.stored(t, in.Item), in.Item, 1)
	case errors.As(err, &ccf):
		m.chargeFailed(in.Item, 1)
	}
	return out, err
}

// chargeFailed prices a write that lost its condition.
func (m *Meter) chargeFailed(item map[string]types.AttributeValue, factor int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.usage.WriteUnits += factor * units(itemSize(item), 1024)
}

// DeleteItem deletes and prices a delete.
func (m *Meter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	m.request()
	t, err := m.table(ctx, aws.ToString(in.TableName))
	if err != nil {
		return nil, err
	}
	out, err := m.Client.DeleteItem(ctx, in, opts...)
	if err == nil {
		if old := m.stored(t, in.Key); old != nil {
			m.record(t, old, nil, 1)
		} else {
			m.chargeFailed(in.Key, 1)
		}
	}
	return out, err
}

// UpdateItem updates and prices an update (of a small item: counters).
func (m *Meter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	m.request()
	out, err := m.Client.UpdateItem(ctx, in, opts...)
	if err == nil {
		m.chargeFailed(in.Key, 1)
	}
	return out, err
}

// BatchWriteItem writes and prices the puts DynamoDB processed.
func (m *Meter) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	m.request()
	out, err := m.Client.BatchWriteItem(ctx, in, opts...)
	if err != nil {
		return out, err
	}
	for name, writes := range in.RequestItems {
		t, terr := m.table(ctx, name)
		if terr != nil {
			return nil, terr
		}
		left := len(out.UnprocessedItems[name])
		for _, w := range writes[:len(writes)-left] {
			if w.PutRequest != nil {
				m.record(t, m.stored(t, w.PutRequest.Item), w.PutRequest.Item, 1)
			}
		}
	}
	return out, err
}

// GetItem reads and prices a read.
func (m *Meter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	m.request()
	out, err := m.Client.GetItem(ctx, in, opts...)
	if err == nil {
		n := 0
		if out.Item != nil {
			n = 1
		}
		m.read(n, itemSize(out.Item), aws.ToBool(in.ConsistentRead))
	}
	return out, err
}

// BatchGetItem reads and prices each item read.
func (m *Meter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	m.request()
	out, err := m.Client.BatchGetItem(ctx, in, opts...)
	if err == nil {
		for name, items := range out.Responses {
			consistent := aws.ToBool(in.RequestItems[name].ConsistentRead)
			for _, it := range items {
				m.read(1, itemSize(it), consistent)
			}
		}
	}
	return out, err
}

// Query reads and prices a page: the size of what it returned, together;
// the items it read are those it examined (ScannedCount), which a filter
// may have left out of what it returned.
func (m *Meter) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	m.request()
	out, err := m.Client.Query(ctx, in, opts...)
	if err == nil {
		size := 0
		for _, it := range out.Items {
			size += itemSize(it)
		}
		m.read(max(int(out.ScannedCount), len(out.Items)), size, aws.ToBool(in.ConsistentRead))
	}
	return out, err
}
