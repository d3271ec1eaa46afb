// Package catalogtest gives tests the catalogue of moto's instance types,
// listed once per test binary: moto takes seconds to list its 1,263 types,
// and a test that opens a stack's backend should not pay that each time.
package catalogtest

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/infra/ec2catalog"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/internal/awsclient"
	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/provisioner/prices"
)

var listing struct {
	once  sync.Once
	types []provisioner.InstanceType
	err   error
}

// Moto returns a new catalogue of the instance types moto's EC2 lists,
// priced for mototest.Region as a stack's backend prices them. It skips
// (or fails) the test without moto.
func Moto(t testing.TB) *provisioner.Catalog {
	t.Helper()
	endpoint := mototest.Endpoint(t)
	listing.once.Do(func() {
		api := ec2.New(ec2.Options{
			Region: mototest.Region, BaseEndpoint: aws.String(endpoint),
			Credentials: mototest.Credentials(), HTTPClient: awsclient.HTTPClient(),
		})
		src := ec2catalog.New(api, batchtest.NewItems(), ec2catalog.Options{Region: mototest.Region})
		listing.types, listing.err = src.List(context.Background())
	})
	if listing.err != nil {
		t.Fatalf("listing moto's instance types: %v", listing.err)
	}
	cat, err := provisioner.NewCatalog(prices.Apply(mototest.Region, listing.types))
	if err != nil {
		t.Fatalf("building the catalogue of moto's instance types: %v", err)
	}
	return cat
}
