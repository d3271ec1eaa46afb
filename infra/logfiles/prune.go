package logfiles

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DeleteOlderThan deletes the streams last written before cutoff, as a
// CloudWatch log group's retention does, and then the directories left
// empty; it returns how many streams it deleted. A stream written again
// after it is deleted starts anew. Files other than streams are left
// alone.
func (s *Store) DeleteOlderThan(ctx context.Context, cutoff time.Time) (int, error) {
	n := 0
	var dirs []string // visited before their contents: removed deepest first
	err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed meanwhile
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if path != s.dir && strings.HasSuffix(d.Name(), dirSuffix) {
				dirs = append(dirs, path)
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(d.Name(), fileSuffix) {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !info.ModTime().Before(cutoff) {
			return nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("deleting expired log streams: %w", err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		// Fails, harmlessly, on a directory that still holds streams or
		// that an Append has just made use of again.
		_ = removeEmptyDir(dirs[i])
	}
	return n, nil
}

// removeEmptyDir removes dir if it is empty.
func removeEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) > 0 {
		return err
	}
	return os.Remove(dir)
}
