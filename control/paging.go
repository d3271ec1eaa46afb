package control

import (
	"encoding/base64"
	"strconv"

	"github.com/tanda-batch/tanda/batch"
)

// pageLimit checks a maxResults member: nil gives def, otherwise 1..max.
func pageLimit(maxResults *int, def, max int) (int, error) {
	if maxResults == nil {
		return def, nil
	}
	if *maxResults < 1 || *maxResults > max {
		return 0, batch.Clientf("maxResults must be between 1 and %d (got %d)", max, *maxResults)
	}
	return *maxResults, nil
}

// offsetToken encodes a position in a sorted listing as an opaque token.
func offsetToken(n int) *string {
	t := base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(n)))
	return &t
}

// parseOffsetToken decodes offsetToken's output; "" is the start.
func parseOffsetToken(tok string) (int, error) {
	if tok == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) < 3 || string(raw[:2]) != "o:" {
		return 0, batch.Clientf("nextToken is not a token this API issued")
	}
	n, err := strconv.Atoi(string(raw[2:]))
	if err != nil || n < 0 {
		return 0, batch.Clientf("nextToken is not a token this API issued")
	}
	return n, nil
}

// page cuts one page out of a sorted listing.
func page[T any](all []T, token string, limit int) ([]T, *string, error) {
	start, err := parseOffsetToken(token)
	if err != nil {
		return nil, nil, err
	}
	if start > len(all) {
		start = len(all)
	}
	end := start + limit
	if end >= len(all) {
		return all[start:], nil, nil
	}
	return all[start:end], offsetToken(end), nil
}
