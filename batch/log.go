package batch

// LogEvent is one line of a job's log, as CloudWatch Logs keeps it: the
// time it was written (epoch milliseconds) and its text. The log stores
// (files on one machine, CloudWatch Logs on AWS), the agent that writes
// them and the API that reads them all speak it.
type LogEvent struct {
	Timestamp int64  `json:"timestamp"`
	Message   string `json:"message"`
}
