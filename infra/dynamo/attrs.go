package dynamo

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute names of the two tables (docs/DYNAMODB.md).
const (
	attrID          = "id"
	attrVersion     = "version"
	attrDoc         = "doc"
	attrQueue       = "queueStatus" // <queue>#<STATUS>; "ACTIVE" for every STARTING or RUNNING job
	attrQueueKey    = "queueKey"    // <createdAt>#<id>, while RUNNABLE then #<demand> (runnableKey); while ACTIVE <lease expiry, rounded down>#<id>
	attrJobQueue    = "jobQueue"    // the job's queue name, while ACTIVE
	attrParent      = "parent"
	attrChildKey    = "childKey"    // <index>
	attrChildStatus = "childStatus" // the child's status
	attrSweep       = "sweep"       // SUBMITTED or PENDING
	attrSweepKey    = "sweepKey"    // <updatedAt>#<id>
	attrInstance    = "instance"
	attrTTL         = "ttl"
	attrWriteID     = "writeId" // random per write: tells a retried write from another

	attrKind      = "kind"
	attrKey       = "key"
	attrExpiresAt = "expiresAt"
	attrValue     = "value"
)

// str is a string attribute value.
func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

// num is a number attribute value.
func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// bin is a binary attribute value.
func bin(b []byte) types.AttributeValue { return &types.AttributeValueMemberB{Value: b} }

// getString reads a string attribute; "" if absent.
func getString(m map[string]types.AttributeValue, name string) (string, error) {
	v, ok := m[name]
	if !ok {
		return "", nil
	}
	s, ok := v.(*types.AttributeValueMemberS)
	if !ok {
		return "", fmt.Errorf("attribute %s is %T, not a string", name, v)
	}
	return s.Value, nil
}

// getNumber reads an integer attribute; 0 if absent.
func getNumber(m map[string]types.AttributeValue, name string) (int64, error) {
	v, ok := m[name]
	if !ok {
		return 0, nil
	}
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("attribute %s is %T, not a number", name, v)
	}
	i, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("attribute %s: %w", name, err)
	}
	return i, nil
}

// getBinary reads a binary attribute; nil if absent.
func getBinary(m map[string]types.AttributeValue, name string) ([]byte, error) {
	v, ok := m[name]
	if !ok {
		return nil, nil
	}
	b, ok := v.(*types.AttributeValueMemberB)
	if !ok {
		return nil, fmt.Errorf("attribute %s is %T, not binary", name, v)
	}
	return b.Value, nil
}
