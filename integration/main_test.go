//go:build unix

package integration

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// resetEnv, when set, makes the suite reset moto's state before it runs;
// see README.md for why that is not the default.
const resetEnv = "TANDA_MOTO_RESET"

func TestMain(m *testing.M) {
	// The test binary doubles as the fake agent the harness tests start
	// (fakeagent_test.go).
	if dir := os.Getenv(fakeAgentEnv); dir != "" {
		os.Exit(runFakeAgent(dir))
	}
	// It also plays an agent running jobs on Docker (s3trigger_test.go).
	if os.Getenv(dockerAgentEnv) != "" {
		os.Exit(runDockerAgent())
	}
	if endpoint := os.Getenv("TANDA_MOTO_ENDPOINT"); endpoint != "" && os.Getenv(resetEnv) != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := resetMoto(ctx, endpoint)
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	removeTandaBuild()
	os.Exit(code)
}
