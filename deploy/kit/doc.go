// Package kit holds what the two servers share, the one-machine server
// (package local, `tanda up`) and the server on the AWS APIs (package
// awsserver, `tanda serve` and the Lambda functions): the API's assembly
// (NewAPI: the SigV4 authenticator, the logs endpoint) and the listener that
// serves it with the server's loops (Front); the provisioner's view of the
// control plane (Observer) and the catalogue's view for the control plane
// (InstanceTypes); the access keys and the first one written to AWS CLI
// files (OpenKeys, Profile).
package kit
