package ec2shapes

import (
	"testing"

	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/provisioner/prices"
)

func TestTheTableMakesAPricedCatalogue(t *testing.T) {
	types, err := Types()
	if err != nil {
		t.Fatal(err)
	}
	if len(types) < 1000 {
		t.Fatalf("%d types, want EC2's (over 1,000)", len(types))
	}
	cat, err := provisioner.NewCatalog(prices.Apply("us-east-1", types))
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := cat.Lookup("g5.xlarge"); !ok || g.GPUs != 1 || g.GPUModel != "A10G" || g.PricePerHour <= 0 || g.PriceEstimated {
		t.Errorf("g5.xlarge = %+v", g)
	}
	for _, entry := range []string{"optimal", "default_arm64", "c5", "p4d.24xlarge"} {
		if got, err := cat.ExpandFor([]string{entry}, provisioner.ResourceSpot); err != nil || len(got) == 0 {
			t.Errorf("%s: %d types, %v", entry, len(got), err)
		}
	}
	if _, err := parse([]byte("name,arch\nx,y\n")); err == nil {
		t.Error("a table with the wrong columns was read")
	}
}
