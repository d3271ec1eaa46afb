package sqlite_test

import (
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

var (
	_ control.Store  = (*sqlite.DB)(nil)
	_ control.Queues = (*sqlite.DB)(nil)
)
