package triggers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// KindSeen is the store's item kind of the file versions a Watcher has
// submitted, keyed by rule, rule creation time and key.
const KindSeen = "trigger-seen"

// Store keeps the file versions a Watcher has submitted, so that a
// restart submits none of them again.
type Store interface {
	PutItem(ctx context.Context, it batch.Item, expectVersion int64) (int64, error)
	ListItems(ctx context.Context, kind, prefix string) ([]batch.Item, error)
	DeleteItem(ctx context.Context, kind, key string, expectVersion int64) error
}

// WatcherOptions configure a Watcher. Only Root is required.
type WatcherOptions struct {
	// Root holds one directory per bucket: the objects of bucket b are the
	// files under Root/b.
	Root string
	// Settle is how long a file must go unchanged before its job is
	// submitted, so that a file being written is not taken half-written
	// (1s).
	Settle time.Duration
	Clock  batch.Clock
	Logger *slog.Logger
}

// Watcher stands in for S3's notifications on one machine: it polls a
// directory per bucket and submits, for each rule, one job per version of
// each file the rule matches, a version being the file's size and
// modification time. Unlike S3, which notifies only of uploads after its
// notifications are configured, it submits for the files a new rule finds
// already there too.
type Watcher struct {
	ctl   Control
	store Store
	disp  *Dispatcher
	opts  WatcherOptions
}

// NewWatcher returns a Watcher submitting through ctl and remembering what
// it submitted in store.
func NewWatcher(ctl Control, store Store, opts WatcherOptions) *Watcher {
	if opts.Settle <= 0 {
		opts.Settle = time.Second
	}
	if opts.Clock == nil {
		opts.Clock = batch.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Watcher{ctl: ctl, store: store, disp: NewDispatcher(ctl, opts.Logger), opts: opts}
}

// Dir is the directory holding the objects of bucket.
func (w *Watcher) Dir(bucket string) string { return filepath.Join(w.opts.Root, bucket) }

// Run scans every interval until ctx is done.
func (w *Watcher) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := w.Scan(ctx); err != nil && ctx.Err() == nil {
				w.opts.Logger.Error("scanning trigger directories", "err", err)
			}
		}
	}
}

// seenDoc is a seen record: the file version submitted last.
type seenDoc struct {
	Version string `json:"version"`
}

// Scan looks once at the directory of every rule's bucket (creating it if
// missing), submits the jobs of file versions not submitted yet, and
// forgets the records of files and rules that are gone. It returns the
// jobs it submitted.
func (w *Watcher) Scan(ctx context.Context) ([]Submission, error) {
	rules, err := w.ctl.TriggerRules(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing trigger rules: %w", err)
	}
	seen, err := w.store.ListItems(ctx, KindSeen, "")
	if err != nil {
		return nil, fmt.Errorf("listing seen files: %w", err)
	}
	records := make(map[string]batch.Item, len(seen))
	for _, it := range seen {
		records[it.Key] = it
	}
	live := map[string]bool{}
	var subs []Submission
	filesOf := map[string]map[string]file{}
	for i := range rules {
		r := &rules[i]
		files, ok := filesOf[r.Bucket]
		if !ok {
			if files, err = w.bucketFiles(r.Bucket); err != nil {
				return subs, err
			}
			filesOf[r.Bucket] = files
		}
		s, err := w.scanRule(ctx, r, files, records, live)
		subs = append(subs, s...)
		if err != nil {
			return subs, err
		}
	}
	return subs, w.forget(ctx, records, live)
}

// bucketFiles lists a bucket directory's files, creating it if missing so
// that users find where to put them.
func (w *Watcher) bucketFiles(bucket string) (map[string]file, error) {
	dir := w.Dir(bucket)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the directory of bucket %s: %w", bucket, err)
	}
	return listFiles(dir)
}

// scanRule submits r's jobs for the settled files it matches whose
// version differs from the one recorded, and records the new versions.
// It marks the records of r's files live.
func (w *Watcher) scanRule(ctx context.Context, r *Rule, files map[string]file, records map[string]batch.Item, live map[string]bool) ([]Submission, error) {
	keys := make([]string, 0, len(files))
	for key := range files {
		if r.Matches(r.Bucket, key) {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	settledBefore := w.opts.Clock.Now().Add(-w.opts.Settle)
	var subs []Submission
	for _, key := range keys {
		f, rk := files[key], seenKey(r, key)
		live[rk] = true
		rec, known := records[rk]
		if (known && recordedVersion(rec) == f.version()) || f.modTime.After(settledBefore) {
			continue
		}
		obj := Object{Bucket: r.Bucket, Key: key, Size: f.size, Sequencer: f.version()}
		s, err := w.disp.Dispatch(ctx, []Rule{*r}, []Object{obj})
		subs = append(subs, s...)
		if err != nil {
			return subs, err
		}
		if err := w.record(ctx, rk, f.version(), rec.Version); err != nil {
			return subs, err
		}
	}
	return subs, nil
}

// record writes the version submitted for a seen key. expect is the
// record's version in the store, 0 if it has none.
func (w *Watcher) record(ctx context.Context, key, version string, expect int64) error {
	doc, err := json.Marshal(seenDoc{Version: version})
	if err != nil {
		return fmt.Errorf("encoding seen file %s: %w", key, err)
	}
	if _, err := w.store.PutItem(ctx, batch.Item{Kind: KindSeen, Key: key, Doc: doc}, expect); err != nil {
		return fmt.Errorf("recording seen file %s: %w", key, err)
	}
	return nil
}

// forget deletes the records no rule's file needs any longer.
func (w *Watcher) forget(ctx context.Context, records map[string]batch.Item, live map[string]bool) error {
	for key := range records {
		if live[key] {
			continue
		}
		if err := w.store.DeleteItem(ctx, KindSeen, key, 0); err != nil && !errors.Is(err, batch.ErrNotFound) {
			return fmt.Errorf("forgetting seen file %s: %w", key, err)
		}
	}
	return nil
}

// seenKey is the key of the record of r's jobs for key. The rule's
// creation time tells a rule from an earlier one of the same name.
func seenKey(r *Rule, key string) string {
	return r.Name + "/" + strconv.FormatInt(r.CreatedAt, 10) + "/" + key
}

// recordedVersion reads a seen record; an unreadable one has no version,
// so its file is submitted again (its job id finds the first job).
func recordedVersion(it batch.Item) string {
	var d seenDoc
	if err := json.Unmarshal(it.Doc, &d); err != nil {
		return ""
	}
	return d.Version
}
