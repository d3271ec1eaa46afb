package ec2agent_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
)

// Paths the fake IMDS serves.
const (
	identityPath  = "/latest/dynamic/instance-identity/document"
	lifecyclePath = "/latest/meta-data/instance-life-cycle"
	userDataPath  = "/latest/user-data"
	ceTagPath     = "/latest/meta-data/tags/instance/" + ec2fleet.TagComputeEnvironment
	spotPath      = "/latest/meta-data/spot/instance-action"
	rebalancePath = "/latest/meta-data/events/recommendations/rebalance"
)

// The test instance.
const (
	instanceID   = "i-0123456789abcdef0"
	instanceType = "m6i.xlarge" // 4 vCPUs, 16384 MiB in the catalogue
	ceName       = "spot-ce"
	region       = "us-east-1"
	account      = "123456789012"
)

// fakeIMDS is an IMDSv2 stand-in, as the integration harness serves one per
// instance: GETs need the token a PUT gave, paths without content are 404.
type fakeIMDS struct {
	URL string

	mu    sync.Mutex
	paths map[string]string
}

// newFakeIMDS serves an instance of the test's stack in ceName, with
// settings s in its user data.
func newFakeIMDS(t *testing.T, s awsstack.Settings) *fakeIMDS {
	t.Helper()
	userData, err := s.WithDefaults().AgentScript("exec /usr/local/bin/tanda agent")
	if err != nil {
		t.Fatalf("AgentScript: %v", err)
	}
	f := &fakeIMDS{paths: map[string]string{
		identityPath: fmt.Sprintf(`{"accountId":%q,"availabilityZone":"us-east-1a","instanceId":%q,"instanceType":%q,"region":%q}`,
			account, instanceID, instanceType, region),
		lifecyclePath: "spot",
		userDataPath:  string(userData),
		ceTagPath:     ceName,
	}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

const token = "token-1"

func (f *fakeIMDS) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
		fmt.Fprint(w, token)
		return
	case r.Method != http.MethodGet:
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	case r.Header.Get("X-aws-ec2-metadata-token") != token:
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	body, ok := f.paths[r.URL.Path]
	f.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	fmt.Fprint(w, body)
}

// set serves body at path; an empty body makes it 404.
func (f *fakeIMDS) set(path, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if body == "" {
		delete(f.paths, path)
		return
	}
	f.paths[path] = body
}
