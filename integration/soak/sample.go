package soak

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Sample is what the sampler saw of the process and its data directory at
// one moment, with what the driver did in the interval before it.
type Sample struct {
	At         time.Duration // since the run began
	RSSKiB     int64         // VmRSS
	Goroutines int
	Threads    int
	FDs        int     // entries of /proc/PID/fd
	Sockets    int     // of them sockets
	TCPEstab   int     // of them TCP sockets ESTABLISHED (/proc/PID/net/tcp, tcp6)
	CPU        float64 // cores used in the interval (user + system)
	DBBytes    int64   // tanda.db, its WAL and shared memory
	WALBytes   int64
	OtherBytes int64 // the rest of the data directory: logs, working directories
	OtherFiles int

	// The driver's interval figures.
	Submitted  int     // acknowledged submissions in the interval
	Rate       float64 // of them per second
	Errors     int     // failed submissions in the interval
	P50, P99   time.Duration
	Backlog    int // jobs of the queue not yet finished
	TotalAcked int // acknowledged since the start
	// Of up to 100 jobs created 5 to 35 s before: the median time from
	// creation to start and from start to stop.
	Wait, Run time.Duration
}

// Process samples one process and its data directory.
type Process struct {
	PID     int
	DataDir string
	// Goroutines is the URL of the process's goroutine profile
	// (/debug/pprof/goroutine?debug=1).
	Goroutines string
	Client     *http.Client

	lastCPU   time.Duration // user + system at the last sample
	lastCPUAt time.Time
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// Sample reads the process's figures now. CPU is the share of a core used
// since the previous call (0 the first time).
func (p *Process) Sample(ctx context.Context, now time.Time) (Sample, error) {
	var s Sample
	var err error
	if s.RSSKiB, s.Threads, err = readStatus(p.PID); err != nil {
		return s, err
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.PID))
	if err != nil {
		return s, fmt.Errorf("reading open file descriptors: %w", err)
	}
	s.FDs = len(fds)
	if s.Sockets, s.TCPEstab, err = countSockets(p.PID, fds); err != nil {
		return s, err
	}
	cpu, err := readCPU(p.PID)
	if err != nil {
		return s, err
	}
	if !p.lastCPUAt.IsZero() && now.After(p.lastCPUAt) {
		s.CPU = float64(cpu-p.lastCPU) / float64(now.Sub(p.lastCPUAt))
	}
	p.lastCPU, p.lastCPUAt = cpu, now
	if s.Goroutines, err = p.goroutines(ctx); err != nil {
		return s, err
	}
	if err := p.diskUsage(&s); err != nil {
		return s, err
	}
	return s, nil
}

// readStatus reads VmRSS (KiB) and Threads from /proc/PID/status.
func readStatus(pid int) (rssKiB int64, threads int, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("reading process status: %w", err)
	}
	defer f.Close()
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		switch k {
		case "VmRSS":
			rssKiB, err = strconv.ParseInt(fields[0], 10, 64)
			found++
		case "Threads":
			threads, err = strconv.Atoi(fields[0])
			found++
		}
		if err != nil {
			return 0, 0, fmt.Errorf("reading process status: %s: %w", k, err)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, fmt.Errorf("reading process status: %w", err)
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("reading process status: no VmRSS or Threads (has process %d ended?)", pid)
	}
	return rssKiB, threads, nil
}

// readCPU reads the user and system time of /proc/PID/stat.
func readCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading process CPU time: %w", err)
	}
	// The command name, in parentheses, may hold spaces: fields are
	// counted after its closing parenthesis, from field 3 (state).
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("reading process CPU time: malformed stat %q", b)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("reading process CPU time: malformed stat %q", b)
	}
	var ticks int64
	for _, field := range f[11:13] { // utime (14) and stime (15)
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("reading process CPU time: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// goroutines reads the count on the first line of the goroutine profile,
// "goroutine profile: total N".
func (p *Process) goroutines(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Goroutines, nil)
	if err != nil {
		return 0, fmt.Errorf("counting goroutines: %w", err)
	}
	client := p.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("counting goroutines: %w", err)
	}
	defer res.Body.Close()
	line, err := bufio.NewReader(io.LimitReader(res.Body, 1<<10)).ReadString('\n')
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("counting goroutines: %s answered %s", p.Goroutines, res.Status)
	}
	n, ok := strings.CutPrefix(strings.TrimSpace(line), "goroutine profile: total ")
	if !ok {
		return 0, fmt.Errorf("counting goroutines: unexpected profile %q (%v)", line, err)
	}
	count, err := strconv.Atoi(n)
	if err != nil {
		return 0, fmt.Errorf("counting goroutines: %w", err)
	}
	return count, nil
}

// dbFiles are the SQLite store's files in the data directory.
var dbFiles = map[string]bool{"tanda.db": true, "tanda.db-wal": true, "tanda.db-shm": true}

// diskUsage sums the data directory's regular files: the store's, and
// the rest. Files that vanish while it walks (a job's working directory
// removed) are skipped.
func (p *Process) diskUsage(s *Sample) error {
	err := filepath.WalkDir(p.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(p.DataDir, path)
		switch {
		case dbFiles[rel]:
			s.DBBytes += info.Size()
			if rel == "tanda.db-wal" {
				s.WALBytes = info.Size()
			}
		default:
			s.OtherBytes += info.Size()
			s.OtherFiles++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("measuring the data directory: %w", err)
	}
	return nil
}

// countSockets counts the descriptors that are sockets and, of them, the
// TCP connections in state ESTABLISHED: the socket inodes of the
// descriptors matched to the rows of /proc/PID/net/tcp and tcp6. A
// descriptor closed while it reads is skipped.
func countSockets(pid int, fds []os.DirEntry) (sockets, established int, err error) {
	inodes := make(map[string]bool, len(fds))
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err != nil {
			continue
		}
		if inode, ok := strings.CutPrefix(target, "socket:["); ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	for _, table := range []string{"tcp", "tcp6"} {
		n, err := countEstablished(fmt.Sprintf("/proc/%d/net/%s", pid, table), inodes)
		if err != nil {
			return 0, 0, err
		}
		established += n
	}
	return len(inodes), established, nil
}

// tcpEstablished is the state column's value for ESTABLISHED in
// /proc/net/tcp.
const tcpEstablished = "01"

// countEstablished counts the rows of a /proc/net/tcp table in state
// ESTABLISHED whose inode is one of inodes.
func countEstablished(path string, inodes map[string]bool) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) { // no IPv6
			return 0, nil
		}
		return 0, fmt.Errorf("reading TCP connections: %w", err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n")[1:] {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		f := strings.Fields(line)
		if len(f) < 10 {
			continue
		}
		if f[3] == tcpEstablished && inodes[f[9]] {
			n++
		}
	}
	return n, nil
}
