package awsstack

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// userDataVar is the shell variable of the user data script that holds
// the agent's settings (base64 of their JSON).
const userDataVar = "TANDA_SETTINGS"

// AgentScript is the user data of the stack's launch template: a shell
// script that sets TANDA_SETTINGS and runs install, which fetches the
// agent and starts `tanda agent` (for example under systemd). The agent
// finds its settings by reading the same user data back from IMDS.
func (s Settings) AgentScript(install string) ([]byte, error) {
	doc, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encoding agent settings: %w", err)
	}
	var b bytes.Buffer
	b.WriteString("#!/bin/sh\n# Tanda agent bootstrap: written by tanda serve --init or the SAM stack.\nset -eu\n")
	fmt.Fprintf(&b, "%s='%s'\nexport %s\n", userDataVar, base64.StdEncoding.EncodeToString(doc), userDataVar)
	b.WriteString(install)
	if install != "" && !strings.HasSuffix(install, "\n") {
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// ParseUserData finds the agent's settings in an instance's user data
// (a script AgentScript wrote) and returns them with defaults applied.
func ParseUserData(userData []byte) (Settings, error) {
	sc := bufio.NewScanner(bytes.NewReader(userData))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		value, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), userDataVar+"=")
		if !ok {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(strings.Trim(value, `'"`))
		if err != nil {
			return Settings{}, fmt.Errorf("reading %s from user data: %w", userDataVar, err)
		}
		var s Settings
		if err := json.Unmarshal(raw, &s); err != nil {
			return Settings{}, fmt.Errorf("reading %s from user data: %w", userDataVar, err)
		}
		s = s.WithDefaults()
		if err := s.Validate(); err != nil {
			return Settings{}, fmt.Errorf("agent settings in user data: %w", err)
		}
		return s, nil
	}
	if err := sc.Err(); err != nil {
		return Settings{}, fmt.Errorf("reading user data: %w", err)
	}
	return Settings{}, errors.New("user data has no " + userDataVar + " line: was the instance launched from the stack's launch template?")
}
