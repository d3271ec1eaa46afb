package awsserver

import "github.com/tanda-batch/tanda/provisioner"

// CatalogOf is the catalogue b's control plane and provisioner use.
func CatalogOf(b *Backend) *provisioner.Catalog { return b.catalog }
