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
// decision for the same compute environment, made over the same instances,
// within one window carries the same token, so a retried or repeated call
// (a pass that crashed after launching, a lagging instance listing) never
// doubles capacity. The next window gives a fresh token, so a decision that
// is still wanted then is launched again.
const TokenWindow = time.Minute

// ClientToken is the idempotency token of launching items for a compute
// environment at now, decided over the instances seen: "tanda-" and 32 hex
// digits (CreateFleet allows 64). The instances are part of it so that a
// new need of the same shape in the same window, decided once the earlier
// launch's instances are listed, is launched and not answered with the
// earlier launch: only a decision made over the same listing repeats one.
func ClientToken(ce string, items []LaunchItem, seen []Instance, now time.Time) string {
	parts := make([]string, 0, len(items))
	for _, it := range items {
		parts = append(parts, fmt.Sprintf("%s=%d", it.Type.Name, it.Count))
	}
	slices.Sort(parts)
	ids := make([]string, 0, len(seen))
	for _, in := range seen {
		ids = append(ids, in.ID)
	}
	slices.Sort(ids)
	bucket := now.UTC().Truncate(TokenWindow).Unix()
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\n%s\n%s\n%d", ce, strings.Join(parts, ","), strings.Join(ids, ","), bucket))
	return "tanda-" + hex.EncodeToString(sum[:16])
}
