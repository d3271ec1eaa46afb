package process

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// exitOf turns the error of exec.Cmd.Wait into an exit code, the name of
// the signal that killed the process (if one did) and a reason.
func exitOf(waitErr error) (code int, signal, reason string) {
	if waitErr == nil {
		return 0, "", ""
	}
	var ee *exec.ExitError
	if !errors.As(waitErr, &ee) {
		return -1, "", "CannotInspectContainerError: " + waitErr.Error()
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return ee.ExitCode(), "", ""
	}
	sig := ws.Signal()
	name := signalName(sig)
	return 128 + int(sig), name, "process killed by " + name
}

// signalName is the conventional name of sig, e.g. "SIGKILL".
func signalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return fmt.Sprintf("signal %d", int(sig))
}
