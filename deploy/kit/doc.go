// Package serverkit holds the adapters that join Tanda's core packages into
// a server, shared by the one-machine server (package standalone, `tanda
// up`) and the server on the AWS APIs (package awsserver, `tanda serve`):
// the provisioner's view of the control plane, the catalogue's view for
// the control plane, the API's SigV4 authenticator and logs endpoint, the
// agents' log writer, and the first access key written to AWS CLI files.
package kit
