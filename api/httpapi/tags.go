package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

// tagsEndpoint routes /v1/tags/{resourceArn}: POST tags, GET lists, DELETE
// untags. label is the escaped ARN segment; SDKs percent-encode the ARN's
// ":" and "/", so it must be one segment and is unescaped here.
func (h *Handler) tagsEndpoint(r *http.Request, label string) (endpoint, error) {
	if strings.Contains(label, "/") {
		return endpoint{}, clientErrorf("unknown operation %q: the resource ARN must be percent-encoded in one path segment",
			truncate(r.Method+" "+r.URL.EscapedPath(), 200))
	}
	arn, err := url.PathUnescape(label)
	if err != nil {
		return endpoint{}, clientErrorf("invalid resource ARN in path: %v", err)
	}
	if arn == "" {
		return endpoint{}, clientErrorf("missing required member resourceArn")
	}
	switch r.Method {
	case http.MethodPost:
		return endpoint{name: "TagResource", serve: func(ctx context.Context, body []byte) (any, error) {
			return h.tagResource(ctx, arn, body)
		}}, nil
	case http.MethodGet:
		return endpoint{name: "ListTagsForResource", serve: func(ctx context.Context, _ []byte) (any, error) {
			return h.listTags(ctx, arn)
		}}, nil
	case http.MethodDelete:
		keys, err := tagKeys(r.URL.RawQuery)
		if err != nil {
			return endpoint{}, err
		}
		return endpoint{name: "UntagResource", serve: func(ctx context.Context, _ []byte) (any, error) {
			return h.untagResource(ctx, arn, keys)
		}}, nil
	default:
		return endpoint{}, wrongMethod("/v1/tags/{resourceArn}", r.Method, http.MethodPost, http.MethodGet, http.MethodDelete)
	}
}

// tagResource serves TagResource: body {"tags":{...}}, answer {}.
func (h *Handler) tagResource(ctx context.Context, arn string, body []byte) (any, error) {
	var in batch.TagResourceInput
	if err := decode(body, &in, []string{"tags"}); err != nil {
		return nil, err
	}
	if err := h.backend.TagResource(ctx, arn, in.Tags); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// untagResource serves UntagResource; answer {}.
func (h *Handler) untagResource(ctx context.Context, arn string, keys []string) (any, error) {
	if err := h.backend.UntagResource(ctx, arn, keys); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// listTags serves ListTagsForResource; a resource without tags answers
// {"tags":{}}.
func (h *Handler) listTags(ctx context.Context, arn string) (any, error) {
	tags, err := h.backend.ListTagsForResource(ctx, arn)
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	return batch.TagsOutput{Tags: tags}, nil
}

// tagKeys reads UntagResource's keys from repeated tagKeys query parameters.
func tagKeys(rawQuery string) ([]string, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, clientErrorf("invalid query string: %v", err)
	}
	keys := q["tagKeys"]
	if len(keys) == 0 {
		return nil, clientErrorf("missing required member tagKeys")
	}
	return keys, nil
}
