package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/deploy/kit"
)

// fuzzRoute is one endpoint of the API the fuzzer calls. A POST sends the
// fuzzed bytes as its body; a GET or DELETE sends them as its query.
type fuzzRoute struct{ method, path string }

var fuzzOperations = []string{
	"submitjob", "describejobs", "listjobs", "canceljob", "terminatejob", "canceljobs", "terminatejobs",
	"registerjobdefinition", "describejobdefinitions", "deregisterjobdefinition",
	"createcomputeenvironment", "updatecomputeenvironment", "describecomputeenvironments", "deletecomputeenvironment",
	"createjobqueue", "updatejobqueue", "describejobqueues", "deletejobqueue",
	"createschedulingpolicy", "updateschedulingpolicy", "describeschedulingpolicies", "listschedulingpolicies",
	"deleteschedulingpolicy", "getjobqueuesnapshot",
}

// fuzzRoutes is the whole API surface: every AWS Batch operation, the
// tag operations on resources that exist and that do not, job logs,
// trigger rules and the capacity history.
func fuzzRoutes(p batch.Partition) []fuzzRoute {
	var rs []fuzzRoute
	for _, op := range fuzzOperations {
		rs = append(rs, fuzzRoute{http.MethodPost, "/v1/" + op})
	}
	for _, arn := range []string{
		p.JobQueueARN(DefaultJobQueue), p.ComputeEnvironmentARN(DefaultComputeEnvironment),
		p.JobDefinitionARN(ExampleJobDefinition, 1), p.JobARN("00000000-0000-0000-0000-000000000000"),
		p.SchedulingPolicyARN("none"), "not-an-arn",
	} {
		path := "/v1/tags/" + url.PathEscape(arn)
		rs = append(rs, fuzzRoute{http.MethodPost, path}, fuzzRoute{http.MethodGet, path}, fuzzRoute{http.MethodDelete, path})
	}
	return append(rs,
		fuzzRoute{http.MethodGet, "/tanda/v1/logs"},
		fuzzRoute{http.MethodPost, "/tanda/v1/triggers"},
		fuzzRoute{http.MethodGet, "/tanda/v1/triggers"},
		fuzzRoute{http.MethodDelete, "/tanda/v1/triggers/rule"},
		fuzzRoute{http.MethodGet, "/tanda/v1/capacity"},
		fuzzRoute{http.MethodPost, "/v1/nosuchoperation"},
		fuzzRoute{http.MethodPost, "/v1/createconsumableresource"},
	)
}

// fuzzSeeds are valid requests to every route, and invalid ones that once
// found, or nearly found, a fault. Each is (route name, body or query).
var fuzzSeeds = [][2]string{
	{"submitjob", `{"jobName":"a","jobQueue":"default","jobDefinition":"example"}`},
	{"submitjob", `{"jobName":"a","jobQueue":"default","jobDefinition":"example","arrayProperties":{"size":3},"retryStrategy":{"attempts":2,"evaluateOnExit":[{"onExitCode":"1*","action":"RETRY"}]},"parameters":{"p":"v"},"containerOverrides":{"command":["echo","Ref::p"],"environment":[{"name":"A","value":"b"}],"resourceRequirements":[{"type":"VCPU","value":"1"}]},"timeout":{"attemptDurationSeconds":60},"tags":{"k":"v"}}`},
	{"submitjob", `{"jobName":"a","jobQueue":"default","jobDefinition":"example","arrayProperties":{"size":-1}}`},
	{"submitjob", `{"jobName":"a","jobQueue":"default","jobDefinition":"example:999999999999"}`},
	{"submitjob", `{"jobName":"a","jobQueue":"arn:aws:batch:us-east-1:123456789012:job-queue/default","jobDefinition":"arn:aws:batch:x"}`},
	{"submitjob", `{"jobName":"a","jobQueue":"default","jobDefinition":"example","dependsOn":[{"jobId":"","type":"N_TO_N"}]}`},
	{"submitjob", `{"jobName":"a","jobQueue":"default","jobDefinition":"example","containerOverrides":{"resourceRequirements":[{"type":"VCPU","value":"1e400"}]}}`},
	{"submitjob", `{"jobName":"a","jobQueue":"default","jobDefinition":"example","timeout":{"attemptDurationSeconds":9223372036854775807}}`},
	{"describejobs", `{"jobs":["x",""]}`},
	{"listjobs", `{"jobQueue":"default","jobStatus":"SUCCEEDED","maxResults":10}`},
	{"listjobs", `{"jobQueue":"default","filters":[{"name":"AFTER_CREATED_AT","values":["-1"]}]}`},
	{"listjobs", `{"jobQueue":"default","nextToken":"garbage"}`},
	{"listjobs", `{"arrayJobId":"nope:1"}`},
	{"canceljob", `{"jobId":"x","reason":"r"}`},
	{"terminatejob", `{"jobId":"x","reason":"r"}`},
	{"canceljobs", `{"jobs":["a"],"reason":"r"}`},
	{"terminatejobs", `{"jobs":["a"],"reason":"r"}`},
	{"registerjobdefinition", `{"jobDefinitionName":"d","type":"container","containerProperties":{"image":"i","vcpus":1,"memory":4}}`},
	{"registerjobdefinition", `{"jobDefinitionName":"d","type":"container","containerProperties":{"image":"i","command":["x"],"resourceRequirements":[{"type":"VCPU","value":"0.5"},{"type":"MEMORY","value":"128"}]},"retryStrategy":{"attempts":3},"tags":{"a":"b"}}`},
	{"describejobdefinitions", `{"jobDefinitions":["d:1","arn:aws:batch:us-east-1:123456789012:job-definition/d"]}`},
	{"describejobdefinitions", `{"jobDefinitionName":"example","status":"ACTIVE"}`},
	{"deregisterjobdefinition", `{"jobDefinition":"example:1"}`},
	{"createcomputeenvironment", `{"computeEnvironmentName":"c","type":"MANAGED","computeResources":{"type":"EC2","maxvCpus":4,"instanceTypes":["optimal"]}}`},
	{"createcomputeenvironment", `{"computeEnvironmentName":"c","type":"MANAGED","computeResources":{"type":"EC2","minvCpus":0,"maxvCpus":8,"instanceTypes":["local"],"subnets":["s"],"instanceRole":"r"}}`},
	{"updatecomputeenvironment", `{"computeEnvironment":"default","computeResources":{"desiredvCpus":0,"minvCpus":5,"maxvCpus":1}}`},
	{"updatecomputeenvironment", `{"computeEnvironment":"default","state":"ENABLED","computeResources":{"maxvCpus":16}}`},
	{"describecomputeenvironments", `{"computeEnvironments":["default"]}`},
	{"deletecomputeenvironment", `{"computeEnvironment":"default"}`},
	{"createjobqueue", `{"jobQueueName":"q","priority":1,"computeEnvironmentOrder":[{"order":1,"computeEnvironment":"default"},{"order":1,"computeEnvironment":"default"}]}`},
	{"createjobqueue", `{"jobQueueName":"q","priority":1,"state":"ENABLED","computeEnvironmentOrder":[{"order":1,"computeEnvironment":"default"}]}`},
	{"updatejobqueue", `{"jobQueue":"default","jobStateTimeLimitActions":[{"reason":"x","state":"RUNNABLE","maxTimeSeconds":1,"action":"CANCEL"}]}`},
	{"updatejobqueue", `{"jobQueue":"default","priority":5}`},
	{"describejobqueues", `{"jobQueues":["default"]}`},
	{"deletejobqueue", `{"jobQueue":"default"}`},
	{"createschedulingpolicy", `{"name":"p","fairsharePolicy":{"shareDistribution":[{"shareIdentifier":"a*"},{"shareIdentifier":"ab"}]}}`},
	{"createschedulingpolicy", `{"name":"p","fairsharePolicy":{"shareDecaySeconds":60,"computeReservation":10,"shareDistribution":[{"shareIdentifier":"a","weightFactor":0.5}]}}`},
	{"updateschedulingpolicy", `{"arn":"arn:aws:batch:us-east-1:123456789012:scheduling-policy/p","fairsharePolicy":{"shareDecaySeconds":30}}`},
	{"describeschedulingpolicies", `{"arns":["arn:aws:batch:us-east-1:123456789012:scheduling-policy/none"]}`},
	{"listschedulingpolicies", `{"maxResults":5}`},
	{"deleteschedulingpolicy", `{"arn":"arn:aws:batch:us-east-1:123456789012:scheduling-policy/p"}`},
	{"getjobqueuesnapshot", `{"jobQueue":"default"}`},
	{"POST tags", `{"tags":{"k":"v"}}`},
	{"POST tags", `{"tags":{"aws:reserved":"v"}}`},
	{"GET tags", ``},
	{"DELETE tags", `tagKeys=k&tagKeys=other`},
	{"GET /tanda/v1/logs", `jobId=00000000-0000-0000-0000-000000000000&startFromHead=true`},
	{"POST /tanda/v1/triggers", `{"name":"rule","bucket":"uploads-bucket","jobQueue":"default","jobDefinition":"example"}`},
	{"GET /tanda/v1/triggers", ``},
	{"DELETE /tanda/v1/triggers/rule", ``},
	{"GET /tanda/v1/capacity", `computeEnvironment=default&hours=24`},
	{"GET /tanda/v1/capacity", `computeEnvironment=nope&hours=99999999999999999999`},
	{"POST /v1/nosuchoperation", `{}`},
	{"", `{}`}, {"", `null`}, {"", `[]`}, {"", `{"a":` + strings.Repeat("[", 10000)},
}

// seedRoute is the index of the first route a seed's name matches.
func seedRoute(routes []fuzzRoute, name string) int {
	for i, r := range routes {
		switch {
		case name == "":
			return 0
		case r.path == "/v1/"+name,
			strings.HasPrefix(name, r.method+" ") && strings.HasPrefix(r.path, strings.TrimPrefix(name, r.method+" ")),
			name == r.method+" tags" && strings.HasPrefix(r.path, "/v1/tags/"):
			return i
		}
	}
	panic("no route for seed " + name)
}

// FuzzAPI sends signed requests with arbitrary bodies (or queries) to
// every endpoint of a real one-machine Tanda: its SQLite store, control
// plane and API handler, without the background loops, so that only the
// requests write. Whatever the request, the answer is never a 5xx (a
// client's mistake is a 4xx ClientException), and a rejected request
// commits nothing to the store (SQLite's data_version, seen from a
// connection of the fuzzer's own, moves on every commit by another).
func FuzzAPI(f *testing.F) {
	p := batch.Partition{Region: "us-east-1", Account: "123456789012"}
	routes := fuzzRoutes(p)
	for _, s := range fuzzSeeds {
		f.Add(uint8(seedRoute(routes, s[0])), []byte(s[1]))
	}
	api := openAPIOnly(f)
	f.Fuzz(func(t *testing.T, route uint8, in []byte) {
		r := routes[int(route)%len(routes)]
		code, answer, wrote, err := api.call(r, in)
		if err != nil {
			t.Skip(err) // not a request an HTTP client can send (a malformed query)
		}
		if code >= 500 {
			t.Fatalf("%s %s %q answered %d: %s", r.method, r.path, in, code, answer)
		}
		if code >= 400 && wrote {
			t.Fatalf("%s %s %q was rejected (%d: %s) but committed a write to the store", r.method, r.path, in, code, answer)
		}
	})
}

// apiOnly is a one-machine Tanda opened but not run: its API handler over
// its store, with a connection of its own to the store to see commits.
type apiOnly struct {
	handler http.Handler
	creds   aws.Credentials
	region  string
	mu      sync.Mutex // one request at a time, so that commits are the request's
	conn    *sql.Conn
}

func openAPIOnly(tb testing.TB) *apiOnly {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := fastConfig(tb.TempDir())
	srv, err := Open(ctx, cfg)
	if err != nil {
		cancel()
		tb.Fatalf("opening tanda: %v", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ctx) }) // no loops: the listener is closed at the end
	tb.Cleanup(func() { cancel(); wg.Wait(); srv.closeStores() })
	awsCfg, err := config.LoadDefaultConfig(ctx,
		config.WithSharedCredentialsFiles([]string{filepath.Join(cfg.DataDir, "credentials")}),
		config.WithSharedConfigFiles([]string{filepath.Join(cfg.DataDir, "config")}),
		config.WithSharedConfigProfile(kit.Profile),
	)
	if err != nil {
		tb.Fatalf("loading the credentials tanda wrote: %v", err)
	}
	creds, err := awsCfg.Credentials.Retrieve(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(cfg.DataDir, "tanda.db")+"?_pragma=query_only(1)&_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	conn, err := db.Conn(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	return &apiOnly{handler: srv.Handler(), creds: creds, region: awsCfg.Region, conn: conn}
}

// dataVersion is SQLite's data_version on the fuzzer's connection: it
// changes when another connection has committed since the last call.
func (a *apiOnly) dataVersion() (int64, error) {
	var v int64
	if err := a.conn.QueryRowContext(context.Background(), "PRAGMA data_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("reading data_version: %w", err)
	}
	return v, nil
}

// call sends a signed request on r with in as its body (POST) or query,
// and says whether the store saw a commit while it was served. err is set
// when no such request can be made.
func (a *apiOnly) call(r fuzzRoute, in []byte) (code int, answer string, wrote bool, err error) {
	target, body := "http://tanda.test"+r.path, in
	if r.method != http.MethodPost {
		target, body = target+"?"+string(in), nil
	}
	req, err := http.NewRequest(r.method, target, bytes.NewReader(body))
	if err != nil {
		return 0, "", false, err
	}
	if r.method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), a.creds, req, hex.EncodeToString(sum[:]), "batch", a.region, time.Now()); err != nil {
		return 0, "", false, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	before, err := a.dataVersion()
	if err != nil {
		panic(err)
	}
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	after, err := a.dataVersion()
	if err != nil {
		panic(err)
	}
	return rec.Code, rec.Body.String(), after != before, nil
}

// TestFuzzAPISeesCommits proves FuzzAPI's write check can fail: an
// accepted request is seen committing, a rejected one is not.
func TestFuzzAPISeesCommits(t *testing.T) {
	api := openAPIOnly(t)
	create := fuzzRoute{http.MethodPost, "/v1/createjobqueue"}
	body := []byte(`{"jobQueueName":"seen","priority":1,"computeEnvironmentOrder":[{"order":1,"computeEnvironment":"default"}]}`)
	code, answer, wrote, err := api.call(create, body)
	if err != nil || code != http.StatusOK || !wrote {
		t.Fatalf("CreateJobQueue: %d %s, wrote %v, err %v; want 200 and a commit", code, answer, wrote, err)
	}
	code, answer, wrote, err = api.call(create, body) // exists now
	if err != nil || code != http.StatusBadRequest || wrote {
		t.Fatalf("CreateJobQueue again: %d %s, wrote %v, err %v; want 400 and no commit", code, answer, wrote, err)
	}
	code, _, wrote, err = api.call(fuzzRoute{http.MethodPost, "/v1/describejobqueues"}, []byte(`{}`))
	if err != nil || code != http.StatusOK || wrote {
		t.Fatalf("DescribeJobQueues: %d, wrote %v, err %v; want 200 and no commit", code, wrote, err)
	}
}
