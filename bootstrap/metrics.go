package bootstrap

// Metrics is told what the agent does with its attempts, for monitoring
// (an adapter exports it; this package imports no metrics library).
// Implementations must be quick and must not block.
type Metrics interface {
	// AttemptStarted and AttemptEnded bracket each attempt the agent runs
	// (or follows again after a restart).
	AttemptStarted()
	AttemptEnded()
	// LeaseRenewed is told of each heartbeat the control plane accepted;
	// LeaseLost of each attempt whose lease the agent found lost.
	LeaseRenewed()
	LeaseLost()
}

// noMetrics tells nothing.
type noMetrics struct{}

func (noMetrics) AttemptStarted() {}
func (noMetrics) AttemptEnded()   {}
func (noMetrics) LeaseRenewed()   {}
func (noMetrics) LeaseLost()      {}
