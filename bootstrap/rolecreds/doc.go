// Package rolecreds gives a job's container the credentials of its job role
// (jobRoleArn), and only those, through the ECS container credentials
// protocol that every AWS SDK's default credential chain speaks.
//
// For each attempt of a job with a role, the agent assumes the role (STS
// AssumeRole through an Assumer, with a session name and source identity
// naming the job and attempt, and session tags naming the stack), keeps the
// credentials in a Session that assumes the role again once half of their
// lifetime has passed, and registers the Session with the instance's
// Endpoint. The container's environment gets
//
//	AWS_CONTAINER_CREDENTIALS_FULL_URI=http://<address>/v1/credentials/<id>
//	AWS_CONTAINER_AUTHORIZATION_TOKEN=<token>
//
// where id and token are random and fresh for each attempt. The Endpoint
// answers a GET with that path and that token (the Authorization header,
// compared in constant time) with the attempt's credentials as JSON
// (AccessKeyId, SecretAccessKey, Token, Expiration, RoleArn); without a
// token it answers 401, with another token, or for an attempt that has
// ended, 403. When the attempt ends its registration is revoked.
//
// The address must be one the SDKs accept over plain http: a loopback
// address, or ECS's 169.254.170.2 (or EKS's 169.254.170.23), at any port.
// A job that shares the agent's network (a process, or a container on the
// host's network) gets 127.0.0.1. A container on Docker's bridge has a
// loopback of its own, so the Endpoint listens on 169.254.170.2 instead,
// an address of the instance's own (on its loopback interface; Listen adds
// it when it may): the container reaches it through the bridge's gateway,
// the way an EKS pod reaches the Pod Identity agent on 169.254.170.23.
//
// The port is fixed (DefaultPort, unless the agent is told another), so
// that an agent that restarts while containers run listens where its
// predecessor did. It takes those containers over and serves each its
// credentials again (Roles.Regrant) under the URI and token in the
// container's environment, with a new session of the role: the job's SDK
// refreshes its credentials as before. When the fixed port is taken, the
// Endpoint listens on a random one, and a later agent listens there too
// for the containers whose URI names it, when it can.
//
// The package knows no AWS SDK: infra/stsroles is the Assumer on STS, and
// also makes a Session into an aws.CredentialsProvider for the agent's own
// calls made with a role (secrets, with the execution role).
package rolecreds
