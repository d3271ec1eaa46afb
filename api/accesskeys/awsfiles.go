package accesskeys

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// WriteAWSFiles writes key into the AWS CLI's shared files in dir (usually
// ~/.aws): the [profile] section of dir/credentials and the
// [profile <profile>] section (or [default]) of dir/config, holding region.
// Other sections are kept as they are; an existing section of that profile
// is replaced where it stands. Both files end up with mode 0600 and are
// replaced atomically.
func WriteAWSFiles(dir, profile, region string, key AccessKey) error {
	if !isName(profile) {
		return fmt.Errorf("writing AWS files: profile %q: want letters, digits, '-', '_' or '.'", profile)
	}
	if !isName(region) {
		return fmt.Errorf("writing AWS files: region %q: want letters, digits, '-', '_' or '.'", region)
	}
	if key.ID == "" || key.Secret == "" || strings.ContainsAny(key.ID+key.Secret, " \t\r\n") {
		return errors.New("writing AWS files: access key id or secret is empty or has white space")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("writing AWS files: %w", err)
	}
	configSection := "profile " + profile
	if profile == "default" {
		configSection = "default"
	}
	files := []struct {
		name, section string
		lines         []string
	}{
		{"credentials", profile, []string{
			"aws_access_key_id = " + key.ID,
			"aws_secret_access_key = " + key.Secret,
		}},
		{"config", configSection, []string{"region = " + region}},
	}
	for _, f := range files {
		if err := updateSection(filepath.Join(dir, f.name), f.section, f.lines); err != nil {
			return fmt.Errorf("writing AWS files: %w", err)
		}
	}
	return nil
}

// updateSection replaces (or appends) one section of an INI file.
func updateSection(path, section string, lines []string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	updated := replaceSection(string(old), section, lines)
	tmp, err := writeTemp(filepath.Dir(path), filepath.Base(path), []byte(updated))
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// replaceSection returns content with every [section] removed and a new one,
// of the given lines, put where the first stood or, if there was none, at
// the end. A section runs from its header to the next header, except that
// comment lines just before the next header are kept with that header.
func replaceSection(content, section string, lines []string) string {
	block := append([]string{"[" + section + "]"}, lines...)
	block = append(block, "")
	var out, comments []string
	inserted, skipping := false, false
	for _, line := range strings.Split(content, "\n") {
		name, isHeader := sectionName(line)
		if isHeader {
			if skipping {
				out = append(out, comments...)
				comments = nil
			}
			skipping = name == section
			if skipping && !inserted {
				out = append(out, block...)
				inserted = true
			}
		}
		switch {
		case !skipping:
			out = append(out, line)
		case isComment(line):
			comments = append(comments, line)
		case strings.TrimSpace(line) != "" && !isHeader:
			comments = nil
		}
	}
	if !inserted {
		for len(out) > 0 && strings.TrimSpace(out[len(out)-1]) == "" {
			out = out[:len(out)-1]
		}
		if len(out) > 0 {
			out = append(out, "")
		}
		out = append(out, block...)
	}
	joined := strings.Join(out, "\n")
	if !strings.HasSuffix(joined, "\n") {
		joined += "\n"
	}
	return joined
}

// sectionName parses a "[name]" header line, normalising white space inside
// the brackets as the AWS CLI does ("[ profile  x ]" is "profile x").
func sectionName(line string) (string, bool) {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "[") {
		return "", false
	}
	inner, _, ok := strings.Cut(line[1:], "]")
	if !ok {
		return "", false
	}
	return strings.Join(strings.Fields(inner), " "), true
}

// isComment reports whether line is an INI comment.
func isComment(line string) bool {
	line = strings.TrimSpace(line)
	return strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";")
}

// isName reports whether s is a non-empty profile or region name.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// ReadAWSKeyID reads the access key id of a profile from dir/credentials,
// as WriteAWSFiles wrote it; a file or profile without one is an error
// wrapping fs.ErrNotExist.
func ReadAWSKeyID(dir, profile string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "credentials"))
	if err != nil {
		return "", fmt.Errorf("reading AWS credentials: %w", err)
	}
	in := false
	for line := range strings.Lines(string(data)) {
		if name, ok := sectionName(line); ok {
			in = name == profile
			continue
		}
		if !in || isComment(line) {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == "aws_access_key_id" {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("reading AWS credentials: no access key id for profile %s: %w", profile, fs.ErrNotExist)
}
