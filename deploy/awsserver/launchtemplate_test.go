package awsserver

import (
	"encoding/base64"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/tanda-batch/tanda/deploy/awsstack"
)

func TestLaunchData(t *testing.T) {
	st := awsstack.Settings{Stack: "s", Region: "eu-west-1", Runtime: "docker"}.WithDefaults()
	tests := []struct {
		name              string
		profile           string
		wantName, wantArn string
	}{
		{name: "no profile"},
		{name: "profile name", profile: "tanda-agent", wantName: "tanda-agent"},
		{name: "profile arn", profile: "arn:aws:iam::1:instance-profile/x", wantArn: "arn:aws:iam::1:instance-profile/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := launchData(st, "ami-1", InitOptions{InstanceProfile: tt.profile})
			if err != nil {
				t.Fatalf("launchData: %v", err)
			}
			if got := aws.ToString(d.ImageId); got != "ami-1" {
				t.Errorf("ImageId = %q, want ami-1", got)
			}
			if bare, _ := launchData(st, "", InitOptions{InstanceProfile: tt.profile}); bare.ImageId != nil {
				t.Errorf("launch data without an AMI has ImageId %q, want none", aws.ToString(bare.ImageId))
			}
			m := d.MetadataOptions
			if m.HttpTokens != ec2types.LaunchTemplateHttpTokensStateRequired || aws.ToInt32(m.HttpPutResponseHopLimit) != 1 ||
				m.InstanceMetadataTags != ec2types.LaunchTemplateInstanceMetadataTagsStateEnabled {
				t.Errorf("MetadataOptions = %+v, want tokens required, hop limit 1, tags enabled", *m)
			}
			var gotName, gotArn string
			if p := d.IamInstanceProfile; p != nil {
				gotName, gotArn = aws.ToString(p.Name), aws.ToString(p.Arn)
			}
			if gotName != tt.wantName || gotArn != tt.wantArn {
				t.Errorf("instance profile = (%q, %q), want (%q, %q)", gotName, gotArn, tt.wantName, tt.wantArn)
			}
			raw, err := base64.StdEncoding.DecodeString(aws.ToString(d.UserData))
			if err != nil {
				t.Fatalf("user data is not base64: %v", err)
			}
			got, err := awsstack.ParseUserData(raw)
			if err != nil {
				t.Fatalf("ParseUserData: %v", err)
			}
			if got != st {
				t.Errorf("settings in user data = %+v, want %+v", got, st)
			}
		})
	}
}

func TestSameLaunchData(t *testing.T) {
	st := awsstack.Settings{Stack: "s", Region: "eu-west-1"}.WithDefaults()
	want, err := launchData(st, "ami-1", InitOptions{InstanceProfile: "p"})
	if err != nil {
		t.Fatalf("launchData: %v", err)
	}
	stored := func(edit func(*ec2types.ResponseLaunchTemplateData)) *ec2types.ResponseLaunchTemplateData {
		d := &ec2types.ResponseLaunchTemplateData{
			ImageId:  want.ImageId,
			UserData: want.UserData,
			MetadataOptions: &ec2types.LaunchTemplateInstanceMetadataOptions{
				HttpTokens:              want.MetadataOptions.HttpTokens,
				HttpPutResponseHopLimit: want.MetadataOptions.HttpPutResponseHopLimit,
				InstanceMetadataTags:    want.MetadataOptions.InstanceMetadataTags,
			},
			IamInstanceProfile: &ec2types.LaunchTemplateIamInstanceProfileSpecification{Name: aws.String("p")},
		}
		if edit != nil {
			edit(d)
		}
		return d
	}
	tests := []struct {
		name string
		got  *ec2types.ResponseLaunchTemplateData
		want bool
	}{
		{"same", stored(nil), true},
		{"nothing stored", nil, false},
		{"other image", stored(func(d *ec2types.ResponseLaunchTemplateData) { d.ImageId = aws.String("ami-2") }), false},
		{"other user data", stored(func(d *ec2types.ResponseLaunchTemplateData) { d.UserData = aws.String("eA==") }), false},
		{"tokens optional", stored(func(d *ec2types.ResponseLaunchTemplateData) {
			d.MetadataOptions.HttpTokens = ec2types.LaunchTemplateHttpTokensStateOptional
		}), false},
		{"hop limit 2", stored(func(d *ec2types.ResponseLaunchTemplateData) { d.MetadataOptions.HttpPutResponseHopLimit = aws.Int32(2) }), false},
		{"no metadata options", stored(func(d *ec2types.ResponseLaunchTemplateData) { d.MetadataOptions = nil }), false},
		{"other profile", stored(func(d *ec2types.ResponseLaunchTemplateData) { d.IamInstanceProfile.Name = aws.String("q") }), false},
		{"no profile", stored(func(d *ec2types.ResponseLaunchTemplateData) { d.IamInstanceProfile = nil }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameLaunchData(want, tt.got); got != tt.want {
				t.Errorf("sameLaunchData = %v, want %v", got, tt.want)
			}
		})
	}
}
