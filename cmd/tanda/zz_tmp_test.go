//go:build linux

package main

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
)

func logTimeline(t *testing.T, led *ledger, jobs map[string]types.JobDetail, restarted time.Time) {
	for _, id := range led.ids(kindRetrySleeper, kindSleeper, kindDependent, kindQuick) {
		j := jobs[id]
		for i, a := range j.Attempts {
			t.Logf("%s %s att%d start %v stop %v inst %s reason %s", aws.ToString(j.JobName), j.Status, i+1,
				time.UnixMilli(aws.ToInt64(a.StartedAt)).Sub(restarted), time.UnixMilli(aws.ToInt64(a.StoppedAt)).Sub(restarted),
				aws.ToString(a.Container.ContainerInstanceArn), aws.ToString(a.StatusReason))
		}
	}
}
