// Package jobrecord is the chaos suite's job program and its records:
// every execution of an attempt writes, from inside the job's own process,
// a file of its own in a directory outside Tanda (RunJob), which the
// checker reads back (ReadExecutions). It uses the standard library only,
// so the job program (../chaosjob) starts in a millisecond.
package jobrecord

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Environment of the chaos job program (RunJob).
const (
	// EnvRecords is the directory where executions record themselves.
	EnvRecords = "TANDA_CHAOS_RECORDS"
	// EnvInstance, when set, names the instance an execution runs on;
	// otherwise it is read from the working directory, which Tanda's
	// agents make `<work root>/<instance>/<job>-<attempt>`.
	EnvInstance = "TANDA_CHAOS_INSTANCE"
)

// aliveEvery is how often a running execution marks that it is alive: the
// last mark bounds the end of an execution that was killed.
const aliveEvery = 100 * time.Millisecond

// Execution is one run of one attempt of a job, as the job's own process
// recorded it.
type Execution struct {
	File     string
	JobID    string
	Attempt  int
	Instance string
	PID      int
	Start    time.Time
	// LastSeen is the end when the execution recorded it, else its last
	// alive mark: it ran at least until then.
	LastSeen time.Time
	Ended    bool // it recorded its end; false when it was killed
	ExitCode int  // valid when Ended
}

func (e Execution) String() string {
	end := "killed, last seen " + e.LastSeen.Format("15:04:05.000")
	if e.Ended {
		end = fmt.Sprintf("exit %d at %s", e.ExitCode, e.LastSeen.Format("15:04:05.000"))
	}
	return fmt.Sprintf("%s attempt %d on %s (pid %d) from %s, %s", e.JobID, e.Attempt, e.Instance, e.PID, e.Start.Format("15:04:05.000"), end)
}

// JobArgs is what a chaos job does, passed on its command line.
type JobArgs struct {
	Sleep     time.Duration // how long it runs
	FailUntil int           // attempts up to this one exit with FailCode
	FailCode  int
	Code      int // the exit code of the other attempts
}

// Command is the job's arguments, for RunJob.
func (a JobArgs) Command() []string {
	return []string{
		"-sleep=" + a.Sleep.String(),
		"-fail-until=" + strconv.Itoa(a.FailUntil),
		"-fail-code=" + strconv.Itoa(a.FailCode),
		"-code=" + strconv.Itoa(a.Code),
	}
}

func parseJobArgs(args []string) (JobArgs, error) {
	var a JobArgs
	fs := flag.NewFlagSet("chaos job", flag.ContinueOnError)
	fs.DurationVar(&a.Sleep, "sleep", 0, "how long to run")
	fs.IntVar(&a.FailUntil, "fail-until", 0, "attempts up to this one fail")
	fs.IntVar(&a.FailCode, "fail-code", 1, "exit code of failing attempts")
	fs.IntVar(&a.Code, "code", 0, "exit code of other attempts")
	if err := fs.Parse(args); err != nil {
		return a, fmt.Errorf("parsing the job's arguments: %w", err)
	}
	return a, nil
}

// RunJob is the chaos job: it records its start, marks that it is alive
// every aliveEvery while it sleeps, and records its end with its exit
// code, which it returns. SIGTERM (a TerminateJob, a timeout) ends it
// early with 143, recorded; SIGKILL ends it unrecorded, and its last alive
// mark stands for its end.
func RunJob(args []string) int {
	a, err := parseJobArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	rec, err := startRecord()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos job:", err)
		return 2
	}
	defer rec.Close()
	code := a.Code
	if rec.attempt <= a.FailUntil {
		code = a.FailCode
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	defer signal.Stop(term)
	tick := time.NewTicker(aliveEvery)
	defer tick.Stop()
	done := time.After(a.Sleep)
	for {
		select {
		case <-done:
			return rec.end(code)
		case <-term:
			return rec.end(143)
		case <-tick.C:
			if err := rec.mark("alive %d\n", time.Now().UnixNano()); err != nil {
				fmt.Fprintln(os.Stderr, "chaos job:", err)
			}
		}
	}
}

type record struct {
	f       *os.File
	attempt int
}

// startRecord creates the execution's file from the AWS_BATCH_* variables
// and writes its first line.
func startRecord() (*record, error) {
	dir := os.Getenv(EnvRecords)
	jobID := os.Getenv("AWS_BATCH_JOB_ID")
	attempt, err := strconv.Atoi(os.Getenv("AWS_BATCH_JOB_ATTEMPT"))
	if dir == "" || jobID == "" || err != nil {
		return nil, fmt.Errorf("%s, AWS_BATCH_JOB_ID and AWS_BATCH_JOB_ATTEMPT must be set", EnvRecords)
	}
	inst := os.Getenv(EnvInstance)
	if inst == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("finding the instance: %w", err)
		}
		inst = filepath.Base(filepath.Dir(wd))
	}
	now := time.Now()
	name := fmt.Sprintf("%s.%d.%d.%d", strings.ReplaceAll(jobID, ":", "_"), attempt, os.Getpid(), now.UnixNano())
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating the execution record: %w", err)
	}
	r := &record{f: f, attempt: attempt}
	if err := r.mark("start %s %d %s %d %d\n", jobID, attempt, inst, os.Getpid(), now.UnixNano()); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func (r *record) mark(format string, args ...any) error {
	if _, err := fmt.Fprintf(r.f, format, args...); err != nil {
		return fmt.Errorf("writing the execution record: %w", err)
	}
	return nil
}

func (r *record) end(code int) int {
	if err := r.mark("end %d %d\n", time.Now().UnixNano(), code); err != nil {
		fmt.Fprintln(os.Stderr, "chaos job:", err)
	}
	return code
}

func (r *record) Close() error { return r.f.Close() }

// ReadExecutions reads every execution recorded in dir.
func ReadExecutions(dir string) ([]Execution, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading executions: %w", err)
	}
	out := make([]Execution, 0, len(entries))
	for _, e := range entries {
		x, err := readExecution(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

func readExecution(path string) (Execution, error) {
	f, err := os.Open(path)
	if err != nil {
		return Execution{}, fmt.Errorf("reading execution: %w", err)
	}
	defer f.Close()
	x := Execution{File: path}
	sc := bufio.NewScanner(f)
	first := true
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		bad := func() (Execution, error) {
			return Execution{}, fmt.Errorf("execution record %s: malformed line %q", path, sc.Text())
		}
		if len(fields) == 0 {
			return bad()
		}
		switch {
		case first && fields[0] == "start" && len(fields) == 6:
			x.JobID, x.Instance = fields[1], fields[3]
			var ns int64
			var err1, err2, err3 error
			x.Attempt, err1 = strconv.Atoi(fields[2])
			x.PID, err2 = strconv.Atoi(fields[4])
			ns, err3 = strconv.ParseInt(fields[5], 10, 64)
			if err := errors.Join(err1, err2, err3); err != nil {
				return bad()
			}
			x.Start = time.Unix(0, ns)
			x.LastSeen = x.Start
		case !first && fields[0] == "alive" && len(fields) == 2 && !x.Ended:
			ns, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return bad()
			}
			x.LastSeen = time.Unix(0, ns)
		case !first && fields[0] == "end" && len(fields) == 3 && !x.Ended:
			ns, err1 := strconv.ParseInt(fields[1], 10, 64)
			code, err2 := strconv.Atoi(fields[2])
			if errors.Join(err1, err2) != nil {
				return bad()
			}
			x.LastSeen, x.ExitCode, x.Ended = time.Unix(0, ns), code, true
		default:
			return bad()
		}
		first = false
	}
	if err := sc.Err(); err != nil {
		return Execution{}, fmt.Errorf("reading execution %s: %w", path, err)
	}
	if first {
		// Created but not yet written: the process was killed between
		// the two. It started; nothing more is known.
		return Execution{}, fmt.Errorf("execution record %s is empty", path)
	}
	return x, nil
}
