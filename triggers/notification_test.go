package triggers

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseNotification(t *testing.T) {
	tests := []struct {
		file string
		want []Object
	}{
		{"created-versioned.json", []Object{{Bucket: "uploads", Key: "in/my file(2).csv", Size: 1024,
			VersionID: "096fKKXTRTtl3on89fVO.nfljtsv6qko", Sequencer: "0055AED6DCD90281E5",
			ETag: "d41d8cd98f00b204e9800998ecf8427e", EventTime: "2025-03-04T05:06:07.123Z"}}},
		{"created-unversioned.json", []Object{{Bucket: "uploads", Key: "in/a.csv", Size: 7, Sequencer: "0055AED6DCD90281E6",
			ETag: "1b2cf535f27731c974343645a3985328", EventTime: "2025-03-04T05:06:08.000Z"}}},
		{"created-moto.json", []Object{{Bucket: "uploads", Key: "in/my file.csv", Size: 5,
			ETag: "5d41402abc4b2a76b9719d911017c592", EventTime: "2025-03-04T05:06:07.654321"}}},
		{"test-event.json", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := readTestdata(t, tt.file)
			if !IsNotification(body) {
				t.Errorf("IsNotification = false, want true")
			}
			got, err := ParseNotification(body)
			if err != nil {
				t.Fatalf("ParseNotification: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("objects = %+v\nwant      %+v", got, tt.want)
			}
		})
	}
}

func TestParseNotificationRefuses(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
	}{
		{"not JSON", "{nope", "decoding S3 notification"},
		{"another event", `{"Event":"s3:Other"}`, "neither Records nor the test event"},
		{"bad key encoding", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"a%zz"}}}]}`,
			`Records[0]: key "a%zz"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseNotification(tt.body)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseNotification = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestIsNotification(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{"6f1d3c2e-5b8a-4c1e-9a3d-7e2b1f0c4d5a", false},
		{"6f1d3c2e-5b8a-4c1e-9a3d-7e2b1f0c4d5a:17", false},
		{"", false},
		{`{"Records":[]}`, true},
		{" \n{\"Event\":\"s3:TestEvent\"}", true},
	}
	for _, tt := range tests {
		if got := IsNotification(tt.body); got != tt.want {
			t.Errorf("IsNotification(%q) = %v, want %v", tt.body, got, tt.want)
		}
	}
}
