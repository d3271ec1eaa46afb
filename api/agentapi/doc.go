// Package agentapi is the agent API: how `tanda agent` on an EC2 instance
// claims, heartbeats, reports and releases the attempts it holds, reports
// its instance's load and reads what it needs (its compute environment,
// the job queues it serves, the jobs it is offered or holds), without
// any write access of its own to the stack's tables or queues.
//
// It is served beside the AWS Batch API (on the API function's URL in the
// deployed stack, and by `tanda serve`) under PathPrefix. Under `tanda up`
// the agents are in the same process as the control plane and call it
// directly.
//
// An instance proves who it is the way Vault's AWS IAM auth method does:
// it signs an STS GetCallerIdentity request with its instance role's
// credentials, with the header X-Tanda-Server-Id (the API's host) among
// the signed ones, and sends that request's signed headers in the header
// X-Tanda-Agent-Identity. The server checks the request's shape and date,
// sends it to STS itself (never to a URL the caller names), and accepts
// the caller only if STS answers that it is the stack's instance role in
// the stack's account, in a session named after an instance id (EC2 names
// instance role sessions so), and EC2 says that instance is running with
// the stack's tag. The instance's compute environment is its
// tanda:compute-environment tag, as EC2 has it, never as the caller says.
//
// What a caller may do is then narrow: read and claim RUNNABLE jobs of the
// job queues its compute environment serves, write only the attempts it
// holds (the job's instance is the caller and the attempt number matches),
// report only its own instance, and nothing else.
package agentapi
