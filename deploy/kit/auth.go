package kit

import (
	"context"
	"net/http"

	"github.com/tanda-batch/tanda/api/httpapi"
	"github.com/tanda-batch/tanda/api/sigv4"
)

// Authenticator verifies the API's SigV4 signatures (httpapi.Authenticator).
type Authenticator struct{ Verifier *sigv4.Verifier }

var _ httpapi.Authenticator = Authenticator{}

// Authenticate returns the access key id of a request signed with a known
// key.
func (a Authenticator) Authenticate(ctx context.Context, r *http.Request, body []byte) (string, error) {
	id, err := a.Verifier.Verify(ctx, r, body)
	if err != nil {
		return "", err
	}
	return id.AccessKeyID, nil
}
