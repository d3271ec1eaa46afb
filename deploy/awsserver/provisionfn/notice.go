package provisionfn

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// The EC2 events the interruption queue carries, by detail-type.
const (
	DetailSpotInterruption = "EC2 Spot Instance Interruption Warning"
	DetailRebalance        = "EC2 Instance Rebalance Recommendation"
	DetailStateChange      = "EC2 Instance State-change Notification"
)

// sourceEC2 is the source of EC2's own events.
const sourceEC2 = "aws.ec2"

// Action is what a notice asks of the control plane.
type Action int

// Actions.
const (
	// Ignore: the event says nothing Tanda acts on.
	Ignore Action = iota
	// Drain: the instance takes no more work; the provisioner replaces it.
	Drain
	// Forget: the instance is gone; its record goes and the attempts it
	// held end as host losses.
	Forget
)

func (a Action) String() string {
	switch a {
	case Drain:
		return "drain"
	case Forget:
		return "forget"
	}
	return "ignore"
}

// Notice is one EC2 event about an instance.
type Notice struct {
	DetailType string
	InstanceID string
	Action     Action
}

// ec2Detail is the detail of the EC2 events ParseNotice reads; each has
// the instance id, and state changes the new state.
type ec2Detail struct {
	InstanceID string `json:"instance-id"`
	State      string `json:"state"`
}

// ParseNotice reads an EventBridge event delivered to the interruption
// queue. Events that are not about an EC2 instance's fate are Ignore.
func ParseNotice(body []byte) (Notice, error) {
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return Notice{}, fmt.Errorf("reading EC2 event: %w", err)
	}
	n := Notice{DetailType: ev.DetailType}
	if ev.Source != sourceEC2 {
		return n, nil
	}
	var d ec2Detail
	if len(ev.Detail) > 0 {
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			return Notice{}, fmt.Errorf("reading the detail of EC2 event %s (%s): %w", ev.ID, ev.DetailType, err)
		}
	}
	n.InstanceID = d.InstanceID
	if n.InstanceID == "" {
		return n, nil
	}
	switch ev.DetailType {
	case DetailSpotInterruption, DetailRebalance:
		n.Action = Drain
	case DetailStateChange:
		n.Action = stateAction(d.State)
	}
	return n, nil
}

// stateAction is what an instance's new state asks for: a terminated
// instance is forgotten, one on its way out drains.
func stateAction(state string) Action {
	switch state {
	case "terminated":
		return Forget
	case "shutting-down", "stopping", "stopped":
		return Drain
	}
	return Ignore
}
