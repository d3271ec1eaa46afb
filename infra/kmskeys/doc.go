// Package kmskeys seals the secrets of Tanda's access keys with an AWS KMS
// key, for the API on AWS (accesskeys.ContextSealer): each secret is
// encrypted with kms:Encrypt under the stack's key when it is issued and
// decrypted with kms:Decrypt when a request signed with it first arrives;
// accesskeys.Keys caches what it decrypted for accesskeys.CacheTTL, so a
// warm function calls KMS about once a minute per key in use.
//
// The ciphertexts are bound to EncryptionContext, so a ciphertext of
// something else under the same key does not open as an access key's
// secret, and key policies may require that context.
package kmskeys
