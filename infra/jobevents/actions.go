package jobevents

import "github.com/tanda-batch/tanda/internal/iamactions"

// Actions are the IAM actions of every EventBridge call this package can
// make (the methods of its eventsAPI).
func Actions() []string { return iamactions.Of("events", (*eventsAPI)(nil)) }
