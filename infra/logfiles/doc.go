// Package logfiles keeps job logs as files under a directory: Tanda's log
// store on one machine, with the shape of the CloudWatch Logs adapter used on
// AWS.
//
// A stream is named like CloudWatch's, "<jobDefinitionName>/default/<taskId>",
// and lives in one file. Every segment but the last becomes a directory with
// the suffix ".d" and the last a file with the suffix ".log", so
// "sleep/default/4f1c" is stored in "sleep.d/default.d/4f1c.log". Names allow
// only [A-Za-z0-9_./-] and no empty, "." or ".." segment; with the suffixes
// two names never share a path, and no name reaches outside the directory.
//
// A file holds one event per line: the timestamp in epoch milliseconds, a
// tab, and the message with backslash and newline escaped as `\\` and `\n`.
// Each Append is a single write(2) to a file opened with O_APPEND, so
// appends from many goroutines, or processes, never interleave within a
// batch; nothing is fsynced. Files are opened per call and closed at once,
// so the number of streams does not bound or hold open file handles.
//
// Read pages with an opaque token, a byte offset; only complete lines are
// read, so a batch being written is never seen in part.
package logfiles
