package process

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// markerName is the file in an attempt's working directory that names the
// process group running it, so a restarted agent can find the groups a
// crashed one left behind.
const markerName = ".tanda-process"

// writeMarker records a started process group and its leader's start time
// (which tells a live group from a recycled pid).
func writeMarker(dir string, pgid int) error {
	start, err := startTime(pgid)
	if err != nil {
		return err
	}
	data := fmt.Sprintf("%d %s\n", pgid, start)
	if err := os.WriteFile(filepath.Join(dir, markerName), []byte(data), 0o600); err != nil {
		return fmt.Errorf("recording process group: %w", err)
	}
	return nil
}

// startTime is field 22 of /proc/PID/stat: the process's start time in
// clock ticks since boot.
func startTime(pid int) (string, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", fmt.Errorf("reading process %d: %w", pid, err)
	}
	// The command name (field 2) may hold spaces; fields after it follow
	// the last ')'.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", fmt.Errorf("reading process %d: malformed stat", pid)
	}
	fields := strings.Fields(s[i+1:])
	const startField = 22 - 3 // fields counted from 3 (state) after ')'
	if len(fields) <= startField {
		return "", fmt.Errorf("reading process %d: short stat", pid)
	}
	return fields[startField], nil
}

// ReapOrphans kills the process groups of attempts left running under root
// (an agent's work directory) by an agent that died without stopping them,
// such as one killed with SIGKILL. A group is killed only while its leader
// is the process that was recorded, never a later one that reuses its pid.
// It returns how many groups it killed.
func ReapOrphans(root string) (int, error) {
	killed := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || d.Name() != markerName {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil // gone meanwhile
		}
		var pgid int
		var start string
		if _, err := fmt.Sscanf(string(data), "%d %s", &pgid, &start); err != nil || pgid <= 1 {
			return nil
		}
		if now, err := startTime(pgid); err != nil || now != start {
			return nil // that process has ended
		}
		if err := syscall.Kill(-pgid, syscall.SIGKILL); err == nil {
			killed++
		}
		return nil
	})
	if err != nil {
		return killed, fmt.Errorf("reaping orphaned jobs under %s: %w", root, err)
	}
	return killed, nil
}
