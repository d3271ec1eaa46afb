package sqlite_test

import (
	"testing"

	"github.com/tanda-batch/tanda/infra/sqlite"
)

func TestMain(m *testing.M) {
	m.Run()
	sqlite.PrintBatchStats()
}
