package awsserver

import (
	"fmt"
	"slices"

	"github.com/tanda-batch/tanda/provisioner"
)

// localFamily is the family of one-machine Tanda's in-process instances,
// which EC2 cannot launch.
const localFamily = "local"

// ec2Catalog is the built-in catalogue without the in-process types, so a
// compute environment asking for them is refused when it is created.
func ec2Catalog() (*provisioner.Catalog, error) {
	types := slices.DeleteFunc(provisioner.DefaultCatalog().Types(), func(t provisioner.InstanceType) bool {
		return t.Family == localFamily
	})
	cat, err := provisioner.NewCatalog(types)
	if err != nil {
		return nil, fmt.Errorf("building the EC2 catalogue: %w", err)
	}
	return cat, nil
}
