package awsserver

import "strings"

// EnvSubnets names the variable that gives the provisioner function the
// subnets (comma-separated ids) compute environments that name none
// launch into: the SAM stack's subnet parameter. Unset, they launch into
// the default VPC's.
const EnvSubnets = "TANDA_SUBNETS"

// SubnetsFromEnv reads EnvSubnets (getenv is usually os.Getenv).
func SubnetsFromEnv(getenv func(string) string) []string {
	var subnets []string
	for s := range strings.SplitSeq(getenv(EnvSubnets), ",") {
		if s = strings.TrimSpace(s); s != "" {
			subnets = append(subnets, s)
		}
	}
	return subnets
}
