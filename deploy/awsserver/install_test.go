package awsserver

import (
	"strings"
	"testing"
)

func TestInstallScript(t *testing.T) {
	tests := []struct {
		name        string
		bucket      string
		want, never []string
		wantErr     string
	}{
		{
			name:   "from the bucket",
			bucket: "my-artifacts.example",
			want: []string{
				`aws s3 cp "s3://my-artifacts.example/tanda-agent-$tanda_arch" /usr/local/bin/tanda.download`,
				"mv /usr/local/bin/tanda.download /usr/local/bin/tanda",
				"ExecStart=/usr/local/bin/tanda agent",
				"systemctl enable --now tanda-agent.service",
			},
			never: []string{"is missing"},
		},
		{
			name: "baked into the AMI",
			want: []string{
				"if [ ! -x /usr/local/bin/tanda ]; then",
				"ExecStart=/usr/local/bin/tanda agent",
				"systemctl enable --now tanda-agent.service",
			},
			never: []string{"aws s3 cp"},
		},
		{name: "quote in bucket", bucket: `b"; rm -rf /; "`, wantErr: "not an S3 bucket name"},
		{name: "upper case bucket", bucket: "MyBucket", wantErr: "not an S3 bucket name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := InstallScript(tt.bucket)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("InstallScript(%q) error = %v, want %q", tt.bucket, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("InstallScript(%q): %v", tt.bucket, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("script lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.never {
				if strings.Contains(got, n) {
					t.Errorf("script has %q:\n%s", n, got)
				}
			}
		})
	}
}
