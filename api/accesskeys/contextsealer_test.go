package accesskeys

import (
	"context"
	"errors"
	"testing"

	"github.com/tanda-batch/tanda/api/sigv4"
	"github.com/tanda-batch/tanda/batch/batchtest"
)

// ctxKey marks the contexts a test passes in.
type ctxKey struct{}

// recordingSealer is a ContextSealer that seals with an AESSealer and
// records the mark on each context it is given.
type recordingSealer struct {
	inner *AESSealer
	seen  []any
	fail  error
}

func (s *recordingSealer) SealContext(ctx context.Context, plaintext []byte) ([]byte, error) {
	s.seen = append(s.seen, ctx.Value(ctxKey{}))
	if s.fail != nil {
		return nil, s.fail
	}
	return s.inner.Seal(plaintext)
}

func (s *recordingSealer) OpenContext(ctx context.Context, sealed []byte) ([]byte, error) {
	s.seen = append(s.seen, ctx.Value(ctxKey{}))
	if s.fail != nil {
		return nil, s.fail
	}
	return s.inner.Open(sealed)
}

func TestContextSealerGetsTheRequestContext(t *testing.T) {
	sealer := &recordingSealer{inner: testSealer(t, 1)}
	store, c := batchtest.NewItems(), &clock{now: t0}
	issuer := NewWithContextSealer(store, sealer, c)
	key, err := issuer.Issue(context.WithValue(context.Background(), ctxKey{}, "issue"), "kms")
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	// Another process, without the issuer's cache, must open the secret.
	reader := NewWithContextSealer(store, sealer, c)
	got, err := reader.SecretFor(context.WithValue(context.Background(), ctxKey{}, "lookup"), key.ID)
	if err != nil || got != key.Secret {
		t.Fatalf("SecretFor = %q, %v; want the issued secret", got, err)
	}
	if want := []any{"issue", "lookup"}; len(sealer.seen) != 2 || sealer.seen[0] != want[0] || sealer.seen[1] != want[1] {
		t.Errorf("sealer saw contexts %v, want %v", sealer.seen, want)
	}
}

func TestContextSealerFailureIsNotAnUnknownKey(t *testing.T) {
	sealer := &recordingSealer{inner: testSealer(t, 1)}
	store, c := batchtest.NewItems(), &clock{now: t0}
	key := issue(t, NewWithContextSealer(store, sealer, c), "kms")
	sealer.fail = errors.New("kms unavailable")
	_, err := NewWithContextSealer(store, sealer, c).SecretFor(context.Background(), key.ID)
	if !errors.Is(err, sealer.fail) || errors.Is(err, sigv4.ErrUnknownKey) {
		t.Errorf("SecretFor with the sealer down = %v, want its error, not an unknown key", err)
	}
}
