package triggers

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// testEvent is the Event of the message S3 sends when a bucket's
// notifications are configured.
const testEvent = "s3:TestEvent"

// notification is the body of an S3 event notification, or of its test
// event.
type notification struct {
	Records []record `json:"Records"`
	Event   string   `json:"Event"`
}

// record is one event of a notification.
type record struct {
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
	EventTime   string `json:"eventTime"`
	S3          struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       string `json:"key"`
			Size      int64  `json:"size"`
			ETag      string `json:"eTag"`
			VersionID string `json:"versionId"`
			Sequencer string `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
}

// IsNotification reports whether a message of the submissions queue is an
// S3 notification (a JSON object) rather than a doorbell (a job id).
func IsNotification(body string) bool {
	return strings.HasPrefix(strings.TrimLeft(body, " \t\r\n"), "{")
}

// ParseNotification reads the objects an S3 notification reports created.
// S3's test event reports none, and events other than ObjectCreated are
// left out. Keys arrive URL-encoded (a space as "+"), and are decoded.
func ParseNotification(body string) ([]Object, error) {
	var n notification
	if err := json.Unmarshal([]byte(body), &n); err != nil {
		return nil, fmt.Errorf("decoding S3 notification: %w", err)
	}
	if n.Records == nil {
		if n.Event == testEvent {
			return nil, nil
		}
		return nil, fmt.Errorf("decoding S3 notification: neither Records nor the test event in %.100q", body)
	}
	var objs []Object
	for i, rec := range n.Records {
		if rec.EventSource != "aws:s3" || !strings.HasPrefix(rec.EventName, "ObjectCreated:") {
			continue
		}
		key, err := url.QueryUnescape(rec.S3.Object.Key)
		if err != nil {
			return nil, fmt.Errorf("decoding S3 notification: Records[%d]: key %.100q: %w", i, rec.S3.Object.Key, err)
		}
		objs = append(objs, Object{
			Bucket:    rec.S3.Bucket.Name,
			Key:       key,
			Size:      rec.S3.Object.Size,
			VersionID: rec.S3.Object.VersionID,
			Sequencer: rec.S3.Object.Sequencer,
			ETag:      rec.S3.Object.ETag,
			EventTime: rec.EventTime,
		})
	}
	return objs, nil
}
