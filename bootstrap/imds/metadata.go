package imds

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

const (
	identityPath  = "/latest/dynamic/instance-identity/document"
	lifecyclePath = "/latest/meta-data/instance-life-cycle"
	userDataPath  = "/latest/user-data"
	spotPath      = "/latest/meta-data/spot/instance-action"
	rebalancePath = "/latest/meta-data/events/recommendations/rebalance"
)

// Identity describes the instance the agent runs on.
type Identity struct {
	InstanceID       string `json:"instanceId"`
	InstanceType     string `json:"instanceType"`
	Region           string `json:"region"`
	AvailabilityZone string `json:"availabilityZone"`
	AccountID        string `json:"accountId"`
	ImageID          string `json:"imageId"`
	// Lifecycle is "spot" or "on-demand"; empty when IMDS does not say.
	Lifecycle string `json:"-"`
}

// Interruption is a Spot interruption notice: Action ("terminate", "stop"
// or "hibernate") happens at Time.
type Interruption struct {
	Action string    `json:"action"`
	Time   time.Time `json:"time"`
}

// Rebalance is a rebalance recommendation: the instance is at elevated risk
// of interruption since NoticeTime.
type Rebalance struct {
	NoticeTime time.Time `json:"noticeTime"`
}

// Identity reads the instance identity document and the instance's
// lifecycle.
func (c *Client) Identity(ctx context.Context) (Identity, error) {
	var id Identity
	found, err := c.getJSON(ctx, identityPath, &id)
	if err != nil {
		return Identity{}, fmt.Errorf("reading instance identity: %w", err)
	}
	if !found || id.InstanceID == "" {
		return Identity{}, fmt.Errorf("reading instance identity: no document at %s", identityPath)
	}
	life, _, err := c.get(ctx, lifecyclePath)
	if err != nil {
		return Identity{}, fmt.Errorf("reading instance lifecycle: %w", err)
	}
	id.Lifecycle = strings.TrimSpace(string(life))
	return id, nil
}

// UserData returns the instance's user data, empty when it has none.
func (c *Client) UserData(ctx context.Context) ([]byte, error) {
	body, _, err := c.get(ctx, userDataPath)
	if err != nil {
		return nil, fmt.Errorf("reading user data: %w", err)
	}
	return body, nil
}

// SpotInterruption returns the pending Spot interruption notice, or nil
// when there is none.
func (c *Client) SpotInterruption(ctx context.Context) (*Interruption, error) {
	var n Interruption
	found, err := c.getJSON(ctx, spotPath, &n)
	if err != nil || !found {
		return nil, wrapNotice("reading spot interruption notice", err)
	}
	return &n, nil
}

// RebalanceRecommendation returns the rebalance recommendation, or nil
// when there is none.
func (c *Client) RebalanceRecommendation(ctx context.Context) (*Rebalance, error) {
	var r Rebalance
	found, err := c.getJSON(ctx, rebalancePath, &r)
	if err != nil || !found {
		return nil, wrapNotice("reading rebalance recommendation", err)
	}
	return &r, nil
}

// getJSON decodes the item at path into v; found is false on 404.
func (c *Client) getJSON(ctx context.Context, path string, v any) (found bool, err error) {
	body, found, err := c.get(ctx, path)
	if err != nil || !found {
		return false, err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return false, fmt.Errorf("decoding %s: %w", path, err)
	}
	return true, nil
}

// wrapNotice adds what was being read to err, keeping nil as nil.
func wrapNotice(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
