package awsserver_test

import (
	"context"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/deploy/awsstack"
)

func TestInitIsIdempotent(t *testing.T) {
	cfg, st := motoStack(t)
	ctx := context.Background()
	opts := awsserver.InitOptions{Logger: quiet()}
	first, err := awsserver.Init(ctx, cfg, st, opts)
	if err != nil {
		t.Fatalf("first Init: %v", err)
	}
	second, err := awsserver.Init(ctx, cfg, st, opts)
	if err != nil {
		t.Fatalf("second Init: %v", err)
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("second Init = %+v, want %+v", second, first)
	}
	if first.LaunchTemplate.DefaultVersion != 1 || first.LaunchTemplate.ImageID != "" {
		t.Errorf("launch template = %+v, want version 1 without an image (each launch gives its own)", first.LaunchTemplate)
	}

	ddb := dynamodb.NewFromConfig(cfg)
	for _, table := range []string{st.JobsTable, st.ItemsTable} {
		if _, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
	wantQueues := []string{st.QueuePrefix + "-submissions"}
	if !reflect.DeepEqual(first.Queues, wantQueues) {
		t.Errorf("queues = %v, want %v", first.Queues, wantQueues)
	}
	q := sqs.NewFromConfig(cfg)
	for _, name := range append(first.Queues, first.Queues[0]+"-dlq") {
		if _, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)}); err != nil {
			t.Errorf("queue %s: %v", name, err)
		}
	}
	groups, err := cloudwatchlogs.NewFromConfig(cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(st.LogGroup)})
	if err != nil || len(groups.LogGroups) != 1 {
		t.Errorf("log groups named %s: %d (%v), want 1", st.LogGroup, len(groups.LogGroups), err)
	}
	versions, err := ec2.NewFromConfig(cfg).DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateName: aws.String(st.LaunchTemplate),
	})
	if err != nil || len(versions.LaunchTemplateVersions) != 1 {
		t.Errorf("launch template versions: %d (%v), want 1", len(versions.LaunchTemplateVersions), err)
	}
}

func TestInitLaunchTemplate(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		opts     awsserver.InitOptions
		runtimes []string // one Init per runtime, in order
		wantAMI  string
		wantS3   bool
	}{
		{name: "defaults", runtimes: []string{"process"}},
		{name: "given AMI and bucket", opts: awsserver.InitOptions{AMI: "ami-12c6146b", ArtifactsBucket: "tanda-artifacts"},
			runtimes: []string{"auto"}, wantAMI: "ami-12c6146b", wantS3: true},
		{name: "settings changed", runtimes: []string{"process", "docker"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, st := motoStack(t)
			tt.opts.Logger = quiet()
			var res awsserver.Resources
			for _, rt := range tt.runtimes {
				st.Runtime = rt
				var err error
				if res, err = awsserver.Init(ctx, cfg, st, tt.opts); err != nil {
					t.Fatalf("Init with runtime %s: %v", rt, err)
				}
			}
			if want := int64(len(tt.runtimes)); res.LaunchTemplate.DefaultVersion != want {
				t.Errorf("default version = %d, want %d", res.LaunchTemplate.DefaultVersion, want)
			}
			out, err := ec2.NewFromConfig(cfg).DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
				LaunchTemplateName: aws.String(st.LaunchTemplate),
				Versions:           []string{"$Default"},
			})
			if err != nil || len(out.LaunchTemplateVersions) != 1 {
				t.Fatalf("describing the default version: %v", err)
			}
			v := out.LaunchTemplateVersions[0]
			if got := aws.ToString(v.LaunchTemplateId); got != res.LaunchTemplate.ID {
				t.Errorf("template id = %s, want %s", got, res.LaunchTemplate.ID)
			}
			d := v.LaunchTemplateData
			if got := aws.ToString(d.ImageId); got != tt.wantAMI {
				t.Errorf("ImageId = %q, want %q", got, tt.wantAMI)
			}
			m := d.MetadataOptions
			if m == nil || m.HttpTokens != ec2types.LaunchTemplateHttpTokensStateRequired ||
				aws.ToInt32(m.HttpPutResponseHopLimit) != 1 || m.InstanceMetadataTags != ec2types.LaunchTemplateInstanceMetadataTagsStateEnabled {
				t.Errorf("MetadataOptions = %+v, want tokens required, hop limit 1, tags enabled", m)
			}
			raw, err := base64.StdEncoding.DecodeString(aws.ToString(d.UserData))
			if err != nil {
				t.Fatalf("user data: %v", err)
			}
			got, err := awsstack.ParseUserData(raw)
			if err != nil {
				t.Fatalf("ParseUserData: %v", err)
			}
			if got != st {
				t.Errorf("settings in user data = %+v, want %+v", got, st)
			}
			if has := strings.Contains(string(raw), "aws s3 cp"); has != tt.wantS3 {
				t.Errorf("user data downloads from S3: %v, want %v", has, tt.wantS3)
			}
		})
	}
}

// TestInitDropsAnOldImage checks that a stack whose launch template names
// an image (as --ami, or earlier versions of Init, wrote it) gets a version
// without one when Init runs without --ami, so that each compute
// environment's launches get their own image.
func TestInitDropsAnOldImage(t *testing.T) {
	ctx := context.Background()
	cfg, st := motoStack(t)
	if _, err := awsserver.Init(ctx, cfg, st, awsserver.InitOptions{AMI: "ami-12c6146b", Logger: quiet()}); err != nil {
		t.Fatal(err)
	}
	res, err := awsserver.Init(ctx, cfg, st, awsserver.InitOptions{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	out, err := ec2.NewFromConfig(cfg).DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateName: aws.String(st.LaunchTemplate), Versions: []string{"$Default"},
	})
	if err != nil || len(out.LaunchTemplateVersions) != 1 {
		t.Fatalf("describing the default version: %v", err)
	}
	v := out.LaunchTemplateVersions[0]
	if aws.ToInt64(v.VersionNumber) != 2 || res.LaunchTemplate.DefaultVersion != 2 || v.LaunchTemplateData.ImageId != nil {
		t.Errorf("default version %d (Init says %d) with image %v; want version 2 without an image",
			aws.ToInt64(v.VersionNumber), res.LaunchTemplate.DefaultVersion, aws.ToString(v.LaunchTemplateData.ImageId))
	}
}
