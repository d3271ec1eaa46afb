package batch

import (
	"strings"
	"testing"
)

// wantClientError checks err against want: nil when want is empty,
// otherwise a ClientError whose message contains want.
func wantClientError(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("got error %q, want none", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no error, want one containing %q", want)
	}
	if !IsClientError(err) {
		t.Fatalf("got %T %q, want a *ClientError", err, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("got error %q, want it to contain %q", err, want)
	}
}

func TestValidateTags(t *testing.T) {
	many := map[string]string{}
	for i := range 51 {
		many[strings.Repeat("k", i+1)] = "v"
	}
	tests := []struct {
		name string
		tags map[string]string
		want string
	}{
		{"nil", nil, ""},
		{"ordinary", map[string]string{"team": "data", "empty": ""}, ""},
		{"longest key and value", map[string]string{strings.Repeat("k", 128): strings.Repeat("v", 256)}, ""},
		{"unicode counts characters", map[string]string{strings.Repeat("é", 128): strings.Repeat("ü", 256)}, ""},
		{"51 tags", many, "job.tags must have at most 50 tags (got 51)"},
		{"empty key", map[string]string{"": "v"}, "job.tags keys must be 1-128 characters"},
		{"key too long", map[string]string{strings.Repeat("k", 129): "v"}, "keys must be 1-128 characters"},
		{"aws prefix", map[string]string{"aws:owner": "x"}, `keys must not start with "aws:"`},
		{"aws prefix any case", map[string]string{"AWS:owner": "x"}, `keys must not start with "aws:"`},
		{"value too long", map[string]string{"team": strings.Repeat("v", 257)}, "job.tags.team must be at most 256 characters (got 257)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, ValidateTags(tt.tags, "job.tags"), tt.want)
		})
	}
}

func TestValidateTagResource(t *testing.T) {
	tests := []struct {
		name string
		tags map[string]string
		want string
	}{
		{"one tag", map[string]string{"a": "b"}, ""},
		{"none", map[string]string{}, "tags must have at least one tag"},
		{"bad key", map[string]string{"aws:x": "b"}, `tags keys must not start with "aws:"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, ValidateTagResource(&TagResourceInput{Tags: tt.tags}), tt.want)
		})
	}
}

func TestValidateUntagResource(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want string
	}{
		{"one key", []string{"a"}, ""},
		{"fifty keys", make50("k"), ""},
		{"none", nil, "tagKeys must list 1-50 keys (got 0)"},
		{"51 keys", append(make50("k"), "x"), "tagKeys must list 1-50 keys (got 51)"},
		{"empty key", []string{"a", ""}, "tagKeys[1] must be 1-128 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, ValidateUntagResource(tt.keys), tt.want)
		})
	}
}

func make50(s string) []string {
	out := make([]string, 50)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestQuoteValueShortensLongValues(t *testing.T) {
	if got, want := quoteValue("x y"), `"x y"`; got != want {
		t.Errorf("quoteValue(short) = %s, want %s", got, want)
	}
	got := quoteValue(strings.Repeat("a", 1000))
	if want := `"` + strings.Repeat("a", 64) + `"…`; got != want {
		t.Errorf("quoteValue(long) = %s, want %s", got, want)
	}
}
