package accesskeys

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteAWSFiles(t *testing.T) {
	key := AccessKey{ID: "TKIAABCDEFGHIJKLMNOP", Secret: "s3cr3t/+s3cr3t", CreatedAt: time.Now()}
	tests := []struct {
		name                        string
		profile                     string
		oldCredentials, oldConfig   string // "" = no file
		wantCredentials, wantConfig string
	}{
		{
			name:            "new files",
			profile:         "tanda",
			wantCredentials: "[tanda]\naws_access_key_id = TKIAABCDEFGHIJKLMNOP\naws_secret_access_key = s3cr3t/+s3cr3t\n",
			wantConfig:      "[profile tanda]\nregion = us-east-1\n",
		},
		{
			name:    "other profiles kept, old section replaced in place",
			profile: "tanda",
			oldCredentials: "[default]\naws_access_key_id = AKIAREAL\naws_secret_access_key = real\n\n" +
				"[ tanda ]\naws_access_key_id = TKIAOLD\naws_secret_access_key = old\naws_session_token = stale\n\n" +
				"# work account\n[work]\naws_access_key_id = AKIAWORK\naws_secret_access_key = work\n",
			oldConfig: "[default]\nregion = eu-west-1\noutput = json\n[tanda]\nregion = keep-me\n[profile tanda]\nregion = ap-south-1\n",
			wantCredentials: "[default]\naws_access_key_id = AKIAREAL\naws_secret_access_key = real\n\n" +
				"[tanda]\naws_access_key_id = TKIAABCDEFGHIJKLMNOP\naws_secret_access_key = s3cr3t/+s3cr3t\n\n" +
				"# work account\n[work]\naws_access_key_id = AKIAWORK\naws_secret_access_key = work\n",
			wantConfig: "[default]\nregion = eu-west-1\noutput = json\n[tanda]\nregion = keep-me\n[profile tanda]\nregion = us-east-1\n",
		},
		{
			name:            "appended after others",
			profile:         "tanda",
			oldCredentials:  "[default]\naws_access_key_id = AKIAREAL\naws_secret_access_key = real\n\n\n",
			oldConfig:       "[default]\nregion = eu-west-1",
			wantCredentials: "[default]\naws_access_key_id = AKIAREAL\naws_secret_access_key = real\n\n[tanda]\naws_access_key_id = TKIAABCDEFGHIJKLMNOP\naws_secret_access_key = s3cr3t/+s3cr3t\n",
			wantConfig:      "[default]\nregion = eu-west-1\n\n[profile tanda]\nregion = us-east-1\n",
		},
		{
			name:           "own comments and duplicate sections dropped",
			profile:        "tanda",
			oldCredentials: "[tanda]\n# issued by tanda\naws_access_key_id = TKIAOLD\n[x]\na = 1\n[tanda]\naws_access_key_id = TKIAOLDER\n",
			wantCredentials: "[tanda]\naws_access_key_id = TKIAABCDEFGHIJKLMNOP\naws_secret_access_key = s3cr3t/+s3cr3t\n\n" +
				"[x]\na = 1\n",
			wantConfig: "[profile tanda]\nregion = us-east-1\n",
		},
		{
			name:            "default profile",
			profile:         "default",
			oldConfig:       "[profile other]\nregion = eu-west-1\n\n[default]\nregion = ap-south-1\n",
			wantCredentials: "[default]\naws_access_key_id = TKIAABCDEFGHIJKLMNOP\naws_secret_access_key = s3cr3t/+s3cr3t\n",
			wantConfig:      "[profile other]\nregion = eu-west-1\n\n[default]\nregion = us-east-1\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), ".aws")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, content := range map[string]string{"credentials": tc.oldCredentials, "config": tc.oldConfig} {
				if content != "" {
					if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := WriteAWSFiles(dir, tc.profile, "us-east-1", key); err != nil {
				t.Fatalf("WriteAWSFiles: %v", err)
			}
			for name, want := range map[string]string{"credentials": tc.wantCredentials, "config": tc.wantConfig} {
				path := filepath.Join(dir, name)
				got, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("reading %s: %v", name, err)
				}
				if string(got) != want {
					t.Errorf("%s:\ngot:\n%s\nwant:\n%s", name, got, want)
				}
				info, _ := os.Stat(path)
				if perm := info.Mode().Perm(); perm != 0o600 {
					t.Errorf("%s mode = %04o, want 0600", name, perm)
				}
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 2 {
				t.Errorf("%s holds %d entries, want credentials and config only", dir, len(entries))
			}
		})
	}
}

func TestWriteAWSFilesRefusesBadInput(t *testing.T) {
	key := AccessKey{ID: "TKIAABCDEFGHIJKLMNOP", Secret: "secret"}
	tests := []struct {
		name, profile, region string
		key                   AccessKey
	}{
		{"empty profile", "", "us-east-1", key},
		{"profile with bracket", "a]b", "us-east-1", key},
		{"profile with newline", "a\n[x", "us-east-1", key},
		{"empty region", "tanda", "", key},
		{"secret with newline", "tanda", "us-east-1", AccessKey{ID: key.ID, Secret: "a\nb"}},
	}
	for _, tc := range tests {
		dir := t.TempDir()
		if err := WriteAWSFiles(dir, tc.profile, tc.region, tc.key); err == nil {
			t.Errorf("%s: WriteAWSFiles succeeded, want an error", tc.name)
		}
	}
}

func TestReadAWSKeyID(t *testing.T) {
	dir := t.TempDir()
	if err := WriteAWSFiles(dir, "other", "us-east-1", AccessKey{ID: "TKIAOTHER", Secret: "s1"}); err != nil {
		t.Fatal(err)
	}
	if err := WriteAWSFiles(dir, "tanda", "us-east-1", AccessKey{ID: "TKIAMINE", Secret: "s2"}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadAWSKeyID(dir, "tanda")
	if err != nil || got != "TKIAMINE" {
		t.Fatalf("ReadAWSKeyID(tanda) = %q, %v; want TKIAMINE", got, err)
	}
	if _, err := ReadAWSKeyID(dir, "absent"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadAWSKeyID(absent): got %v, want fs.ErrNotExist", err)
	}
}
