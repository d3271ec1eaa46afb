package logfiles

import (
	"path/filepath"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

// Limits of stream names.
const (
	// maxStreamName is CloudWatch Logs' limit on a stream name.
	maxStreamName = 512
	// maxSegment keeps a segment and its suffix within a file name's 255
	// bytes.
	maxSegment = 250
)

// Suffixes that keep the paths of distinct names apart.
const (
	dirSuffix  = ".d"
	fileSuffix = ".log"
)

// streamPath validates a stream name and returns the path of its file,
// relative to the store's directory. An invalid name is a
// *batch.ClientError.
func streamPath(name string) (string, error) {
	if err := validateStream(name); err != nil {
		return "", err
	}
	segments := strings.Split(name, "/")
	last := len(segments) - 1
	for i := range last {
		segments[i] += dirSuffix
	}
	segments[last] += fileSuffix
	return filepath.Join(segments...), nil
}

// validateStream checks a stream name against the rules in the package
// documentation.
func validateStream(name string) error {
	if name == "" || len(name) > maxStreamName {
		return batch.Clientf("invalid log stream name %q: length must be 1 to %d", name, maxStreamName)
	}
	for _, c := range name {
		if !allowedInStream(c) {
			return batch.Clientf("invalid log stream name %q: character %q not allowed", name, c)
		}
	}
	for seg := range strings.SplitSeq(name, "/") {
		switch {
		case seg == "":
			return batch.Clientf("invalid log stream name %q: empty segment", name)
		case seg == "." || seg == "..":
			return batch.Clientf("invalid log stream name %q: segment %q not allowed", name, seg)
		case len(seg) > maxSegment:
			return batch.Clientf("invalid log stream name %q: segment longer than %d", name, maxSegment)
		}
	}
	return nil
}

// allowedInStream reports whether c may appear in a stream name.
func allowedInStream(c rune) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.ContainsRune("_./-", c)
}
