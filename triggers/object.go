package triggers

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"

	"github.com/tanda-batch/tanda/batch"
)

// Object is one created object version.
type Object struct {
	Bucket string
	// Key is the object's key, decoded.
	Key  string
	Size int64
	// VersionID is the version in a versioned bucket: empty in an
	// unversioned one, "null" in one whose versioning is suspended.
	VersionID string
	// Sequencer orders the events of one key. S3 sets it on every
	// ObjectCreated event; the Watcher sets it from a file's size and
	// modification time.
	Sequencer string
	ETag      string
	// EventTime is when the notification says the object was created.
	EventTime string
}

// version tells this version of the object from the key's others: its
// version id; in a bucket without versions (or with versioning
// suspended, where every version is "null") the event's sequencer; and
// where neither is set (moto sets neither) its ETag and event time.
func (o Object) version() string {
	switch {
	case o.VersionID != "" && o.VersionID != "null":
		return "v:" + o.VersionID
	case o.Sequencer != "":
		return "s:" + o.Sequencer
	default:
		return "e:" + o.ETag + "@" + o.EventTime
	}
}

// requestInfo is the identity of a rule's submission for o: the job id
// SubmitJob derives from it is the same for every delivery of the
// object's notification, so a repeat finds the first job. The rule's
// creation time is part of it, so a rule deleted and created again is a
// new rule. BodySHA256 stands for the request's content, which is the
// object version's: a repeat finds the first job even if the rule's
// parameters changed in between.
func requestInfo(r *Rule, o Object) batch.RequestInfo {
	ri := batch.RequestInfo{
		AccessKeyID:  "trigger:" + r.Name + ":" + strconv.FormatInt(r.CreatedAt, 10),
		InvocationID: o.Bucket + "/" + o.Key + "/" + o.version(),
	}
	sum := sha256.Sum256([]byte(ri.AccessKeyID + "\n" + ri.InvocationID))
	ri.BodySHA256 = hex.EncodeToString(sum[:])
	return ri
}

// jobInput is the SubmitJob request of r for o: the rule's parameters and
// the object's.
func (r *Rule) jobInput(o Object) *batch.SubmitJobInput {
	params := make(map[string]string, len(r.Parameters)+len(reservedParams))
	maps.Copy(params, r.Parameters)
	params[ParamBucket] = o.Bucket
	params[ParamKey] = o.Key
	params[ParamVersionID] = o.VersionID
	params[ParamSize] = strconv.FormatInt(o.Size, 10)
	in := &batch.SubmitJobInput{
		JobName:       r.Name,
		JobQueue:      r.JobQueue,
		JobDefinition: r.JobDefinition,
		Parameters:    params,
	}
	if len(r.Command) > 0 {
		in.ContainerOverrides = &batch.ContainerOverrides{Command: slices.Clone(r.Command)}
	}
	return in
}
