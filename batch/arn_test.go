package batch

import "testing"

func TestPartitionARNs(t *testing.T) {
	p := Partition{Region: "eu-west-1", Account: "123456789012"}
	tests := []struct {
		name, got, want string
	}{
		{"job", p.JobARN("0f7c"), "arn:aws:batch:eu-west-1:123456789012:job/0f7c"},
		{"array child", p.JobARN("0f7c:3"), "arn:aws:batch:eu-west-1:123456789012:job/0f7c:3"},
		{"job queue", p.JobQueueARN("high"), "arn:aws:batch:eu-west-1:123456789012:job-queue/high"},
		{"compute environment", p.ComputeEnvironmentARN("spot"), "arn:aws:batch:eu-west-1:123456789012:compute-environment/spot"},
		{"job definition", p.JobDefinitionARN("train", 7), "arn:aws:batch:eu-west-1:123456789012:job-definition/train:7"},
		{"scheduling policy", p.SchedulingPolicyARN("fair"), "arn:aws:batch:eu-west-1:123456789012:scheduling-policy/fair"},
		{"China", Partition{Region: "cn-north-1", Account: "1"}.JobQueueARN("q"), "arn:aws-cn:batch:cn-north-1:1:job-queue/q"},
		{"GovCloud", Partition{Region: "us-gov-west-1", Account: "1"}.JobQueueARN("q"), "arn:aws-us-gov:batch:us-gov-west-1:1:job-queue/q"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

func TestParseARN(t *testing.T) {
	tests := []struct {
		in      string
		want    ARN
		wantErr string
	}{
		{"arn:aws:batch:us-east-1:123:job-definition/train:3",
			ARN{Partition: "aws", Service: "batch", Region: "us-east-1", Account: "123", ResourceType: "job-definition", Resource: "train:3"}, ""},
		{"arn:aws:batch:us-east-1:123:job/abc:4",
			ARN{Partition: "aws", Service: "batch", Region: "us-east-1", Account: "123", ResourceType: "job", Resource: "abc:4"}, ""},
		{"arn:aws:s3:::bucket/key/part",
			ARN{Partition: "aws", Service: "s3", ResourceType: "bucket", Resource: "key/part"}, ""},
		{"arn:aws:sns:us-east-1:123:topic",
			ARN{Partition: "aws", Service: "sns", Region: "us-east-1", Account: "123", Resource: "topic"}, ""},
		{"job-queue/q", ARN{}, `"job-queue/q" is not an ARN (want arn:<partition>:<service>:<region>:<account>:<resource>)`},
		{"arn:aws:batch:us-east-1:123", ARN{}, "is not an ARN"},
		{"arn:aws:batch:us-east-1:123:", ARN{}, "is not an ARN"},
		{"arn::batch:us-east-1:123:job/x", ARN{}, "is not an ARN"},
		{"arn:aws::us-east-1:123:job/x", ARN{}, "is not an ARN"},
		{"urn:aws:batch:us-east-1:123:job/x", ARN{}, "is not an ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseARN(tt.in)
			wantClientError(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("ParseARN = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestARNRoundTrip(t *testing.T) {
	for _, s := range []string{
		"arn:aws:batch:us-east-1:123:job-definition/train:3",
		"arn:aws:sns:us-east-1:123:topic",
		"arn:aws:s3:::bucket/key",
	} {
		a, err := ParseARN(s)
		if err != nil {
			t.Fatalf("ParseARN(%q): %v", s, err)
		}
		if got := a.String(); got != s {
			t.Errorf("String() = %q, want %q", got, s)
		}
	}
}

func TestResolveName(t *testing.T) {
	tests := []struct {
		ref, typ string
		want     string
		wantErr  string
	}{
		{"high", ResourceTypeJobQueue, "high", ""},
		{"arn:aws:batch:us-east-1:1:job-queue/high", ResourceTypeJobQueue, "high", ""},
		{"arn:aws:batch:us-east-1:1:compute-environment/spot", ResourceTypeComputeEnvironment, "spot", ""},
		{"arn:aws:batch:us-east-1:1:scheduling-policy/fair", ResourceTypeSchedulingPolicy, "fair", ""},
		{"0f7c-11", ResourceTypeJob, "0f7c-11", ""},
		{"arn:aws:batch:us-east-1:1:job/0f7c:3", ResourceTypeJob, "0f7c:3", ""},
		{"", ResourceTypeJobQueue, "", `"" is not a job queue name or ARN (arn:aws:batch:<region>:<account>:job-queue/<name>)`},
		{"", ResourceTypeJob, "", "is not a job name or ARN"},
		{"arn:aws:batch:us-east-1:1:compute-environment/high", ResourceTypeJobQueue, "", "is not a job queue name or ARN"},
		{"arn:aws:sqs:us-east-1:1:job-queue/high", ResourceTypeJobQueue, "", "is not a job queue name or ARN"},
		{"arn:aws:batch:us-east-1:1:job-queue/", ResourceTypeJobQueue, "", "is not a job queue name or ARN"},
		{"arn:aws:batch:us-east-1", ResourceTypeJobQueue, "", "is not a job queue name or ARN"},
		{"my queue", ResourceTypeJobQueue, "", `"my queue" is not a job queue name or ARN`},
		{"q/x", ResourceTypeJobQueue, "", "is not a job queue name or ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.typ+" "+tt.ref, func(t *testing.T) {
			got, err := ResolveName(tt.ref, tt.typ)
			wantClientError(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("ResolveName = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseJobDefinitionRef(t *testing.T) {
	tests := []struct {
		ref      string
		wantName string
		wantRev  int
		wantErr  string
	}{
		{"train", "train", 0, ""},
		{"train:12", "train", 12, ""},
		{"arn:aws:batch:us-east-1:1:job-definition/train", "train", 0, ""},
		{"arn:aws:batch:us-east-1:1:job-definition/train:3", "train", 3, ""},
		{"", "", 0, `"" is not a job definition name, name:revision or ARN`},
		{"train:", "", 0, "is not a job definition name"},
		{"train:0", "", 0, "is not a job definition name"},
		{"train:-1", "", 0, "is not a job definition name"},
		{"train:latest", "", 0, "is not a job definition name"},
		{"train:1:2", "", 0, "is not a job definition name"},
		{":1", "", 0, "is not a job definition name"},
		{"arn:aws:batch:us-east-1:1:job-queue/train:3", "", 0, "is not a job definition name"},
		{"arn:aws:ecs:us-east-1:1:job-definition/train:3", "", 0, "is not a job definition name"},
		{"arn:aws:batch:us-east-1", "", 0, "is not a job definition name"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			name, rev, err := ParseJobDefinitionRef(tt.ref)
			wantClientError(t, err, tt.wantErr)
			if name != tt.wantName || rev != tt.wantRev {
				t.Errorf("ParseJobDefinitionRef = %q, %d, want %q, %d", name, rev, tt.wantName, tt.wantRev)
			}
		})
	}
}

func TestPartitionOwns(t *testing.T) {
	p := Partition{Region: "us-east-1", Account: "123456789012"}
	tests := []struct {
		ref  string
		want bool
	}{
		{"default", true},
		{"arn:aws:batch:us-east-1:123456789012:job-queue/default", true},
		{"arn:aws:batch:us-west-2:123456789012:job-queue/default", false},
		{"arn:aws:batch:us-east-1:210987654321:job-queue/default", false},
		{"arn:aws-cn:batch:us-east-1:123456789012:job-queue/default", false},
		{"arn:aws:batch", false},
	}
	for _, tt := range tests {
		if got := p.Owns(tt.ref); got != tt.want {
			t.Errorf("Owns(%q) = %v, want %v", tt.ref, got, tt.want)
		}
	}
	if !(Partition{Region: "cn-north-1", Account: "123456789012"}).Owns("arn:aws-cn:batch:cn-north-1:123456789012:job-queue/q") {
		t.Error("a China region does not own its aws-cn ARN")
	}
}
