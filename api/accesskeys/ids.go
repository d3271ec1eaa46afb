package accesskeys

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
)

// IDPrefix starts every access key id Tanda issues.
const IDPrefix = "TKIA"

// newKeyID is IDPrefix and 16 base32 characters: 20 characters, like AWS's.
func newKeyID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return IDPrefix + base32.StdEncoding.EncodeToString(b)
}

// newSecret is 40 characters of standard base64, like AWS's secrets.
func newSecret() string {
	b := make([]byte, 30)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
