package awsclient

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
)

// The wrapped client still sends every request body whole, under
// concurrent quick calls to a server that answers at once.
func TestRequestsKeepTheirBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Jobs []string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Jobs) != 2 {
			w.Header().Set("X-Amzn-ErrorType", "ClientException")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"message":"body lost"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"jobs":[]}`))
	}))
	defer srv.Close()
	client := awsbatch.New(awsbatch.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		HTTPClient:   HTTPClient(),
	})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if _, err := client.DescribeJobs(context.Background(), &awsbatch.DescribeJobsInput{Jobs: []string{"a", "b"}}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("DescribeJobs: %v", err)
	}
}
