package jobrecord

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRunJobRecordsItsExecution runs the job in this process, as attempt
// 2 of a job whose first attempt fails: it exits 0 and its record reads
// back with its job, attempt, instance (from the working directory) and
// end; a record cut short reads as killed at its last alive mark.
func TestRunJobRecordsItsExecution(t *testing.T) {
	dir := t.TempDir()
	work := filepath.Join(t.TempDir(), "i-0abc", "job-2")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)
	t.Setenv(EnvRecords, dir)
	t.Setenv("AWS_BATCH_JOB_ID", "j:3")
	t.Setenv("AWS_BATCH_JOB_ATTEMPT", "2")
	args := JobArgs{Sleep: 250 * time.Millisecond, FailUntil: 1, FailCode: 3}.Command()
	if code := RunJob(args); code != 0 {
		t.Fatalf("attempt 2 of a job failing until attempt 1 exited %d, want 0", code)
	}
	t.Setenv("AWS_BATCH_JOB_ATTEMPT", "1")
	if code := RunJob(args); code != 3 {
		t.Fatalf("attempt 1 exited %d, want 3", code)
	}
	killed := filepath.Join(dir, "killed")
	if err := os.WriteFile(killed, []byte("start j:3 3 i-0abc 42 1000000000\nalive 2000000000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	xs, err := ReadExecutions(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != 3 {
		t.Fatalf("%d executions read, want 3", len(xs))
	}
	byAttempt := map[int]Execution{}
	for _, x := range xs {
		byAttempt[x.Attempt] = x
	}
	for attempt, want := range map[int]int{1: 3, 2: 0} {
		x := byAttempt[attempt]
		if x.JobID != "j:3" || x.Instance != "i-0abc" || !x.Ended || x.ExitCode != want || x.LastSeen.Sub(x.Start) < 250*time.Millisecond {
			t.Errorf("attempt %d read as %+v, want job j:3 on i-0abc ended with %d after 250ms", attempt, x, want)
		}
	}
	if x := byAttempt[3]; x.Ended || x.PID != 42 || !x.LastSeen.Equal(time.Unix(2, 0)) {
		t.Errorf("killed execution read as %+v, want not ended, last seen at 2s", x)
	}
}
