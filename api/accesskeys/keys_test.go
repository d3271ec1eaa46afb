package accesskeys

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/api/sigv4"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
)

var _ sigv4.SecretSource = (*Keys)(nil)

// clock is a settable fake clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func testSealer(t *testing.T, fill byte) *AESSealer {
	t.Helper()
	s, err := NewAESSealer(bytes.Repeat([]byte{fill}, KeySize))
	if err != nil {
		t.Fatalf("NewAESSealer: %v", err)
	}
	return s
}

func newKeys(t *testing.T) (*Keys, *batchtest.Items, *clock) {
	t.Helper()
	store, c := batchtest.NewItems(), &clock{now: t0}
	return New(store, testSealer(t, 1), c), store, c
}

func issue(t *testing.T, k *Keys, description string) AccessKey {
	t.Helper()
	key, err := k.Issue(context.Background(), description)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return key
}

func TestIssueFormat(t *testing.T) {
	k, _, _ := newKeys(t)
	a, b := issue(t, k, "a"), issue(t, k, "b")
	idPattern := regexp.MustCompile(`^TKIA[A-Z2-7]{16}$`)
	secretPattern := regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)
	for _, key := range []AccessKey{a, b} {
		if !idPattern.MatchString(key.ID) {
			t.Errorf("id %q does not match %s", key.ID, idPattern)
		}
		if !secretPattern.MatchString(key.Secret) {
			t.Errorf("secret of %s is %d characters of the wrong form", key.ID, len(key.Secret))
		}
		if !key.CreatedAt.Equal(t0) {
			t.Errorf("CreatedAt = %v, want %v", key.CreatedAt, t0)
		}
	}
	if a.ID == b.ID || a.Secret == b.Secret {
		t.Errorf("two keys share an id or secret: %s, %s", a.ID, b.ID)
	}
}

func TestSecretNeverStored(t *testing.T) {
	k, store, _ := newKeys(t)
	key := issue(t, k, "ci")
	if err := k.Revoke(context.Background(), key.ID); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	forms := []string{key.Secret, base64.StdEncoding.EncodeToString([]byte(key.Secret)), hex.EncodeToString([]byte(key.Secret))}
	items, _ := store.ListItems(context.Background(), batch.KindAccessKey, "")
	if len(items) != 1 {
		t.Fatalf("store holds %d access keys, want 1", len(items))
	}
	for _, form := range forms {
		if bytes.Contains(items[0].Doc, []byte(form)) {
			t.Errorf("stored document %s contains the secret", items[0].Doc)
		}
	}
}

func TestSecretFor(t *testing.T) {
	k, store, c := newKeys(t)
	key := issue(t, k, "ci")
	// A fresh Keys over the same store has no cache: it must decrypt.
	fresh := New(store, testSealer(t, 1), c)
	for name, keys := range map[string]*Keys{"issuer": k, "other process": fresh} {
		got, err := keys.SecretFor(context.Background(), key.ID)
		if err != nil || got != key.Secret {
			t.Errorf("%s: SecretFor = %q, %v; want the issued secret", name, got, err)
		}
	}
	if _, err := k.SecretFor(context.Background(), "TKIANOSUCHKEY0000000"); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Errorf("SecretFor(unknown) error = %v, want sigv4.ErrUnknownKey", err)
	}
}

func TestSecretForCaches(t *testing.T) {
	k, store, c := newKeys(t)
	key := issue(t, k, "ci")
	ctx := context.Background()
	before := store.Gets()
	for range 3 {
		if _, err := k.SecretFor(ctx, key.ID); err != nil {
			t.Fatalf("SecretFor: %v", err)
		}
	}
	if got := store.Gets() - before; got != 0 {
		t.Errorf("store reads within CacheTTL = %d, want 0", got)
	}
	c.now = c.now.Add(CacheTTL)
	if _, err := k.SecretFor(ctx, key.ID); err != nil {
		t.Fatalf("SecretFor: %v", err)
	}
	if got := store.Gets() - before; got != 1 {
		t.Errorf("store reads after CacheTTL = %d, want 1", got)
	}
}

func TestWrongSealerKeyFailsToOpen(t *testing.T) {
	k, store, c := newKeys(t)
	key := issue(t, k, "ci")
	other := New(store, testSealer(t, 2), c)
	_, err := other.SecretFor(context.Background(), key.ID)
	if err == nil || errors.Is(err, sigv4.ErrUnknownKey) {
		t.Errorf("SecretFor with the wrong sealing key: error = %v, want a failure that is not ErrUnknownKey", err)
	}
}

func TestRevoke(t *testing.T) {
	ctx := context.Background()
	k, store, c := newKeys(t)
	keep, gone := issue(t, k, "keep"), issue(t, k, "gone")
	// Another process has the key cached when it is revoked here.
	other := New(store, testSealer(t, 1), c)
	if _, err := other.SecretFor(ctx, gone.ID); err != nil {
		t.Fatalf("SecretFor: %v", err)
	}
	c.now = t0.Add(time.Second)
	if err := k.Revoke(ctx, gone.ID); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if _, err := k.SecretFor(ctx, gone.ID); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Errorf("SecretFor(revoked) error = %v, want sigv4.ErrUnknownKey", err)
	}
	if got, err := k.SecretFor(ctx, keep.ID); err != nil || got != keep.Secret {
		t.Errorf("SecretFor(other key) = %q, %v; want its secret", got, err)
	}
	c.now = t0.Add(CacheTTL)
	if _, err := other.SecretFor(ctx, gone.ID); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Errorf("other process after CacheTTL: SecretFor(revoked) error = %v, want sigv4.ErrUnknownKey", err)
	}
	if err := k.Revoke(ctx, gone.ID); err != nil {
		t.Errorf("revoking again: %v, want nil", err)
	}
	if err := k.Revoke(ctx, "TKIANOSUCHKEY0000000"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("Revoke(unknown) error = %v, want batch.ErrNotFound", err)
	}
}

func TestList(t *testing.T) {
	ctx := context.Background()
	k, _, c := newKeys(t)
	first := issue(t, k, "first")
	c.now = t0.Add(time.Minute)
	second := issue(t, k, "second")
	c.now = t0.Add(2 * time.Minute)
	if err := k.Revoke(ctx, first.ID); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	got, err := k.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	want := []AccessKeyInfo{
		{ID: first.ID, Description: "first", CreatedAt: t0, Revoked: true, RevokedAt: t0.Add(2 * time.Minute)},
		{ID: second.ID, Description: "second", CreatedAt: t0.Add(time.Minute)},
	}
	if len(got) != len(want) {
		t.Fatalf("List = %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Description != w.Description || !g.CreatedAt.Equal(w.CreatedAt) ||
			g.Revoked != w.Revoked || !g.RevokedAt.Equal(w.RevokedAt) {
			t.Errorf("List[%d] = %+v, want %+v", i, g, w)
		}
	}
}

func TestSecretForConcurrentWithRevoke(t *testing.T) {
	ctx := context.Background()
	k, _, _ := newKeys(t)
	key := issue(t, k, "ci")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if got, err := k.SecretFor(ctx, key.ID); err == nil && got != key.Secret {
					t.Errorf("SecretFor = %q, want the issued secret", got)
				}
			}
		})
	}
	if err := k.Revoke(ctx, key.ID); err != nil {
		t.Errorf("Revoke: %v", err)
	}
	wg.Wait()
	if _, err := k.SecretFor(ctx, key.ID); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Errorf("SecretFor after revoke and concurrent lookups: error = %v, want sigv4.ErrUnknownKey", err)
	}
}
