package batch

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Log settings of a container (reference §6, "CloudWatch Logs"; AWS Batch
// User Guide, "Use the awslogs log driver",
// https://docs.aws.amazon.com/batch/latest/userguide/using_awslogs.html).
// Tanda runs every job's output through its agent into CloudWatch Logs (or,
// on one machine, its own log files), so the one driver it supports is
// awslogs, with the options that say where the log goes.

// LogDriverAWSLogs is the only log driver Tanda supports.
const LogDriverAWSLogs = "awslogs"

// The awslogs options Tanda honours.
const (
	// LogOptionGroup names the log group; the deployment's job log group
	// when absent (AWS Batch's is /aws/batch/job).
	LogOptionGroup = "awslogs-group"
	// LogOptionRegion names the group's region; the deployment's when
	// absent.
	LogOptionRegion = "awslogs-region"
	// LogOptionStreamPrefix replaces the job definition's name at the
	// head of the stream name: "<prefix>/default/<task id>".
	LogOptionStreamPrefix = "awslogs-stream-prefix"
	// LogOptionCreateGroup, "true", lets the agent create the group when
	// it does not exist.
	LogOptionCreateGroup = "awslogs-create-group"
)

// ContainerName is the name AWS Batch gives a job's one container in its
// ECS task, the middle part of its log stream name.
const ContainerName = "default"

const (
	// maxLogGroupName is CloudWatch Logs' limit on a log group's name.
	maxLogGroupName = 512
	// maxLogStreamName is CloudWatch Logs' limit on a log stream's name.
	maxLogStreamName = 512
	// maxTaskIDLength bounds the task id at the end of a stream name
	// (Tanda's are "<job id>-<attempt>", at most 44 characters).
	maxTaskIDLength = 64
	// maxStreamPrefix leaves room in a stream name for "/default/" and
	// the task id.
	maxStreamPrefix = maxLogStreamName - len("/"+ContainerName+"/") - maxTaskIDLength
)

// logDrivers are the log drivers of AWS Batch's LogConfiguration.
var logDrivers = []string{LogDriverAWSLogs, "awsfirelens", "fluentd", "gelf", "journald", "json-file", "logentries", "splunk", "syslog"}

// awslogsOptions are the options Tanda's awslogs takes.
var awslogsOptions = []string{LogOptionGroup, LogOptionRegion, LogOptionStreamPrefix, LogOptionCreateGroup}

// awslogsUnsupported are the options of Docker's (and ECS's) awslogs
// driver that Tanda does not implement, with why or what to do instead.
var awslogsUnsupported = map[string]string{
	"awslogs-datetime-format":      "Tanda keeps each line of output as one log event",
	"awslogs-multiline-pattern":    "Tanda keeps each line of output as one log event",
	"awslogs-endpoint":             "the agent writes to the CloudWatch Logs endpoint of its own configuration",
	"awslogs-credentials-endpoint": "the agent writes with its instance's credentials",
	"mode":                         "the agent buffers output without ever blocking the job",
	"max-buffer-size":              "the agent buffers output without ever blocking the job",
	"tag":                          "the stream is named <awslogs-stream-prefix>/default/<task id>",
}

var (
	// logGroupPattern is CloudWatch Logs' rule for a log group's name.
	logGroupPattern = regexp.MustCompile(`^[A-Za-z0-9_./#-]+$`)
	// regionPattern is the shape of an AWS region's name: us-east-1,
	// us-gov-west-1, ap-southeast-2.
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
)

// LogTarget is where an attempt's log goes under awslogs: Group in Region,
// in streams named "<StreamPrefix>/default/<task id>". An empty Group or
// Region is the deployment's own (its job log group, its region); an empty
// StreamPrefix is the job definition's name.
type LogTarget struct {
	Group        string
	Region       string
	StreamPrefix string
	CreateGroup  bool
}

// Elsewhere reports whether t names a log group or region of its own,
// rather than the deployment's job log group.
func (t LogTarget) Elsewhere() bool { return t.Group != "" || t.Region != "" }

// LogTargetOf is the LogTarget of a container's logConfiguration, which
// ValidateLogConfiguration has accepted; a nil container or configuration
// is the deployment's default.
func LogTargetOf(c *ContainerProperties) LogTarget {
	if c == nil || c.LogConfiguration == nil {
		return LogTarget{}
	}
	o := c.LogConfiguration.Options
	return LogTarget{
		Group:        o[LogOptionGroup],
		Region:       o[LogOptionRegion],
		StreamPrefix: o[LogOptionStreamPrefix],
		CreateGroup:  strings.EqualFold(o[LogOptionCreateGroup], "true"),
	}
}

// ValidateLogConfiguration checks a container's logConfiguration at path:
// the driver must be awslogs, its options those Tanda honours with valid
// values, and it takes no secretOptions. It is also run on the job
// definition a job is submitted with, which may have been registered
// before Tanda checked these.
func ValidateLogConfiguration(path string, lc *LogConfiguration) error {
	if lc == nil {
		return nil
	}
	driver := memberPath(path, "logDriver")
	switch {
	case lc.LogDriver == "":
		return invalidf(driver, "is required: Tanda supports %s", LogDriverAWSLogs)
	case lc.LogDriver == LogDriverAWSLogs:
	case slices.Contains(logDrivers, lc.LogDriver):
		return invalidf(driver, "%s is not supported by Tanda: the agent sends each job's output to CloudWatch Logs; use %s, the only log driver Tanda supports", quoteValue(lc.LogDriver), LogDriverAWSLogs)
	default:
		return invalidf(driver, "must be one of %s (got %s); Tanda supports %s", strings.Join(logDrivers, ", "), quoteValue(lc.LogDriver), LogDriverAWSLogs)
	}
	if len(lc.SecretOptions) > 0 {
		return invalidf(memberPath(path, "secretOptions"), "are not supported by Tanda: none of the %s options it honours (%s) takes a secret; remove secretOptions", LogDriverAWSLogs, strings.Join(awslogsOptions, ", "))
	}
	return validateAWSLogsOptions(memberPath(path, "options"), lc.Options)
}

// validateAWSLogsOptions checks the awslogs options, in key order so that
// the first problem reported is always the same.
func validateAWSLogsOptions(path string, opts map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		p := path + "[" + quoteValue(k) + "]"
		v := opts[k]
		switch k {
		case LogOptionGroup:
			if err := validateLogGroupName(p, v); err != nil {
				return err
			}
		case LogOptionRegion:
			if !regionPattern.MatchString(v) {
				return invalidf(p, "must be an AWS region such as us-east-1 (got %s)", quoteValue(v))
			}
		case LogOptionStreamPrefix:
			if err := validateStreamPrefix(p, v); err != nil {
				return err
			}
		case LogOptionCreateGroup:
			if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
				return invalidf(p, "must be true or false (got %s)", quoteValue(v))
			}
		default:
			if why, ok := awslogsUnsupported[k]; ok {
				return invalidf(p, "is not supported by Tanda (%s); remove it", why)
			}
			return invalidf(p, "is not an option Tanda's %s takes; it takes %s", LogDriverAWSLogs, strings.Join(awslogsOptions, ", "))
		}
	}
	return nil
}

// validateLogGroupName checks a log group's name against CloudWatch Logs'
// rules: 1 to 512 characters of letters, digits, '_', '-', '/', '.' and
// '#'.
func validateLogGroupName(path, name string) error {
	if name == "" || len(name) > maxLogGroupName {
		return invalidf(path, "must be a log group name of 1 to %d characters (got %d)", maxLogGroupName, utf8.RuneCountInString(name))
	}
	if !logGroupPattern.MatchString(name) {
		return invalidf(path, "must be a log group name of letters, digits and the characters _ - / . # (got %s)", quoteValue(name))
	}
	return nil
}

// validateStreamPrefix checks a stream prefix: not empty, none of the
// characters CloudWatch Logs refuses in a stream name (':' and '*'), and
// short enough that "<prefix>/default/<task id>" stays within 512.
func validateStreamPrefix(path, prefix string) error {
	if prefix == "" {
		return invalidf(path, "must not be empty: leave it out to name streams after the job definition")
	}
	if strings.ContainsAny(prefix, ":*") {
		return invalidf(path, "must not contain ':' or '*', which CloudWatch Logs refuses in a stream name (got %s)", quoteValue(prefix))
	}
	if len(prefix) > maxStreamPrefix {
		return invalidf(path, "must be at most %d characters, so that the stream name <prefix>/%s/<task id> fits CloudWatch Logs' %d (got %d)", maxStreamPrefix, ContainerName, maxLogStreamName, len(prefix))
	}
	return nil
}

// LogStreamName is the stream of a job's attempt, as AWS Batch names it:
// "<prefix>/default/<task id>", where the prefix is the awslogs
// stream prefix, or else the job definition's name cut to 200 characters.
func LogStreamName(t LogTarget, definition, taskID string) string {
	prefix := t.StreamPrefix
	if prefix == "" {
		prefix = definition
		if len(prefix) > 200 {
			prefix = prefix[:200]
		}
	}
	return prefix + "/" + ContainerName + "/" + taskID
}
