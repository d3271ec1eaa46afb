// Package provisionfn is the provisioner's Lambda function. EventBridge
// invokes it every minute; each invocation takes a lease on the stack's
// items table, so that one invocation at a time runs the provisioner, and
// then runs a pass every few seconds until shortly before its deadline.
// The invocations overlap when the function's timeout exceeds the
// schedule's period: the newer one waits for the older one's lease to end
// and takes over, so passes never stop for long.
//
// Before each pass it drains the interruption queue, where EventBridge
// delivers the EC2 events about instances (Spot Instance Interruption
// Warning, Instance Rebalance Recommendation, Instance State-change
// Notification): an instance warned of interruption or going away is
// marked draining, so the pass replaces it, and a terminated one is
// forgotten, ending the attempts it held as host losses.
package provisionfn
