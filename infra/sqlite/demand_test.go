package sqlite_test

import (
	"testing"

	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

func TestSummarizeRunnable(t *testing.T) {
	batchtest.CheckSummarizeRunnable(t, openDB(t, sqlite.Options{}), job("base"))
}

func TestStaleJobs(t *testing.T) {
	batchtest.CheckStaleJobs(t, openDB(t, sqlite.Options{}), job("base"))
}
