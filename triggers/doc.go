// Package triggers starts jobs when objects are uploaded. A Rule names a
// bucket, an optional key prefix and suffix, and the job to submit: its job
// queue, job definition, parameters and an optional command. The job gets
// the object's bucket, key, version id and size as the parameters bucket,
// key, versionId and size, for its command's Ref:: references.
//
// Uploads arrive two ways. On AWS, S3 sends ObjectCreated notifications to
// the submissions queue, where the scheduler tells them from doorbells with
// IsNotification and hands them to a Dispatcher. Under `tanda up`, a Watcher
// polls one directory per bucket under the data directory.
//
// Each object version submits exactly one job per matching rule, however
// often its notification arrives: the submission's job id is derived from
// the rule, the bucket, the key and the object's version, so a repeat finds
// the first job.
package triggers
