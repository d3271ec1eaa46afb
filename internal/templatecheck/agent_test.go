package templatecheck_test

import (
	"encoding/base64"
	"testing"

	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
	"github.com/tanda-batch/tanda/internal/templatecheck"
)

// launchTemplate is the logical id of the agents' launch template.
const launchTemplate = "AgentLaunchTemplate"

// agentUserData is the launch template's user data, decoded.
func agentUserData(t *testing.T, e *templatecheck.Evaluator) []byte {
	t.Helper()
	ud, err := e.Property(launchTemplate, "LaunchTemplateData", "UserData")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := ud.(string)
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("user data is not base64: %v", err)
	}
	return data
}

// agentSettings are the settings an agent reads from its user data.
func agentSettings(t *testing.T, e *templatecheck.Evaluator) awsstack.Settings {
	t.Helper()
	st, err := awsstack.ParseUserData(agentUserData(t, e))
	if err != nil {
		t.Fatalf("the agents' user data: %v", err)
	}
	return st
}

// TestAgentUserData checks that the user data is what `tanda serve --init`
// writes for the same settings and artifacts bucket: the settings line,
// then awsserver.InstallScript.
func TestAgentUserData(t *testing.T) {
	e := evaluate(t, nil)
	got := agentUserData(t, e)
	st := agentSettings(t, e)
	install, err := awsserver.InstallScript(mustString(t, e, map[string]any{"Ref": "ArtifactsBucket"}))
	if err != nil {
		t.Fatal(err)
	}
	want, err := st.AgentScript(install)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("user data differs from awsserver's for the same settings:\n--- got\n%s\n--- want\n%s", got, want)
	}
}

// TestAgentLaunchTemplate checks the launch data: IMDSv2 only, hop limit
// 1, tags in IMDS, the instance profile of the instance role, and a
// security group that takes no inbound traffic.
func TestAgentLaunchTemplate(t *testing.T) {
	e := evaluate(t, nil)
	st := agentSettings(t, e)
	prop := func(path ...string) any {
		t.Helper()
		v, err := e.Property(launchTemplate, path...)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := prop("LaunchTemplateName"); got != st.LaunchTemplate {
		t.Errorf("launch template name = %v, want %q (the settings')", got, st.LaunchTemplate)
	}
	md, _ := prop("LaunchTemplateData", "MetadataOptions").(map[string]any)
	for k, want := range map[string]string{"HttpTokens": "required", "HttpPutResponseHopLimit": "1", "InstanceMetadataTags": "enabled", "HttpEndpoint": "enabled"} {
		if md[k] != want {
			t.Errorf("metadata option %s = %v, want %s", k, md[k], want)
		}
	}
	if !hasTag(prop("TagSpecifications"), ec2fleet.TagStack, sample.Name) {
		t.Errorf("launch template is not tagged %s=%s, which the provisioner's launch permission requires", ec2fleet.TagStack, sample.Name)
	}
	profile := mustString(t, e, map[string]any{"Fn::GetAtt": []any{"InstanceProfile", "Arn"}})
	if got := prop("LaunchTemplateData", "IamInstanceProfile", "Arn"); got != profile {
		t.Errorf("instance profile = %v, want %s", got, profile)
	}
	roles, err := e.Property("InstanceProfile", "Roles")
	if err != nil {
		t.Fatal(err)
	}
	if want := mustString(t, e, map[string]any{"Ref": "InstanceRole"}); len(roles.([]any)) != 1 || roles.([]any)[0] != want {
		t.Errorf("instance profile roles = %v, want [%s]", roles, want)
	}
	groups, _ := prop("LaunchTemplateData", "SecurityGroupIds").([]any)
	for _, g := range groups {
		id := securityGroupByID(t, e, g)
		if in, _ := e.Property(id, "SecurityGroupIngress"); in != nil {
			t.Errorf("security group %s takes inbound traffic: %v", id, in)
		}
		if vpc, _ := e.Property(id, "VpcId"); vpc != sample.Parameters["VpcId"] {
			t.Errorf("security group %s is in VPC %v, want the VpcId parameter's", id, vpc)
		}
	}
	if len(groups) == 0 {
		t.Error("the launch template names no security group")
	}
}

// securityGroupByID is the logical id of the stack's security group with
// the resolved id.
func securityGroupByID(t *testing.T, e *templatecheck.Evaluator, id any) string {
	t.Helper()
	for _, g := range e.Resources("AWS::EC2::SecurityGroup") {
		if mustString(t, e, map[string]any{"Ref": g}) == id {
			return g
		}
	}
	t.Fatalf("security group %v is not the stack's", id)
	return ""
}

// hasTag reports whether resolved TagSpecifications carry key=value.
func hasTag(specs any, key, value string) bool {
	list, _ := specs.([]any)
	for _, s := range list {
		m, _ := s.(map[string]any)
		tags, _ := m["Tags"].([]any)
		for _, tag := range tags {
			if tm, _ := tag.(map[string]any); tm["Key"] == key && tm["Value"] == value {
				return true
			}
		}
	}
	return false
}
