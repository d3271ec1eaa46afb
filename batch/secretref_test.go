package batch

import (
	"strings"
	"testing"
)

func TestParseSecretRef(t *testing.T) {
	const sm = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf"
	tests := []struct {
		valueFrom string
		want      SecretRef
		err       string
	}{
		{valueFrom: "db-password", want: SecretRef{Store: SecretStoreSSM, Parameter: "db-password"}},
		{valueFrom: "/prod/db/password", want: SecretRef{Store: SecretStoreSSM, Parameter: "/prod/db/password"}},
		{valueFrom: "arn:aws:ssm:us-east-2:111122223333:parameter/db-password", want: SecretRef{
			Store: SecretStoreSSM, Partition: "aws", Region: "us-east-2", Account: "111122223333", Parameter: "db-password",
			ARN: "arn:aws:ssm:us-east-2:111122223333:parameter/db-password",
		}},
		{valueFrom: "arn:aws-cn:ssm:cn-north-1:111122223333:parameter/prod/db", want: SecretRef{
			Store: SecretStoreSSM, Partition: "aws-cn", Region: "cn-north-1", Account: "111122223333", Parameter: "/prod/db",
			ARN: "arn:aws-cn:ssm:cn-north-1:111122223333:parameter/prod/db",
		}},
		{valueFrom: sm, want: SecretRef{Store: SecretStoreSecretsManager, Partition: "aws", Region: "eu-west-1", Account: "111122223333", ARN: sm}},
		{valueFrom: sm + ":username::", want: SecretRef{Store: SecretStoreSecretsManager, Partition: "aws", Region: "eu-west-1", Account: "111122223333", ARN: sm, JSONKey: "username"}},
		{valueFrom: sm + "::AWSPREVIOUS:", want: SecretRef{Store: SecretStoreSecretsManager, Partition: "aws", Region: "eu-west-1", Account: "111122223333", ARN: sm, VersionStage: "AWSPREVIOUS"}},
		{valueFrom: sm + ":::9d4cb84b-ad69-40e0-a0eb-EXAMPLE", want: SecretRef{Store: SecretStoreSecretsManager, Partition: "aws", Region: "eu-west-1", Account: "111122223333", ARN: sm, VersionID: "9d4cb84b-ad69-40e0-a0eb-EXAMPLE"}},
		{valueFrom: sm + ":password::9d4cb84b", want: SecretRef{Store: SecretStoreSecretsManager, Partition: "aws", Region: "eu-west-1", Account: "111122223333", ARN: sm, JSONKey: "password", VersionID: "9d4cb84b"}},
		{valueFrom: sm + ":::", want: SecretRef{Store: SecretStoreSecretsManager, Partition: "aws", Region: "eu-west-1", Account: "111122223333", ARN: sm}},
		// A partial ARN (no random suffix) is passed on as given.
		{valueFrom: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db", want: SecretRef{Store: SecretStoreSecretsManager, Partition: "aws", Region: "eu-west-1", Account: "111122223333", ARN: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db"}},

		{valueFrom: "", err: "parameter's name"},
		{valueFrom: "has space", err: "parameter's name"},
		{valueFrom: strings.Repeat("a", 2049), err: "up to 2048"},
		{valueFrom: "arn:aws:ssm:us-east-1:111122223333", err: "must be an ARN with a partition, a region and an account"},
		{valueFrom: "arn:aws:ssm::111122223333:parameter/x", err: "must be an ARN with a partition, a region and an account"},
		{valueFrom: "arn:aws:ssm:us-east-1::parameter/x", err: "must be an ARN with a partition, a region and an account"},
		{valueFrom: "arn:aws:ssm:us-east-1:111122223333:document/x", err: "must name a parameter"},
		{valueFrom: "arn:aws:ssm:us-east-1:111122223333:parameter/", err: "must name a parameter"},
		{valueFrom: "arn:aws:ssm:us-east-1:111122223333:parameter/a b", err: "parameter's name"},
		{valueFrom: "arn:aws:secretsmanager:us-east-1:111122223333:secret:", err: "must be a secret's ARN"},
		{valueFrom: "arn:aws:secretsmanager:us-east-1:111122223333:db", err: "must be a secret's ARN"},
		{valueFrom: sm + ":username", err: "must be a secret's ARN"},
		{valueFrom: sm + ":username:AWSCURRENT", err: "must be a secret's ARN"},
		{valueFrom: sm + ":a:b:c:d", err: "must be a secret's ARN"},
		{valueFrom: sm + "::AWSCURRENT:v1", err: "must not give both a version stage and a version id"},
		{valueFrom: "arn:aws:s3:us-east-1:111122223333:bucket", err: "got an ARN of s3"},
	}
	for _, tt := range tests {
		got, err := ParseSecretRef(tt.valueFrom)
		name := tt.valueFrom
		if len(name) > 80 {
			name = name[:80]
		}
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseSecretRef(%s) = %+v, %v; want an error containing %q", name, got, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("ParseSecretRef(%s): %v", name, err)
		case tt.err == "" && got != tt.want:
			t.Errorf("ParseSecretRef(%s) =\n %+v\nwant\n %+v", name, got, tt.want)
		}
	}
}

func TestSecretRefString(t *testing.T) {
	for in, want := range map[string]string{
		"db": "db",
		"arn:aws:ssm:us-east-1:111122223333:parameter/db":                    "arn:aws:ssm:us-east-1:111122223333:parameter/db",
		"arn:aws:secretsmanager:us-east-1:111122223333:secret:db-x:user::":   "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-x",
		"arn:aws:secretsmanager:us-east-1:111122223333:secret:db-x::stage1:": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-x",
	} {
		ref, err := ParseSecretRef(in)
		if err != nil {
			t.Fatalf("ParseSecretRef(%s): %v", in, err)
		}
		if got := ref.String(); got != want {
			t.Errorf("ParseSecretRef(%s).String() = %s, want %s", in, got, want)
		}
	}
}
