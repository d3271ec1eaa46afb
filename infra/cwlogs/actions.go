package cwlogs

import "github.com/tanda-batch/tanda/internal/iamactions"

// Actions are the IAM actions of every CloudWatch Logs call this package
// can make (the methods of its logsAPI).
func Actions() []string { return iamactions.Of("logs", (*logsAPI)(nil)) }

// SetupActions are the Actions that only EnsureGroup (and Append under
// Options.CreateGroup) calls. A deployment whose log group something else
// creates (the SAM stack) grants none of them.
func SetupActions() []string { return []string{"logs:CreateLogGroup"} }

// JobGroupWriteActions are the Actions an agent's Router calls on the log
// groups that jobs' awslogs options name (PrepareStream and AppendTo):
// creating the stream and writing it, and creating the group when a job
// sets awslogs-create-group.
func JobGroupWriteActions() []string {
	return []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
}

// JobGroupReadActions are the Actions the API's Router calls on those
// groups (ReadFrom).
func JobGroupReadActions() []string { return []string{"logs:GetLogEvents"} }
