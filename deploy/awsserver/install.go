package awsserver

import (
	"fmt"
	"regexp"
	"strings"
)

// AgentBinary is where the install script puts the tanda binary.
const AgentBinary = "/usr/local/bin/tanda"

// AgentUnit is the systemd unit that runs `tanda agent`.
const AgentUnit = "tanda-agent.service"

// bucketName is what an S3 bucket name may be (and so what can go into a
// shell script unquoted).
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// InstallScript is the install step of the launch template's user data
// (awsstack.Settings.AgentScript runs it after setting TANDA_SETTINGS). With
// a bucket it downloads s3://<bucket>/tanda-agent-<arch> (arch amd64 or
// arm64, as Go names them) with the aws CLI to AgentBinary; without one the
// AMI must have the binary there already. Then it installs AgentUnit, which
// runs `tanda agent` (reading its settings from the user data through
// IMDS) and restarts it if it fails, and starts it.
func InstallScript(bucket string) (string, error) {
	var b strings.Builder
	b.WriteString(`# Install tanda and run "tanda agent" under systemd.
case "$(uname -m)" in
x86_64) tanda_arch=amd64 ;;
aarch64 | arm64) tanda_arch=arm64 ;;
*) echo "tanda: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
`)
	if bucket != "" {
		if !bucketName.MatchString(bucket) {
			return "", fmt.Errorf("artifacts bucket %q is not an S3 bucket name", bucket)
		}
		fmt.Fprintf(&b, `aws s3 cp "s3://%s/tanda-agent-$tanda_arch" %s.download
chmod 0755 %[2]s.download
mv %[2]s.download %[2]s
`, bucket, AgentBinary)
	} else {
		fmt.Fprintf(&b, `if [ ! -x %s ]; then
	echo "tanda: %[1]s ($tanda_arch) is missing: bake it into the AMI or give tanda serve --artifacts-bucket" >&2
	exit 1
fi
`, AgentBinary)
	}
	fmt.Fprintf(&b, `cat >/etc/systemd/system/%s <<'UNIT'
[Unit]
Description=Tanda agent: runs the stack's AWS Batch jobs on this instance
Wants=network-online.target
After=network-online.target docker.service

[Service]
ExecStart=%s agent
Restart=on-failure
RestartSec=5
KillMode=mixed
TimeoutStopSec=150

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now %[1]s
`, AgentUnit, AgentBinary)
	return b.String(), nil
}
