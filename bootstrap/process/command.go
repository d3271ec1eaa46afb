package process

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// processEnv is the environment a job's process gets: env as given, plus
// agentPath as PATH when env has none. It is never nil, so os/exec does not
// fall back to the agent's environment.
func processEnv(env []string, agentPath string) []string {
	out := make([]string, 0, len(env)+1)
	out = append(out, env...)
	if _, ok := lookupEnv(env, "PATH"); !ok && agentPath != "" {
		out = append(out, "PATH="+agentPath)
	}
	return out
}

// lookupEnv returns the value of key in env; the last entry wins, as in
// os/exec.
func lookupEnv(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		k, v, ok := strings.Cut(env[i], "=")
		if ok && k == key {
			return v, true
		}
	}
	return "", false
}

// resolveCommand finds the executable for name. A name with a slash is used
// as it is (a relative one is resolved against the working directory when
// the process starts); a bare name is looked up in path, the job's PATH,
// skipping relative entries as exec.LookPath does for safety.
func resolveCommand(name, path string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue
		}
		candidate := filepath.Join(dir, name)
		if isExecutable(candidate) {
			return candidate, nil
		}
	}
	return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
}

// isExecutable reports whether path is a regular file with an execute bit.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	return fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// checkWorkDir reports why dir cannot be a working directory, if it
// cannot. Starting the process would fail too, but with an error that names
// the executable instead of the directory.
func checkWorkDir(dir string) error {
	if dir == "" {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return &fs.PathError{Op: "chdir", Path: dir, Err: err}
	}
	if !fi.IsDir() {
		return &fs.PathError{Op: "chdir", Path: dir, Err: syscall.ENOTDIR}
	}
	return nil
}

// errNoCommand is the start error of a Spec without a command.
var errNoCommand = errors.New("no command to run")
