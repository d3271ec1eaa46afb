package accesskeys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/api/sigv4"
	"github.com/tanda-batch/tanda/batch"
)

// CacheTTL is how long SecretFor trusts a secret it has decrypted before
// reading the key again: a key revoked by another process stops working
// here within this time (at once when revoked through the same Keys).
const CacheTTL = time.Minute

// issueAttempts bounds the retries when a new id collides with a stored one.
const issueAttempts = 3

// Store is the part of the control-plane store that keys live in; the
// control.Store implementations satisfy it.
type Store interface {
	// PutItem writes an item if its stored version equals expectVersion
	// (0: absent) and returns the new version, or fails with
	// batch.ErrConflict.
	PutItem(ctx context.Context, it batch.Item, expectVersion int64) (int64, error)
	// GetItem reads an item or returns batch.ErrNotFound.
	GetItem(ctx context.Context, kind, key string) (batch.Item, error)
	// ListItems lists the items of a kind whose key starts with prefix.
	ListItems(ctx context.Context, kind, prefix string) ([]batch.Item, error)
}

// AccessKey is a newly issued key; its Secret is shown once and never again.
type AccessKey struct {
	ID        string
	Secret    string
	CreatedAt time.Time
}

// AccessKeyInfo describes a stored key, without its secret.
type AccessKeyInfo struct {
	ID          string
	Description string
	CreatedAt   time.Time
	Revoked     bool
	RevokedAt   time.Time // zero unless Revoked
}

// record is the stored document of a key.
type record struct {
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
	CreatedAt   int64  `json:"createdAt"` // epoch ms
	// SealedSecret is the secret as the Sealer sealed it (base64 in JSON).
	SealedSecret []byte `json:"sealedSecret"`
	RevokedAt    int64  `json:"revokedAt,omitempty"` // epoch ms; 0: active
}

// Keys issues and looks up access keys. It is safe for concurrent use.
type Keys struct {
	store  Store
	sealer ContextSealer
	clock  batch.Clock

	mu    sync.Mutex
	cache map[string]cachedSecret
	// forgets counts cache removals, so that a lookup racing with a revoke
	// does not cache the secret it read before the revoke.
	forgets uint64
}

type cachedSecret struct {
	secret string
	loaded time.Time
}

// New makes a Keys over a store, sealing secrets with sealer.
func New(store Store, sealer Sealer, clock batch.Clock) *Keys {
	return NewWithContextSealer(store, contextFree{sealer}, clock)
}

// NewWithContextSealer makes a Keys over a store, sealing secrets with a
// sealer that works over the network (KMS on AWS): each call gets the
// context of the request that needs the secret.
func NewWithContextSealer(store Store, sealer ContextSealer, clock batch.Clock) *Keys {
	return &Keys{store: store, sealer: sealer, clock: clock, cache: make(map[string]cachedSecret)}
}

// Issue creates a key and returns it with its secret.
func (k *Keys) Issue(ctx context.Context, description string) (AccessKey, error) {
	secret := newSecret()
	sealed, err := k.sealer.SealContext(ctx, []byte(secret))
	if err != nil {
		return AccessKey{}, fmt.Errorf("issuing access key: sealing secret: %w", err)
	}
	now := k.clock.Now()
	for range issueAttempts {
		rec := record{ID: newKeyID(), Description: description, CreatedAt: batch.Millis(now), SealedSecret: sealed}
		_, err := k.put(ctx, rec, 0)
		if errors.Is(err, batch.ErrConflict) {
			continue // the id is taken: draw another
		}
		if err != nil {
			return AccessKey{}, fmt.Errorf("issuing access key: %w", err)
		}
		k.remember(rec.ID, secret, now)
		return AccessKey{ID: rec.ID, Secret: secret, CreatedAt: time.UnixMilli(rec.CreatedAt)}, nil
	}
	return AccessKey{}, fmt.Errorf("issuing access key: %d ids in a row were taken", issueAttempts)
}

// SecretFor returns the secret of an active key, or an error wrapping
// sigv4.ErrUnknownKey if the key does not exist or is revoked. It satisfies
// sigv4.SecretSource.
func (k *Keys) SecretFor(ctx context.Context, id string) (string, error) {
	now := k.clock.Now()
	k.mu.Lock()
	c, ok := k.cache[id]
	forgets := k.forgets
	k.mu.Unlock()
	if ok && now.Sub(c.loaded) < CacheTTL {
		return c.secret, nil
	}
	rec, _, err := k.get(ctx, id)
	if errors.Is(err, batch.ErrNotFound) {
		k.dropExpired(id)
		return "", fmt.Errorf("looking up access key %s: %w", id, sigv4.ErrUnknownKey)
	}
	if err != nil {
		return "", fmt.Errorf("looking up access key %s: %w", id, err)
	}
	if rec.RevokedAt != 0 {
		k.dropExpired(id)
		return "", fmt.Errorf("looking up access key %s: revoked: %w", id, sigv4.ErrUnknownKey)
	}
	secret, err := k.sealer.OpenContext(ctx, rec.SealedSecret)
	if err != nil {
		return "", fmt.Errorf("looking up access key %s: %w", id, err)
	}
	k.rememberUnlessForgotten(id, string(secret), now, forgets)
	return string(secret), nil
}

// Revoke marks a key revoked; requests it signs are refused from then on.
// Revoking a revoked key does nothing; an unknown key is batch.ErrNotFound.
func (k *Keys) Revoke(ctx context.Context, id string) error {
	defer k.forget(id)
	for range issueAttempts {
		rec, version, err := k.get(ctx, id)
		if err != nil {
			return fmt.Errorf("revoking access key %s: %w", id, err)
		}
		if rec.RevokedAt != 0 {
			return nil
		}
		rec.RevokedAt = batch.Millis(k.clock.Now())
		_, err = k.put(ctx, rec, version)
		if errors.Is(err, batch.ErrConflict) {
			continue // changed since read: read it again
		}
		if err != nil {
			return fmt.Errorf("revoking access key %s: %w", id, err)
		}
		return nil
	}
	return fmt.Errorf("revoking access key %s: %w", id, batch.ErrConflict)
}

// List describes every key, revoked ones included, oldest first.
func (k *Keys) List(ctx context.Context) ([]AccessKeyInfo, error) {
	items, err := k.store.ListItems(ctx, batch.KindAccessKey, "")
	if err != nil {
		return nil, fmt.Errorf("listing access keys: %w", err)
	}
	infos := make([]AccessKeyInfo, 0, len(items))
	for _, it := range items {
		rec, err := decode(it)
		if err != nil {
			return nil, fmt.Errorf("listing access keys: %w", err)
		}
		info := AccessKeyInfo{
			ID:          rec.ID,
			Description: rec.Description,
			CreatedAt:   time.UnixMilli(rec.CreatedAt),
			Revoked:     rec.RevokedAt != 0,
		}
		if info.Revoked {
			info.RevokedAt = time.UnixMilli(rec.RevokedAt)
		}
		infos = append(infos, info)
	}
	slices.SortFunc(infos, func(a, b AccessKeyInfo) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return infos, nil
}

func (k *Keys) get(ctx context.Context, id string) (record, int64, error) {
	it, err := k.store.GetItem(ctx, batch.KindAccessKey, id)
	if err != nil {
		return record{}, 0, err
	}
	rec, err := decode(it)
	return rec, it.Version, err
}

func (k *Keys) put(ctx context.Context, rec record, expectVersion int64) (int64, error) {
	doc, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("encoding access key %s: %w", rec.ID, err)
	}
	return k.store.PutItem(ctx, batch.Item{Kind: batch.KindAccessKey, Key: rec.ID, Doc: doc}, expectVersion)
}

func decode(it batch.Item) (record, error) {
	var rec record
	if err := json.Unmarshal(it.Doc, &rec); err != nil {
		return record{}, fmt.Errorf("decoding access key %s: %w", it.Key, err)
	}
	return rec, nil
}

func (k *Keys) remember(id, secret string, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.cache[id] = cachedSecret{secret: secret, loaded: now}
}

// rememberUnlessForgotten caches a secret read from the store unless a key
// was forgotten since the read began (forgets was k.forgets then).
func (k *Keys) rememberUnlessForgotten(id, secret string, now time.Time, forgets uint64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.forgets == forgets {
		k.cache[id] = cachedSecret{secret: secret, loaded: now}
	}
}

// dropExpired removes a cache entry found stale.
func (k *Keys) dropExpired(id string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.cache, id)
}

// forget removes a key from the cache, and keeps lookups already under way
// from caching it again.
func (k *Keys) forget(id string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.cache, id)
	k.forgets++
}
