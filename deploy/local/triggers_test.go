package local

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/triggers"
)

// upload puts a file in a bucket directory as an upload should: written
// under a hidden name, then renamed.
func upload(t *testing.T, srv *Server, bucket, key, content string) {
	t.Helper()
	path := filepath.Join(srv.BucketsDir(), bucket, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(filepath.Dir(path), ".upload.part")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// succeeded waits until n jobs of the default queue named name have
// succeeded and returns them, newest first.
func succeeded(t *testing.T, srv *Server, name string, n int) []batch.Job {
	t.Helper()
	var jobs []batch.Job
	waitFor(t, 20*time.Second, "the triggered jobs to succeed", func() bool {
		pg, err := srv.db.ListJobs(context.Background(), batch.JobQuery{Queue: DefaultJobQueue, NameExact: name, Limit: 100})
		if err != nil {
			t.Fatalf("listing jobs: %v", err)
		}
		jobs = pg.Jobs
		done := 0
		for _, j := range jobs {
			if j.Status == batch.Succeeded {
				done++
			}
		}
		return done >= n
	})
	if len(jobs) != n {
		t.Fatalf("jobs named %s = %d, want %d", name, len(jobs), n)
	}
	return jobs
}

func TestAFileInABucketDirectoryRunsTheRulesJobOnce(t *testing.T) {
	cfg := fastConfig(t.TempDir())
	cfg.WatchEvery = 50 * time.Millisecond
	srv, stop := runUntilStopped(t, cfg)
	if _, err := srv.Control().CreateTriggerRule(context.Background(), triggers.Rule{
		Name: "greet", Bucket: "uploads", Prefix: "in/", JobQueue: DefaultJobQueue, JobDefinition: ExampleJobDefinition,
		Command: []string{"sh", "-c", "echo got Ref::bucket/Ref::key of Ref::size bytes"},
	}); err != nil {
		t.Fatalf("CreateTriggerRule: %v", err)
	}
	upload(t, srv, "uploads", "in/a b.txt", "hello")
	upload(t, srv, "uploads", "out/ignored.txt", "not for this rule")
	jobs := succeeded(t, srv, "greet", 1)
	if want := []string{"sh", "-c", "echo got uploads/in/a b.txt of 5 bytes"}; !slices.Equal(jobs[0].Container.Command, want) {
		t.Errorf("command = %q, want %q", jobs[0].Container.Command, want)
	}

	// After a restart the first file is known: the second file's job is
	// the only new one.
	stop()
	srv, _ = runUntilStopped(t, cfg)
	upload(t, srv, "uploads", "in/second.txt", "again")
	jobs = succeeded(t, srv, "greet", 2)
	if want := "echo got uploads/in/second.txt of 5 bytes"; jobs[0].Container.Command[2] != want {
		t.Errorf("newest command = %q, want %q", jobs[0].Container.Command[2], want)
	}
}
