package docker

import "github.com/tanda-batch/tanda/internal/iamactions"

// pullActions are what the Docker daemon is authorised as when it pulls an
// ECR image with a token from GetAuthorizationToken: the token carries the
// permissions of whoever asked for it.
var pullActions = []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}

// Actions are the IAM actions of the ECR calls this package makes (the
// methods of ECRTokens) and of the image pulls made with their tokens.
func Actions() []string {
	return iamactions.Union(iamactions.Of("ecr", (*ECRTokens)(nil)), pullActions)
}
