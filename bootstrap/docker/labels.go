package docker

import (
	"fmt"
	"strconv"
)

// Labels on every container the runtime makes.
const (
	LabelJobID    = "tanda.job-id"
	LabelAttempt  = "tanda.attempt"
	LabelInstance = "tanda.instance-id"
)

// labels names an attempt's container.
func labels(instanceID, jobID string, attempt int) map[string]string {
	return map[string]string{
		LabelJobID:    jobID,
		LabelAttempt:  strconv.Itoa(attempt),
		LabelInstance: instanceID,
	}
}

// attemptOf reads the job and attempt back from a container's labels.
func attemptOf(l map[string]string) (jobID string, attempt int, err error) {
	jobID = l[LabelJobID]
	if jobID == "" {
		return "", 0, fmt.Errorf("no %s label", LabelJobID)
	}
	attempt, err = strconv.Atoi(l[LabelAttempt])
	if err != nil {
		return "", 0, fmt.Errorf("bad %s label %q", LabelAttempt, l[LabelAttempt])
	}
	return jobID, attempt, nil
}
