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

// DockerWaitSeconds bounds how long the user data waits for Docker Engine
// to answer before it starts the agent.
const DockerWaitSeconds = 120

// bucketName is what an S3 bucket name may be (and so what can go into a
// shell script unquoted).
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// InstallScript is the install step of the launch template's user data
// (awsstack.Settings.AgentScript runs it after setting TANDA_SETTINGS). With
// a bucket it downloads s3://<bucket>/tanda-agent-<arch> (arch amd64 or
// arm64, as Go names them) with the aws CLI to AgentBinary; without one the
// AMI must have the binary there already. The ECS-optimized AMIs ship
// Docker Engine: it starts docker.service and waits until `docker info`
// answers, at most DockerWaitSeconds, so that the agent's runtime finds it
// (an AMI without Docker is reported, and the agent then fails the
// attempts of jobs that name an image rather than run them on the host).
// Then it installs AgentUnit, which runs `tanda agent` (reading its
// settings from the user data through IMDS) after Docker and restarts it if
// it fails, and starts it.
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
	fmt.Fprintf(&b, `# The ECS-optimized AMIs also ship the ECS agent, which would try to join a
# cluster and claim 169.254.170.2:80 for ECS task credentials: Tanda's agent
# does that work here.
systemctl disable --now ecs.service >/dev/null 2>&1 || true
# They ship Docker Engine: start it and wait until it answers, so that the
# agent runs jobs in containers.
if command -v docker >/dev/null 2>&1; then
	systemctl enable --now docker.service || echo "tanda: starting docker.service failed" >&2
	tanda_waited=0
	until docker info >/dev/null 2>&1; do
		if [ "$tanda_waited" -ge %[1]d ]; then
			echo "tanda: Docker did not answer within %[1]d s: jobs that name an image fail until it does" >&2
			break
		fi
		sleep 2
		tanda_waited=$((tanda_waited + 2))
	done
else
	echo "tanda: this AMI has no Docker: jobs that name an image will fail (use an ECS-optimized AMI)" >&2
fi
`, DockerWaitSeconds)
	fmt.Fprintf(&b, `cat >/etc/systemd/system/%s <<'UNIT'
[Unit]
Description=Tanda agent: runs the stack's AWS Batch jobs on this instance
Wants=network-online.target docker.service
After=network-online.target docker.service

[Service]
# Job containers on Docker's bridge get no route to the instance metadata
# service, and so none to the instance role's credentials (IMDSv2 with a
# hop limit of 1 refuses them too). '-': an AMI without iptables still runs.
ExecStartPre=-/bin/sh -c 'iptables -C DOCKER-USER -i docker+ -d 169.254.169.254/32 -j DROP 2>/dev/null || iptables -I DOCKER-USER 1 -i docker+ -d 169.254.169.254/32 -j DROP'
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
