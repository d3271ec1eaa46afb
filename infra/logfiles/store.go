package logfiles

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// ErrNotFound is returned for a stream that has no events yet. It wraps
// batch.ErrNotFound.
var ErrNotFound = fmt.Errorf("log stream %w", batch.ErrNotFound)

// ErrClosed is returned by a Store's methods after Close.
var ErrClosed = errors.New("log store closed")

// MaxReadLimit is the most events one Read returns, CloudWatch's limit.
const MaxReadLimit = 10000

// Modes of the files and directories a Store creates.
const (
	fileMode = 0o640
	dirMode  = 0o750
)

// defaultPollEvery is how often Follow looks for events appended by other
// processes, which it is not told about.
const defaultPollEvery = 200 * time.Millisecond

// Store keeps log streams as files under a directory. It is safe for
// concurrent use, also alongside other processes using the same directory.
type Store struct {
	dir       string
	pollEvery time.Duration
	appended  notifier

	closeOnce sync.Once
	closed    chan struct{}
}

// Open returns a Store keeping its streams under dir, which it creates if
// needed.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("opening log store: %w", err)
	}
	return &Store{dir: dir, pollEvery: defaultPollEvery, closed: make(chan struct{})}, nil
}

// Close stops the store: Follow calls return ErrClosed, and later calls
// fail with it. It holds no files open, so there is nothing to flush.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	return nil
}

// Append adds events to the end of stream, creating it if needed, in one
// write. An invalid stream name is a *batch.ClientError.
func (s *Store) Append(ctx context.Context, stream string, events []batch.LogEvent) error {
	path, err := s.path(ctx, stream)
	if err != nil {
		return fmt.Errorf("appending to log stream: %w", err)
	}
	if len(events) == 0 {
		return nil
	}
	if err := appendFile(path, encodeEvents(events)); err != nil {
		return fmt.Errorf("appending to log stream %s: %w", stream, err)
	}
	s.appended.notify(stream)
	return nil
}

// Read returns up to limit events of stream (MaxReadLimit when limit <= 0
// or larger) from the position fromToken names ("" for the start), and the
// token of the position after them. At the end of the stream it returns no
// events and a token naming the same position. A stream with no events is
// ErrNotFound; an invalid name or token is a *batch.ClientError.
func (s *Store) Read(ctx context.Context, stream, fromToken string, limit int) (events []batch.LogEvent, nextToken string, err error) {
	path, err := s.path(ctx, stream)
	if err != nil {
		return nil, "", fmt.Errorf("reading log stream: %w", err)
	}
	offset, err := parseToken(fromToken)
	if err != nil {
		return nil, "", fmt.Errorf("reading log stream %s: %w", stream, err)
	}
	if limit <= 0 || limit > MaxReadLimit {
		limit = MaxReadLimit
	}
	events, offset, err = readFile(path, offset, limit)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("reading log stream %s: %w", stream, ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("reading log stream %s: %w", stream, err)
	}
	return events, formatToken(offset), nil
}

// path checks that the store and ctx are usable and returns the file of
// stream.
func (s *Store) path(ctx context.Context, stream string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	select {
	case <-s.closed:
		return "", ErrClosed
	default:
	}
	rel, err := streamPath(stream)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.dir, rel), nil
}

// appendFile writes data at the end of the file at path in one write,
// creating the file and its directories if needed (again if
// DeleteOlderThan removes an emptied directory in between).
func appendFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, fileMode)
	for try := 0; try < 3 && errors.Is(err, fs.ErrNotExist); try++ {
		if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
			return err
		}
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, fileMode)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}

// readFile reads up to limit complete lines of the file at path from
// offset and returns their events and the offset after them.
func readFile(path string, offset int64, limit int) ([]batch.LogEvent, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, 0, err
	}
	r := bufio.NewReader(f)
	var events []batch.LogEvent
	for len(events) < limit {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break // a missing or partial line: not written yet
		}
		if err != nil {
			return nil, 0, err
		}
		offset += int64(len(line))
		events = append(events, parseEvent(line[:len(line)-1]))
	}
	return events, offset, nil
}
