package kit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tanda-batch/tanda/api/accesskeys"
	"github.com/tanda-batch/tanda/batch"
)

// Profile is the AWS profile a server writes its first access key under.
const Profile = "tanda"

// KeyOptions say where a server's access keys are sealed and its first
// key is written.
type KeyOptions struct {
	// Dir gets the AWS CLI files "credentials" and "config" (0600).
	Dir string
	// KeyFile holds the AES-256 key sealing the secrets; it is created
	// (0600) when missing.
	KeyFile string
	// Region is the profile's region.
	Region string
	// Description is stored with the first key, e.g. "tanda up".
	Description string
	Clock       batch.Clock
}

// CredentialsFile is the AWS credentials file a server writes in dir.
func CredentialsFile(dir string) string { return filepath.Join(dir, "credentials") }

// ConfigFile is the AWS config file, with the profile's region, in dir.
func ConfigFile(dir string) string { return filepath.Join(dir, "config") }

// OpenKeys returns the access keys kept in store, their secrets sealed
// with the key in o.KeyFile. When o.Dir has no credentials file (a first
// start, or a deleted file), it issues a key, writes it to the AWS files
// under Profile and returns it too; otherwise the key returned is nil.
func OpenKeys(ctx context.Context, store accesskeys.Store, o KeyOptions) (*accesskeys.Keys, *accesskeys.AccessKey, error) {
	secret, err := accesskeys.LoadOrCreateKeyFile(o.KeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("loading key file: %w", err)
	}
	sealer, err := accesskeys.NewAESSealer(secret)
	if err != nil {
		return nil, nil, fmt.Errorf("loading key file: %w", err)
	}
	keys := accesskeys.New(store, sealer, o.Clock)
	if _, err := os.Stat(CredentialsFile(o.Dir)); err == nil {
		return keys, nil, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("reading credentials file: %w", err)
	}
	key, err := keys.Issue(ctx, o.Description)
	if err != nil {
		return nil, nil, fmt.Errorf("issuing access key: %w", err)
	}
	if err := accesskeys.WriteAWSFiles(o.Dir, Profile, o.Region, key); err != nil {
		return nil, nil, fmt.Errorf("writing credentials: %w", err)
	}
	return keys, &key, nil
}
