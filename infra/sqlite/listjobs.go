package sqlite

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

// defaultListLimit is the page size of a query without a Limit.
const defaultListLimit = 100

// listOrder is how a JobOrder sorts: by key, then by id, either way.
type listOrder struct {
	key     string // the sort column
	orderBy string
	after   string // selects the rows past a cursor's (key, id)
}

var listOrders = map[batch.JobOrder]listOrder{
	batch.NewestFirst: {"created_at", "created_at DESC, id DESC", "(created_at, id) < (?, ?)"},
	batch.QueueOrder:  {"runnable_at", "runnable_at, id", "(runnable_at, id) > (?, ?)"},
	batch.IndexOrder:  {"array_index", "array_index, id", "(array_index, id) > (?, ?)"},
}

// ListJobs pages through the jobs q selects. Its cursors name the last row
// returned, so a listing neither skips nor repeats rows when jobs are added
// while it pages. LeaseBefore selects only jobs that hold a lease.
func (db *DB) ListJobs(ctx context.Context, q batch.JobQuery) (batch.JobPage, error) {
	order, ok := listOrders[q.Order]
	if !ok {
		return batch.JobPage{}, fmt.Errorf("listing jobs: unknown order %d", q.Order)
	}
	f, err := jobFilter(q, order)
	if err != nil {
		return batch.JobPage{}, fmt.Errorf("listing jobs: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	query := "SELECT doc, version, " + order.key + ", id FROM jobs" + f.where() +
		" ORDER BY " + order.orderBy + " LIMIT ?"
	rows, err := db.read.db.QueryContext(ctx, query, append(f.args, limit+1)...)
	if err != nil {
		return batch.JobPage{}, fmt.Errorf("listing jobs: %w", err)
	}
	defer rows.Close()
	var (
		page    batch.JobPage
		lastKey int64
		lastID  string
	)
	for rows.Next() {
		if len(page.Jobs) == limit {
			page.Cursor = encodeCursor(q.Order, lastKey, lastID)
			break
		}
		var (
			doc     []byte
			version int64
		)
		if err := rows.Scan(&doc, &version, &lastKey, &lastID); err != nil {
			return batch.JobPage{}, fmt.Errorf("listing jobs: %w", err)
		}
		j, err := decodeJob(doc, version)
		if err != nil {
			return batch.JobPage{}, fmt.Errorf("listing jobs: %w", err)
		}
		page.Jobs = append(page.Jobs, j)
	}
	if err := rows.Err(); err != nil {
		return batch.JobPage{}, fmt.Errorf("listing jobs: %w", err)
	}
	return page, nil
}

// jobFilter turns a query's selection and cursor into a WHERE clause.
func jobFilter(q batch.JobQuery, order listOrder) (filter, error) {
	var f filter
	f.addIf(q.Queue != "", "queue = ?", q.Queue)
	f.addIf(q.ArrayParent != "", "parent != '' AND parent = ?", q.ArrayParent)
	if q.Order == batch.QueueOrder && len(q.Statuses) == 1 && q.Statuses[0] == batch.Runnable {
		f.add("status = 'RUNNABLE'") // the condition of the jobs_runnable index
	}
	if len(q.Statuses) > 0 {
		args := make([]any, len(q.Statuses))
		for i, s := range q.Statuses {
			args[i] = s.String()
		}
		f.add("status IN (?"+strings.Repeat(", ?", len(args)-1)+")", args...)
	}
	f.addIf(q.NameExact != "", "name_lower = ?", strings.ToLower(q.NameExact))
	if q.NamePrefix != "" {
		p := strings.ToLower(q.NamePrefix)
		f.add("substr(name_lower, 1, length(?)) = ?", p, p)
	}
	f.addIf(q.DefinitionName != "", "def_name = ?", q.DefinitionName)
	f.addIf(q.DefinitionPrefix != "", "substr(def_name, 1, length(?)) = ?", q.DefinitionPrefix, q.DefinitionPrefix)
	f.addIf(q.DefinitionArn != "", "def_arn = ?", q.DefinitionArn)
	f.addIf(q.ShareIdentifier != "", "share_id = ?", q.ShareIdentifier)
	f.addIf(q.CreatedAfter != 0, "created_at > ?", q.CreatedAfter)
	f.addIf(q.CreatedBefore != 0, "created_at < ?", q.CreatedBefore)
	f.addIf(q.LeaseBefore != 0, "lease_expires_at != 0 AND lease_expires_at < ?", q.LeaseBefore)
	f.addIf(q.Instance != "", "instance != '' AND instance = ?", q.Instance)
	f.addIf(q.TopLevel, "top_level = 1")
	if q.Cursor != "" {
		key, id, err := decodeCursor(q.Cursor, q.Order)
		if err != nil {
			return filter{}, err
		}
		f.add(order.after, key, id)
	}
	return f, nil
}

// filter is a WHERE clause being built.
type filter struct {
	conds []string
	args  []any
}

func (f *filter) add(cond string, args ...any) {
	f.conds = append(f.conds, cond)
	f.args = append(f.args, args...)
}

func (f *filter) addIf(ok bool, cond string, args ...any) {
	if ok {
		f.add(cond, args...)
	}
}

func (f *filter) where() string {
	if len(f.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(f.conds, " AND ")
}

// encodeCursor makes the token of a listing's last row: its order, sort key
// and id.
func encodeCursor(o batch.JobOrder, key int64, id string) string {
	raw := strconv.Itoa(int(o)) + "|" + strconv.FormatInt(key, 10) + "|" + id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeCursor reads a token encodeCursor made for the same order. A bad
// token is the caller's mistake.
func decodeCursor(token string, o batch.JobOrder) (int64, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, "", batch.Clientf("invalid pagination token")
	}
	parts := strings.SplitN(string(raw), "|", 3)
	if len(parts) != 3 || parts[0] != strconv.Itoa(int(o)) {
		return 0, "", batch.Clientf("invalid pagination token")
	}
	key, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return 0, "", batch.Clientf("invalid pagination token")
	}
	return key, parts[2], nil
}
