package accesskeys

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// KeySize is the length of an AES-256 key.
const KeySize = 32

// Sealer encrypts secrets for storage and decrypts them again.
type Sealer interface {
	Seal(plaintext []byte) ([]byte, error)
	Open(ciphertext []byte) ([]byte, error)
}

// ContextSealer is a Sealer whose work may go over the network, such as
// KMS: it takes the context of the request that needs the secret.
type ContextSealer interface {
	SealContext(ctx context.Context, plaintext []byte) ([]byte, error)
	OpenContext(ctx context.Context, sealed []byte) ([]byte, error)
}

// contextFree is a local Sealer as a ContextSealer.
type contextFree struct{ Sealer }

func (s contextFree) SealContext(_ context.Context, plaintext []byte) ([]byte, error) {
	return s.Seal(plaintext)
}

func (s contextFree) OpenContext(_ context.Context, sealed []byte) ([]byte, error) {
	return s.Open(sealed)
}

// AESSealer seals with AES-256-GCM. A sealed value is a random 12-byte
// nonce followed by the ciphertext and its tag.
type AESSealer struct {
	aead cipher.AEAD
}

// NewAESSealer makes a sealer from a 32-byte key.
func NewAESSealer(key []byte) (*AESSealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("making sealer: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("making sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("making sealer: %w", err)
	}
	return &AESSealer{aead: aead}, nil
}

// Seal encrypts plaintext under a fresh random nonce.
func (s *AESSealer) Seal(plaintext []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plaintext, nil), nil
}

// Open decrypts what Seal produced; it fails if the value was sealed under
// another key or altered.
func (s *AESSealer) Open(sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, errors.New("opening sealed value: too short")
	}
	plaintext, err := s.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return nil, fmt.Errorf("opening sealed value: wrong key or altered: %w", err)
	}
	return plaintext, nil
}

// LoadOrCreateKeyFile reads a sealing key from path, creating the file (and
// its directory) with a new random key when it is absent. The file holds the
// key as 64 hex digits, is created with mode 0600, and is refused if group
// or others may read it. Two processes creating it at once agree on one key.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := createKeyFile(path); err != nil {
		return nil, err
	}
	return readKeyFile(path)
}

func readKeyFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	if perm := info.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("reading key file %s: mode %04o lets others read it; chmod 600 it", path, perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("reading key file %s: want %d hex digits", path, 2*KeySize)
	}
	return key, nil
}

// createKeyFile writes a new key to a temporary file and links it into
// place, so the key file appears complete or not at all and an existing one
// is never replaced.
func createKeyFile(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating key file: %w", err)
	}
	key := make([]byte, KeySize)
	rand.Read(key)
	tmp, err := writeTemp(dir, filepath.Base(path), []byte(hex.EncodeToString(key)+"\n"))
	if err != nil {
		return fmt.Errorf("creating key file: %w", err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating key file: %w", err)
	}
	return nil
}

// writeTemp writes data to a new mode-0600 file in dir, synced, and returns
// its name.
func writeTemp(dir, base string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}
