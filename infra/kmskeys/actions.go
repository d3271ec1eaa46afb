package kmskeys

import "github.com/tanda-batch/tanda/internal/iamactions"

// Actions are the IAM actions of every KMS call this package can make
// (the methods of its kmsAPI): issuing keys needs kms:Encrypt, verifying
// requests kms:Decrypt.
func Actions() []string { return iamactions.Of("kms", (*kmsAPI)(nil)) }

// OpenActions are the Actions that opening sealed secrets calls: all the
// API function needs, since it verifies keys but does not issue them.
func OpenActions() []string { return iamactions.Of("kms", (*decryptAPI)(nil)) }
