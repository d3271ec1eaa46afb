package accesskeys

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAESSealer(t *testing.T) {
	s := testSealer(t, 1)
	plaintext := []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	sealed, err := s.Seal(plaintext)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if bytes.Contains(sealed, plaintext) {
		t.Fatalf("sealed value contains the plaintext")
	}
	again, _ := s.Seal(plaintext)
	if bytes.Equal(sealed, again) {
		t.Errorf("sealing twice gave the same bytes, want a fresh nonce each time")
	}
	got, err := s.Open(sealed)
	if err != nil || !bytes.Equal(got, plaintext) {
		t.Fatalf("Open = %q, %v; want %q", got, err, plaintext)
	}

	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	tests := []struct {
		name   string
		sealer *AESSealer
		sealed []byte
	}{
		{"wrong key", testSealer(t, 2), sealed},
		{"tampered", s, tampered},
		{"truncated", s, sealed[:10]},
		{"empty", s, nil},
	}
	for _, tc := range tests {
		if got, err := tc.sealer.Open(tc.sealed); err == nil {
			t.Errorf("%s: Open = %q, want an error", tc.name, got)
		}
	}
}

func TestNewAESSealerKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := NewAESSealer(make([]byte, n)); err == nil {
			t.Errorf("NewAESSealer(%d-byte key): no error, want one", n)
		}
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "secrets.key")
	key, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatalf("creating: %v", err)
	}
	if len(key) != KeySize {
		t.Errorf("key is %d bytes, want %d", len(key), KeySize)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", perm)
	}
	again, err := LoadOrCreateKeyFile(path)
	if err != nil || !bytes.Equal(again, key) {
		t.Errorf("loading again = %x, %v; want the same key", again, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("key directory holds %d entries, want only the key file", len(entries))
	}
}

func TestLoadOrCreateKeyFileRefuses(t *testing.T) {
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		wantErr string
	}{
		{"readable by others", strings.Repeat("ab", KeySize), 0o644, "chmod 600"},
		{"not hex", strings.Repeat("zz", KeySize), 0o600, "hex digits"},
		{"short", strings.Repeat("ab", KeySize-1), 0o600, "hex digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secrets.key")
			if err := os.WriteFile(path, []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreateKeyFile(path)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("LoadOrCreateKeyFile error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
