package dynamo

import (
	"encoding/base64"
	"encoding/json"

	"github.com/tanda-batch/tanda/batch"
)

// cursor is where a listing stopped in each part of its plan (the sort
// key of the last job it returned there, or that the part is done), and
// the merge key of the last job it returned.
type cursor struct {
	Index string   `json:"i"`
	Parts int      `json:"n"`
	After []string `json:"a"`
	Done  []bool   `json:"d"`
	Last  string   `json:"l,omitempty"`
}

// encode makes the opaque token of c for plan.
func (c cursor) encode(plan listPlan) string {
	c.Index, c.Parts = plan.index.name, len(plan.parts)
	raw, _ := json.Marshal(c) // strings and bools always encode
	return base64.RawURLEncoding.EncodeToString(raw)
}

// decodeCursor reads a token encode made for the same plan; "" starts at
// the beginning. A bad token is the caller's mistake.
func decodeCursor(token string, plan listPlan) (cursor, error) {
	n := len(plan.parts)
	if token == "" {
		return cursor{After: make([]string, n), Done: make([]bool, n)}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	var c cursor
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil || c.Index != plan.index.name || c.Parts != n || len(c.After) != n || len(c.Done) != n {
		return cursor{}, batch.Clientf("invalid pagination token")
	}
	return c, nil
}
