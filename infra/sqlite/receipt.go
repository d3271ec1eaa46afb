package sqlite

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
)

// receiptSource issues receipts: "<nonce>:<message id>", where the nonce is
// a random prefix drawn when the DB opens and a counter, so receipts are
// unique across receives and restarts, and Delete finds the message by key.
type receiptSource struct {
	prefix string
	n      atomic.Uint64
}

func newReceiptSource() (*receiptSource, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("seeding receipts: %w", err)
	}
	return &receiptSource{prefix: hex.EncodeToString(b)}, nil
}

// next returns a new receipt for the message id.
func (s *receiptSource) next(id string) string {
	return s.prefix + "-" + strconv.FormatUint(s.n.Add(1), 36) + ":" + id
}

// receiptID returns the message id a receipt names.
func receiptID(receipt string) (string, error) {
	_, id, ok := strings.Cut(receipt, ":")
	if !ok || id == "" {
		return "", fmt.Errorf("malformed receipt %q", receipt)
	}
	return id, nil
}
