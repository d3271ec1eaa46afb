package kit_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

func TestOpenKeysIssuesOnceAndWritesFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "t.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	o := kit.KeyOptions{
		Dir: filepath.Join(dir, "data"), KeyFile: filepath.Join(dir, "data", "master.key"),
		Region: "eu-west-1", Description: "test", Clock: batch.SystemClock{},
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		t.Fatal(err)
	}

	_, issued, err := kit.OpenKeys(ctx, db, o)
	if err != nil || issued == nil {
		t.Fatalf("first OpenKeys = %v, %v; want an issued key", issued, err)
	}
	for _, f := range []string{kit.CredentialsFile(o.Dir), kit.ConfigFile(o.Dir), o.KeyFile} {
		fi, err := os.Stat(f)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want mode 0600", f, err)
		}
	}
	creds, err := os.ReadFile(kit.CredentialsFile(o.Dir))
	if err != nil || !strings.Contains(string(creds), "["+kit.Profile+"]") || !strings.Contains(string(creds), issued.ID) {
		t.Errorf("credentials file = %q (%v), want profile %s with key %s", creds, err, kit.Profile, issued.ID)
	}
	conf, err := os.ReadFile(kit.ConfigFile(o.Dir))
	if err != nil || !strings.Contains(string(conf), "region = eu-west-1") {
		t.Errorf("config file = %q (%v), want region eu-west-1", conf, err)
	}

	keys, again, err := kit.OpenKeys(ctx, db, o)
	if err != nil || again != nil {
		t.Fatalf("second OpenKeys = %v, %v; want no new key", again, err)
	}
	secret, err := keys.SecretFor(ctx, issued.ID)
	if err != nil || secret != issued.Secret {
		t.Errorf("SecretFor(%s) after reopening = %v, want the issued secret", issued.ID, err)
	}
}
