package logfiles

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

func TestStreamPath(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"sleep/default/4f1c-22", "sleep.d/default.d/4f1c-22.log"},
		{"one", "one.log"},
		{"a.log", "a.log.log"},
		{"a/b", "a.d/b.log"},
		{"a.d/b", "a.d.d/b.log"},
		{"a.log/b", "a.log.d/b.log"},
		{"x_y-Z.9/...z", "x_y-Z.9.d/...z.log"},
		{strings.Repeat("j", 200) + "/default/t", strings.Repeat("j", 200) + ".d/default.d/t.log"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got, err := streamPath(tt.name)
		if err != nil {
			t.Errorf("streamPath(%q): %v", tt.name, err)
			continue
		}
		if want := filepath.FromSlash(tt.want); got != want {
			t.Errorf("streamPath(%q) = %q, want %q", tt.name, got, want)
		}
		if other, ok := seen[got]; ok {
			t.Errorf("streams %q and %q share the path %q", other, tt.name, got)
		}
		seen[got] = tt.name
	}
}

func TestInvalidStreamNames(t *testing.T) {
	names := []string{
		"",
		"/abs/path",
		"..",
		".",
		"a/../b",
		"a/./b",
		"../escape",
		"a//b",
		"trailing/",
		"with space",
		"colon:x",
		"star*",
		"tab\tx",
		"nul\x00",
		"ünï",
		`back\slash`,
		strings.Repeat("a", 513),
		strings.Repeat("s", 251) + "/x",
	}
	for _, name := range names {
		_, err := streamPath(name)
		if err == nil {
			t.Errorf("streamPath(%q) succeeded, want an error", name)
			continue
		}
		if !batch.IsClientError(err) {
			t.Errorf("streamPath(%q) error %v is not a client error", name, err)
		}
	}
}
