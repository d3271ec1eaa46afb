package sim

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Job is one job of a trace: when it is submitted (from the trace's
// start), how long it runs once started, and what it asks for.
type Job struct {
	ID        string
	Submit    time.Duration
	Run       time.Duration
	VCPUs     float64
	MemoryMiB int64
	GPUs      int64
}

// Trace is a workload: jobs in submission order.
type Trace struct {
	Name string
	Jobs []Job
	// Skipped counts the trace's records that describe no runnable job
	// (no run time, no processors), with Reasons saying why, by count.
	Skipped int
	Reasons map[string]int
	// MachineVCPUs is the size of the machine the trace ran on, when its
	// header says (SWF's MaxProcs): the static baseline's fleet.
	MachineVCPUs int
}

func (t *Trace) skip(reason string) {
	t.Skipped++
	if t.Reasons == nil {
		t.Reasons = map[string]int{}
	}
	t.Reasons[reason]++
}

// sortJobs orders the jobs by submission, keeping the trace's order on ties.
func (t *Trace) sortJobs() {
	slices.SortStableFunc(t.Jobs, func(a, b Job) int { return cmp.Compare(a.Submit, b.Submit) })
}

// DefaultMemoryPerVCPU is what a job of a trace without memory asks per
// vCPU: 2 GiB, the compute-optimised families' ratio.
const DefaultMemoryPerVCPU = 2048

// ReadSWF reads the Standard Workload Format of the Parallel Workloads
// Archive: ';' comments, then one job per line in 18 fields. A job asks for
// its allocated processors (or, when unknown, its requested ones), each a
// vCPU, and its requested memory (KB per processor) or DefaultMemoryPerVCPU
// when the trace has none; it runs for its recorded run time.
func ReadSWF(name string, r io.Reader) (Trace, error) {
	tr := Trace{Name: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(text, "; MaxProcs:"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(rest)); err == nil {
				tr.MachineVCPUs = n
			}
		}
		if text == "" || strings.HasPrefix(text, ";") {
			continue
		}
		f := strings.Fields(text)
		if len(f) < 18 {
			return Trace{}, fmt.Errorf("%s line %d: %d fields, want 18", name, line, len(f))
		}
		num := func(i int) (float64, error) { return strconv.ParseFloat(f[i], 64) }
		submit, err1 := num(1)
		run, err2 := num(3)
		alloc, err3 := num(4)
		req, err4 := num(7)
		mem, err5 := num(9)
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
			return Trace{}, fmt.Errorf("%s line %d: %w", name, line, err)
		}
		procs := alloc
		if procs <= 0 {
			procs = req
		}
		switch {
		case run <= 0:
			tr.skip("no run time")
			continue
		case procs <= 0:
			tr.skip("no processors")
			continue
		}
		memory := int64(procs) * DefaultMemoryPerVCPU
		if mem > 0 {
			memory = int64(mem * procs / 1024)
		}
		tr.Jobs = append(tr.Jobs, Job{
			ID: f[0], Submit: seconds(submit), Run: seconds(run),
			VCPUs: procs, MemoryMiB: max(memory, 1),
		})
	}
	if err := sc.Err(); err != nil {
		return Trace{}, fmt.Errorf("reading %s: %w", name, err)
	}
	tr.rebase()
	return tr, nil
}

// ReadAlibaba reads the pod list of Alibaba's GPU cluster trace 2023
// (name, cpu_milli, memory_mib, num_gpu, gpu_milli, gpu_spec, qos,
// pod_phase, creation_time, deletion_time, scheduled_time). A pod is
// submitted at its creation and runs from its scheduling to its deletion
// (a pod never scheduled, left Pending, is skipped: it ran nothing);
// it asks for cpu_milli/1000 vCPUs, its memory, and num_gpu whole GPUs
// (AWS Batch has no fractional GPUs, so a pod sharing a GPU gets one).
func ReadAlibaba(name string, r io.Reader) (Trace, error) {
	tr := Trace{Name: name}
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return Trace{}, fmt.Errorf("reading %s: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, want := range []string{"name", "cpu_milli", "memory_mib", "num_gpu", "creation_time", "deletion_time", "scheduled_time"} {
		if _, ok := col[want]; !ok {
			return Trace{}, fmt.Errorf("%s: no column %q", name, want)
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Trace{}, fmt.Errorf("reading %s: %w", name, err)
		}
		if strings.TrimSpace(rec[col["scheduled_time"]]) == "" {
			tr.skip("never scheduled (Pending)")
			continue
		}
		num := func(c string) (float64, error) { return strconv.ParseFloat(rec[col[c]], 64) }
		cpu, e1 := num("cpu_milli")
		mem, e2 := num("memory_mib")
		gpus, e3 := num("num_gpu")
		created, e4 := num("creation_time")
		deleted, e5 := num("deletion_time")
		scheduled, e6 := num("scheduled_time")
		if err := errors.Join(e1, e2, e3, e4, e5, e6); err != nil {
			return Trace{}, fmt.Errorf("%s, pod %s: %w", name, rec[col["name"]], err)
		}
		start := max(scheduled, created)
		switch {
		case deleted <= start:
			tr.skip("no run time")
			continue
		case cpu <= 0:
			tr.skip("no CPU")
			continue
		}
		tr.Jobs = append(tr.Jobs, Job{
			ID: rec[col["name"]], Submit: seconds(created), Run: seconds(deleted - start),
			VCPUs: cpu / 1000, MemoryMiB: max(int64(mem), 1), GPUs: int64(gpus),
		})
	}
	tr.rebase()
	return tr, nil
}

// ReadCSV reads a trace of Tanda's own: a header, then submit (seconds),
// run (seconds), vcpus, memory_mib and gpus per line; an optional id
// column names the jobs.
func ReadCSV(name string, r io.Reader) (Trace, error) {
	tr := Trace{Name: name}
	cr := csv.NewReader(r)
	cr.Comment = '#'
	header, err := cr.Read()
	if err != nil {
		return Trace{}, fmt.Errorf("reading %s: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, want := range []string{"submit", "run", "vcpus", "memory_mib"} {
		if _, ok := col[want]; !ok {
			return Trace{}, fmt.Errorf("%s: no column %q (want submit,run,vcpus,memory_mib[,gpus][,id])", name, want)
		}
	}
	line := 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line++
		if err != nil {
			return Trace{}, fmt.Errorf("reading %s: %w", name, err)
		}
		num := func(c string) (float64, error) {
			i, ok := col[c]
			if !ok {
				return 0, nil
			}
			return strconv.ParseFloat(strings.TrimSpace(rec[i]), 64)
		}
		submit, e1 := num("submit")
		run, e2 := num("run")
		vcpus, e3 := num("vcpus")
		mem, e4 := num("memory_mib")
		gpus, e5 := num("gpus")
		if err := errors.Join(e1, e2, e3, e4, e5); err != nil {
			return Trace{}, fmt.Errorf("%s line %d: %w", name, line, err)
		}
		if run <= 0 || vcpus <= 0 || mem <= 0 {
			tr.skip("no run time or resources")
			continue
		}
		id := strconv.Itoa(line - 1)
		if i, ok := col["id"]; ok {
			id = rec[i]
		}
		tr.Jobs = append(tr.Jobs, Job{ID: id, Submit: seconds(submit), Run: seconds(run), VCPUs: vcpus, MemoryMiB: int64(mem), GPUs: int64(gpus)})
	}
	tr.rebase()
	return tr, nil
}

// rebase sorts the jobs and makes the first submission time zero.
func (t *Trace) rebase() {
	t.sortJobs()
	if len(t.Jobs) == 0 {
		return
	}
	first := t.Jobs[0].Submit
	for i := range t.Jobs {
		t.Jobs[i].Submit -= first
	}
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
