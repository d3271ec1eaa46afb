package provisionfn

import "testing"

func TestParseNotice(t *testing.T) {
	tests := []struct {
		file string
		want Notice
	}{
		{"spot-interruption-warning.json", Notice{DetailSpotInterruption, "i-0b662ef9931388ba0", Drain}},
		{"rebalance-recommendation.json", Notice{DetailRebalance, "i-0a1b2c3d4e5f60718", Drain}},
		{"state-change-terminated.json", Notice{DetailStateChange, "i-0b662ef9931388ba0", Forget}},
		{"state-change-shutting-down.json", Notice{DetailStateChange, "i-0c9d8e7f6a5b40312", Drain}},
		{"state-change-running.json", Notice{DetailStateChange, "i-0a1b2c3d4e5f60718", Ignore}},
		{"batch-job-state-change.json", Notice{DetailType: "Batch Job State Change"}},
		{"scheduled-event.json", Notice{DetailType: "Scheduled Event"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseNotice(readEvent(t, tt.file))
			if err != nil {
				t.Fatalf("ParseNotice: %v", err)
			}
			if got != tt.want {
				t.Errorf("ParseNotice = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseNoticeErrors(t *testing.T) {
	for _, body := range []string{
		`not json`,
		`{"source":"aws.ec2","detail-type":"EC2 Spot Instance Interruption Warning","detail":"i-1"}`,
	} {
		if n, err := ParseNotice([]byte(body)); err == nil {
			t.Errorf("ParseNotice(%s) = %+v, want an error", body, n)
		}
	}
}
