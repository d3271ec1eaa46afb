package local

import (
	"path/filepath"

	"github.com/tanda-batch/tanda/triggers"
)

// BucketsDirName is the directory of the data directory holding one
// directory per bucket of the trigger rules: the objects of bucket b are
// the files under buckets/b.
const BucketsDirName = "buckets"

// BucketsDir is where files are put to trigger jobs, one directory per
// bucket.
func (s *Server) BucketsDir() string { return filepath.Join(s.cfg.DataDir, BucketsDirName) }

// newWatcher makes the stand-in for S3's notifications: a watcher of the
// bucket directories that submits the trigger rules' jobs.
func (s *Server) newWatcher() *triggers.Watcher {
	return triggers.NewWatcher(s.ctl, s.db, triggers.WatcherOptions{
		Root:   s.BucketsDir(),
		Clock:  s.cfg.Clock,
		Logger: s.cfg.Logger.With("component", "triggers"),
	})
}
