package imds

import (
	"context"
	"fmt"
	"net/url"
)

// instanceTagsPath lists the instance's tags, when its launch enabled
// instance metadata tags (InstanceMetadataTags=enabled).
const instanceTagsPath = "/latest/meta-data/tags/instance/"

// InstanceTag reads one of the instance's tags. found is false when the
// instance has no such tag, or when its launch did not enable instance
// metadata tags (IMDS answers 404 for both).
func (c *Client) InstanceTag(ctx context.Context, key string) (value string, found bool, err error) {
	body, found, err := c.get(ctx, instanceTagsPath+url.PathEscape(key))
	if err != nil {
		return "", false, fmt.Errorf("reading instance tag %s: %w", key, err)
	}
	return string(body), found, nil
}
