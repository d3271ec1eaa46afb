package stsroles

import "github.com/tanda-batch/tanda/internal/iamactions"

// Actions are the IAM actions the Assumer needs: sts:AssumeRole, and, as
// it passes session tags and a source identity, sts:TagSession and
// sts:SetSourceIdentity.
func Actions() []string {
	return iamactions.Union(iamactions.Of("sts", (*stsAPI)(nil)), []string{"sts:SetSourceIdentity", "sts:TagSession"})
}
