package jobevents

import "github.com/tanda-batch/tanda/infra/iamactions"

// Actions are the IAM actions of every EventBridge call this package can
// make (the methods of its eventsAPI).
func Actions() []string { return iamactions.Of("events", (*eventsAPI)(nil)) }
