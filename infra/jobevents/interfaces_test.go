package jobevents_test

import (
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/infra/jobevents"
)

// The publisher is the control plane's Events sink.
var _ control.Events = (*jobevents.Publisher)(nil)
