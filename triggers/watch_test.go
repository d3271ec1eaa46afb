package triggers_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/triggers"
)

// settle is the watchers' settle time in these tests.
const settle = time.Second

// watched is a rig with a watcher over a temporary root.
type watched struct {
	*rig
	root string
	w    *triggers.Watcher
}

func newWatched(t *testing.T) *watched {
	t.Helper()
	r := newRig(t)
	root := t.TempDir()
	return &watched{rig: r, root: root, w: r.newWatcher(root)}
}

func (r *rig) newWatcher(root string) *triggers.Watcher {
	return triggers.NewWatcher(r.ctl, r.db, triggers.WatcherOptions{Root: root, Settle: settle, Clock: r.clk, Logger: quietLogger()})
}

// put writes a file of bucket with the given content and modification
// time.
func (w *watched) put(t *testing.T, bucket, key, content string, mod time.Time) {
	t.Helper()
	path := filepath.Join(w.root, bucket, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mod, mod); err != nil {
		t.Fatal(err)
	}
}

// scan runs one scan and returns the keys it submitted jobs for, by rule
// ("rule key"), sorted.
func (w *watched) scan(t *testing.T) []string {
	t.Helper()
	subs, err := w.w.Scan(w.ctx)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	var got []string
	for _, s := range subs {
		got = append(got, s.Rule+" "+s.Object.Key)
	}
	slices.Sort(got)
	return got
}

func wantScan(t *testing.T, step string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: submitted %q, want %q", step, got, want)
	}
}

func TestWatcherSubmitsEachFileVersionOnce(t *testing.T) {
	w := newWatched(t)
	w.createRule(t, "csv", "uploads", "in/", ".csv")
	now := w.clk.Now()

	wantScan(t, "no files", w.scan(t))
	if _, err := os.Stat(w.w.Dir("uploads")); err != nil {
		t.Errorf("the bucket's directory was not created: %v", err)
	}

	w.put(t, "uploads", "in/a b.csv", "1", now)
	w.put(t, "uploads", "in/sub/c.csv", "2", now.Add(-time.Minute))
	w.put(t, "uploads", "in/skip.txt", "3", now.Add(-time.Minute))
	w.put(t, "uploads", "in/.partial.csv", "4", now.Add(-time.Minute))
	w.put(t, "uploads", "in/.hidden/d.csv", "5", now.Add(-time.Minute))
	wantScan(t, "a settled file and one being written", w.scan(t), "csv in/sub/c.csv")

	w.clk.Advance(settle)
	wantScan(t, "the written file settled", w.scan(t), "csv in/a b.csv")
	wantScan(t, "nothing new", w.scan(t))

	w.put(t, "uploads", "in/a b.csv", "1 and more", now.Add(time.Millisecond))
	w.clk.Advance(settle)
	wantScan(t, "a new version", w.scan(t), "csv in/a b.csv")

	jobs := w.jobs(t)
	if len(jobs) != 3 {
		t.Fatalf("jobs = %d, want 3", len(jobs))
	}
	if got, want := jobs[0].Container.Command, []string{"echo", "s3://uploads/in/a b.csv", "10"}; !slices.Equal(got, want) {
		t.Errorf("newest job's command = %q, want %q", got, want)
	}
}

func TestWatcherRemembersAcrossRestarts(t *testing.T) {
	w := newWatched(t)
	w.createRule(t, "all", "uploads", "", "")
	w.put(t, "uploads", "a", "1", w.clk.Now().Add(-time.Minute))
	wantScan(t, "first start", w.scan(t), "all a")

	w.w = w.newWatcher(w.root)
	wantScan(t, "after a restart", w.scan(t))
	if n := len(w.jobs(t)); n != 1 {
		t.Errorf("jobs = %d, want 1", n)
	}
}

func TestWatcherWithTwoRulesOnOneBucket(t *testing.T) {
	w := newWatched(t)
	w.createRule(t, "all", "uploads", "", "")
	w.put(t, "uploads", "a.csv", "1", w.clk.Now().Add(-time.Minute))
	wantScan(t, "one rule", w.scan(t), "all a.csv")

	// A new rule acts on the files already there; the old one does not
	// again.
	w.createRule(t, "csv", "uploads", "", ".csv")
	wantScan(t, "a second rule", w.scan(t), "csv a.csv")
}

func TestWatcherForgetsWhatIsGone(t *testing.T) {
	w := newWatched(t)
	w.createRule(t, "all", "uploads", "", "")
	old := w.clk.Now().Add(-time.Minute)
	w.put(t, "uploads", "a", "1", old)
	w.put(t, "uploads", "b", "2", old)
	wantScan(t, "first", w.scan(t), "all a", "all b")
	seen := func() int {
		items, err := w.db.ListItems(w.ctx, triggers.KindSeen, "")
		if err != nil {
			t.Fatalf("listing seen records: %v", err)
		}
		return len(items)
	}
	if n := seen(); n != 2 {
		t.Fatalf("seen records = %d, want 2", n)
	}

	if err := os.Remove(filepath.Join(w.root, "uploads", "b")); err != nil {
		t.Fatal(err)
	}
	wantScan(t, "a file removed", w.scan(t))
	if n := seen(); n != 1 {
		t.Errorf("seen records after a file went = %d, want 1", n)
	}

	// The same rule created again is a new rule: it submits anew.
	if err := w.ctl.DeleteTriggerRule(w.ctx, "all"); err != nil {
		t.Fatal(err)
	}
	wantScan(t, "the rule deleted", w.scan(t))
	if n := seen(); n != 0 {
		t.Errorf("seen records after the rule went = %d, want 0", n)
	}
	w.clk.Advance(time.Second)
	w.createRule(t, "all", "uploads", "", "")
	wantScan(t, "the rule created again", w.scan(t), "all a")
	if n := len(w.jobs(t)); n != 3 {
		t.Errorf("jobs = %d, want 3", n)
	}
}
