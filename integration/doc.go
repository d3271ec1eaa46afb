// Package integration holds Tanda's end-to-end tests against an AWS
// endpoint (moto's server, or LocalStack): `tanda serve --backend aws`
// driven by the stock aws CLI, with the EC2 instances its provisioner
// launches played by the harness of integration/instances. See README.md.
package integration
