package provisioner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// TokenWindow is the time bucket of launch client tokens: the same launch
// decision for the same compute environment within one window carries the
// same token, so a retried or repeated call (a pass that crashed after
// launching, a lagging instance listing) never doubles capacity. The next
// window gives a fresh token, so a decision that is still wanted then is
// launched again.
const TokenWindow = time.Minute

// ClientToken is the idempotency token of launching items for a compute
// environment at now: "tanda-" and 32 hex digits (CreateFleet allows 64).
func ClientToken(ce string, items []LaunchItem, now time.Time) string {
	parts := make([]string, 0, len(items))
	for _, it := range items {
		parts = append(parts, fmt.Sprintf("%s=%d", it.Type.Name, it.Count))
	}
	slices.Sort(parts)
	bucket := now.UTC().Truncate(TokenWindow).Unix()
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\n%s\n%d", ce, strings.Join(parts, ","), bucket))
	return "tanda-" + hex.EncodeToString(sum[:16])
}
