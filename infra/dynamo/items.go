package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/tanda-batch/tanda/batch"
)

// sequenceKind is the items-table kind holding NextSequence's counters.
const sequenceKind = batch.KindSequence

// PutItem writes it if its stored version is expectVersion (0: it must not
// exist) and returns the new version; otherwise it fails with an error
// wrapping batch.ErrConflict. it.Version is ignored.
func (s *Store) PutItem(ctx context.Context, it batch.Item, expectVersion int64) (int64, error) {
	if it.Kind == "" || it.Key == "" {
		return 0, fmt.Errorf("putting item: kind and key are required")
	}
	version := expectVersion + 1
	in := &dynamodb.PutItemInput{
		TableName: aws.String(s.opts.ItemsTable),
		Item:      itemAttributes(it, version),
	}
	if expectVersion == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(#k)")
		in.ExpressionAttributeNames = map[string]string{"#k": attrKey}
	} else {
		in.ConditionExpression = aws.String("#v = :v")
		in.ExpressionAttributeNames = map[string]string{"#v": attrVersion}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": num(expectVersion)}
	}
	if _, err := s.api.PutItem(ctx, in); err != nil {
		return 0, fmt.Errorf("putting item %s/%s: %w", it.Kind, it.Key, translate(err))
	}
	return version, nil
}

// itemAttributes is it stored at version.
func itemAttributes(it batch.Item, version int64) map[string]types.AttributeValue {
	m := map[string]types.AttributeValue{
		attrKind:    str(it.Kind),
		attrKey:     str(it.Key),
		attrVersion: num(version),
	}
	if len(it.Doc) > 0 {
		m[attrDoc] = bin(it.Doc)
	}
	if it.ExpiresAt > 0 {
		m[attrExpiresAt] = num(it.ExpiresAt)
		m[attrTTL] = num(ttlSeconds(it.ExpiresAt))
	}
	return m
}

// ttlSeconds is an expiry in ms as DynamoDB's TTL wants it: epoch seconds,
// rounded up so that nothing goes before its time.
func ttlSeconds(ms int64) int64 { return (ms + 999) / 1000 }

// decodeItem reads a stored item.
func decodeItem(m map[string]types.AttributeValue) (batch.Item, error) {
	kind, err1 := getString(m, attrKind)
	key, err2 := getString(m, attrKey)
	doc, err3 := getBinary(m, attrDoc)
	version, err4 := getNumber(m, attrVersion)
	expiresAt, err5 := getNumber(m, attrExpiresAt)
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return batch.Item{}, fmt.Errorf("decoding item: %w", err)
	}
	return batch.Item{Kind: kind, Key: key, Doc: doc, Version: version, ExpiresAt: expiresAt}, nil
}

// itemKey is the primary key of an item.
func itemKey(kind, key string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrKind: str(kind), attrKey: str(key)}
}

// GetItem reads an item or returns batch.ErrNotFound.
func (s *Store) GetItem(ctx context.Context, kind, key string) (batch.Item, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.opts.ItemsTable),
		Key:            itemKey(kind, key),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return batch.Item{}, fmt.Errorf("getting item %s/%s: %w", kind, key, translate(err))
	}
	if out.Item == nil {
		return batch.Item{}, fmt.Errorf("getting item %s/%s: %w", kind, key, batch.ErrNotFound)
	}
	it, err := decodeItem(out.Item)
	if err != nil {
		return batch.Item{}, fmt.Errorf("getting item %s/%s: %w", kind, key, err)
	}
	return it, nil
}

// ListItems lists the items of a kind whose key starts with prefix, by key
// (bytewise, as DynamoDB orders string sort keys).
func (s *Store) ListItems(ctx context.Context, kind, prefix string) ([]batch.Item, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.opts.ItemsTable),
		KeyConditionExpression:    aws.String("#kind = :kind"),
		ExpressionAttributeNames:  map[string]string{"#kind": attrKind},
		ExpressionAttributeValues: map[string]types.AttributeValue{":kind": str(kind)},
		ConsistentRead:            aws.Bool(true),
	}
	if prefix != "" {
		in.KeyConditionExpression = aws.String("#kind = :kind AND begins_with(#key, :prefix)")
		in.ExpressionAttributeNames["#key"] = attrKey
		in.ExpressionAttributeValues[":prefix"] = str(prefix)
	}
	items, err := s.queryItems(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("listing items %s/%s*: %w", kind, prefix, err)
	}
	return items, nil
}

// ListItemRange lists the items of a kind whose keys lie in [from, to), by
// key. It reads eventually consistent pages, at half the cost of a
// strongly consistent one: what it serves (the capacity history) may lag
// a write by a second.
func (s *Store) ListItemRange(ctx context.Context, kind, from, to string) ([]batch.Item, error) {
	if from >= to {
		return nil, nil // DynamoDB refuses a BETWEEN whose bounds are reversed
	}
	items, err := s.queryItems(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.opts.ItemsTable),
		KeyConditionExpression:    aws.String("#kind = :kind AND #key BETWEEN :from AND :to"),
		ExpressionAttributeNames:  map[string]string{"#kind": attrKind, "#key": attrKey},
		ExpressionAttributeValues: map[string]types.AttributeValue{":kind": str(kind), ":from": str(from), ":to": str(to)},
	})
	if err != nil {
		return nil, fmt.Errorf("listing items %s/[%s, %s): %w", kind, from, to, err)
	}
	if n := len(items); n > 0 && items[n-1].Key == to {
		items = items[:n-1] // BETWEEN includes its upper bound
	}
	return items, nil
}

// queryItems reads every page of an items-table Query.
func (s *Store) queryItems(ctx context.Context, in *dynamodb.QueryInput) ([]batch.Item, error) {
	var items []batch.Item
	pages := dynamodb.NewQueryPaginator(s.api, in)
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, translate(err)
		}
		for _, m := range out.Items {
			it, err := decodeItem(m)
			if err != nil {
				return nil, err
			}
			items = append(items, it)
		}
	}
	return items, nil
}

// DeleteItem deletes an item if its version is expectVersion, failing with
// batch.ErrConflict if it is missing or has another version. With
// expectVersion 0 it deletes whatever is there, and succeeds if nothing is.
func (s *Store) DeleteItem(ctx context.Context, kind, key string, expectVersion int64) error {
	in := &dynamodb.DeleteItemInput{
		TableName: aws.String(s.opts.ItemsTable),
		Key:       itemKey(kind, key),
	}
	if expectVersion != 0 {
		in.ConditionExpression = aws.String("#v = :v")
		in.ExpressionAttributeNames = map[string]string{"#v": attrVersion}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": num(expectVersion)}
	}
	if _, err := s.api.DeleteItem(ctx, in); err != nil {
		return fmt.Errorf("deleting item %s/%s: %w", kind, key, translate(err))
	}
	return nil
}

// NextSequence atomically increments and returns a named counter; the
// first value is 1.
func (s *Store) NextSequence(ctx context.Context, name string) (int64, error) {
	out, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.opts.ItemsTable),
		Key:                       itemKey(sequenceKind, name),
		UpdateExpression:          aws.String("ADD #val :one"),
		ExpressionAttributeNames:  map[string]string{"#val": attrValue},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1)},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, fmt.Errorf("next value of sequence %s: %w", name, translate(err))
	}
	v, err := getNumber(out.Attributes, attrValue)
	if err == nil && v == 0 {
		err = errors.New("no value returned")
	}
	if err != nil {
		return 0, fmt.Errorf("next value of sequence %s: %w", name, err)
	}
	return v, nil
}
