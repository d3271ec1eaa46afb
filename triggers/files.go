package triggers

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"
)

// file is one version of a file in a bucket directory.
type file struct {
	size    int64
	modTime time.Time
}

// version names the file's version by its size and modification time.
func (f file) version() string {
	return fmt.Sprintf("%d-%d", f.size, f.modTime.UnixNano())
}

// listFiles lists the regular files under dir by key: their paths relative
// to dir, with "/" separators. Hidden files and directories (their names
// start with ".") are left out, so that a file can be written under a
// hidden name and renamed when complete. A missing dir has no files.
func listFiles(dir string) (map[string]file, error) {
	files := map[string]file{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // gone while we looked
			}
			return err
		}
		if path != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = file{size: info.Size(), modTime: info.ModTime()}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	return files, nil
}
