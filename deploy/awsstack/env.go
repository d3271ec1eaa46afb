package awsstack

import (
	"fmt"
	"strconv"
)

// The environment variables that carry Settings to the Lambda functions;
// template.yaml sets them on every function. The region is Lambda's own
// AWS_REGION.
const (
	EnvStack          = "TANDA_STACK"
	EnvJobsTable      = "TANDA_JOBS_TABLE"
	EnvItemsTable     = "TANDA_ITEMS_TABLE"
	EnvQueuePrefix    = "TANDA_QUEUE_PREFIX"
	EnvLogGroup       = "TANDA_LOG_GROUP"
	EnvEventBus       = "TANDA_EVENT_BUS"
	EnvLaunchTemplate = "TANDA_LAUNCH_TEMPLATE"
	EnvLeaseSeconds   = "TANDA_LEASE_SECONDS"
	EnvInstanceRole   = "TANDA_INSTANCE_ROLE"
	EnvRegion         = "AWS_REGION"
	// EnvEndpoint points every AWS call at one endpoint (LocalStack, moto);
	// the SDK reads it itself too.
	EnvEndpoint = "AWS_ENDPOINT_URL"
)

// EnvVars are the variables FromEnv reads.
var EnvVars = []string{
	EnvStack, EnvJobsTable, EnvItemsTable, EnvQueuePrefix, EnvLogGroup,
	EnvEventBus, EnvLaunchTemplate, EnvLeaseSeconds, EnvInstanceRole, EnvRegion, EnvEndpoint,
}

// FromEnv reads Settings from environment variables (getenv is usually
// os.Getenv), with defaults for what is unset, and validates them.
func FromEnv(getenv func(string) string) (Settings, error) {
	s := Settings{
		Stack:          getenv(EnvStack),
		Region:         getenv(EnvRegion),
		Endpoint:       getenv(EnvEndpoint),
		JobsTable:      getenv(EnvJobsTable),
		ItemsTable:     getenv(EnvItemsTable),
		QueuePrefix:    getenv(EnvQueuePrefix),
		LogGroup:       getenv(EnvLogGroup),
		EventBus:       getenv(EnvEventBus),
		LaunchTemplate: getenv(EnvLaunchTemplate),
		InstanceRole:   getenv(EnvInstanceRole),
	}
	if v := getenv(EnvLeaseSeconds); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return Settings{}, fmt.Errorf("%s=%q: want a positive number of seconds", EnvLeaseSeconds, v)
		}
		s.LeaseSeconds = n
	}
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		return Settings{}, fmt.Errorf("settings from the environment: %w", err)
	}
	return s, nil
}

// Env is s as the environment variables FromEnv reads (without the
// region and endpoint, which the platform sets).
func (s Settings) Env() map[string]string {
	return map[string]string{
		EnvStack:          s.Stack,
		EnvJobsTable:      s.JobsTable,
		EnvItemsTable:     s.ItemsTable,
		EnvQueuePrefix:    s.QueuePrefix,
		EnvLogGroup:       s.LogGroup,
		EnvEventBus:       s.EventBus,
		EnvLaunchTemplate: s.LaunchTemplate,
		EnvLeaseSeconds:   strconv.Itoa(s.LeaseSeconds),
		EnvInstanceRole:   s.InstanceRole,
	}
}
