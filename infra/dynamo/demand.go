package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tanda-batch/tanda/batch"
)

// demandPage is how many index entries one Query of a demand summary asks
// for: the entries are small, so a page is one call rather than many.
const demandPage = 1000

// runnableKey is a RUNNABLE job's queueKey: its timeKey, then '#' and its
// demand (demandValue), so that the provisioner reads a queue's demand
// from byQueueStatus alone. The demand is in the key because an index's
// keys are in every entry, while its projection is fixed: the stacks
// released before the demand was read this way project only jobQueue and
// instance, and CloudFormation cannot change that (docs/DYNAMODB.md). The
// suffix leaves the order of the keys as timeKey's: it follows the id,
// and '#' sorts below every byte of an id, so a key and the keys of
// longer ids that begin with its id keep their order.
func runnableKey(createdAt int64, id string, in batch.JobInternal) string {
	return timeKey(createdAt, id) + "#" + demandValue(in)
}

// demandValue is a RUNNABLE job's demand: when it became RUNNABLE and
// what it needs.
func demandValue(in batch.JobInternal) string {
	return strconv.FormatInt(in.RunnableAt, 10) + "|" + strconv.FormatFloat(in.VCPUs, 'g', -1, 64) + "|" +
		strconv.FormatInt(in.MemoryMiB, 10) + "|" + strconv.FormatInt(in.GPUs, 10)
}

// parseDemand reads a demand as a run of one job.
func parseDemand(v string) (batch.DemandRun, error) {
	parts := strings.Split(v, "|")
	if len(parts) != 4 {
		return batch.DemandRun{}, fmt.Errorf("demand %q: want 4 fields", v)
	}
	var r batch.DemandRun
	var errs [4]error
	r.RunnableAt, errs[0] = strconv.ParseInt(parts[0], 10, 64)
	r.VCPUs, errs[1] = strconv.ParseFloat(parts[1], 64)
	r.MemoryMiB, errs[2] = strconv.ParseInt(parts[2], 10, 64)
	r.GPUs, errs[3] = strconv.ParseInt(parts[3], 10, 64)
	for _, err := range errs {
		if err != nil {
			return batch.DemandRun{}, fmt.Errorf("demand %q: %w", v, err)
		}
	}
	return r, nil
}

// demandEntry is one job of a summary: its demand, or, for an entry
// whose key has none (written before keys carried it) or none this
// version reads, its id, whose document is read.
type demandEntry struct {
	id  string
	run batch.DemandRun
	ok  bool
}

// SummarizeRunnable summarizes the front of a queue's RUNNABLE jobs, in
// dispatch order, as runs of jobs alike (batch.DemandRun). It reads the
// queue's RUNNABLE partition of byQueueStatus, whose sort keys carry each
// job's demand (runnableKey), and no document, except those of entries
// whose key has none (jobs that became RUNNABLE before keys carried it)
// or one it cannot read.
// A Query is billed by the size of the entries it reads, whatever it
// returns, so it asks for whole entries (about 100 bytes each: 4 KB, half
// a read unit, holds about 40). Like any read of an index it may lag a
// write by a moment: a job that has just left RUNNABLE may still be
// counted.
func (s *Store) SummarizeRunnable(ctx context.Context, q batch.DemandQuery) ([]batch.DemandRun, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.opts.JobsTable),
		IndexName:                 aws.String(byQueueStatus.name),
		KeyConditionExpression:    aws.String("#h = :h"),
		ExpressionAttributeNames:  map[string]string{"#h": byQueueStatus.hash},
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": str(queuePartition(q.Queue, batch.Runnable))},
		ScanIndexForward:          aws.Bool(true),
	}
	var entries []demandEntry
	var missing []string
	for len(entries) < q.Limit {
		in.Limit = aws.Int32(int32(min(demandPage, q.Limit-len(entries))))
		out, err := s.api.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("summarizing the RUNNABLE jobs of %s: %w", q.Queue, translate(err))
		}
		for _, m := range out.Items {
			id, err := getString(m, attrID)
			if err != nil {
				return nil, fmt.Errorf("summarizing the RUNNABLE jobs of %s: %w", q.Queue, err)
			}
			key, err := getString(m, attrQueueKey)
			if err != nil {
				return nil, fmt.Errorf("summarizing the RUNNABLE jobs of %s: job %s: %w", q.Queue, id, err)
			}
			e := demandEntry{id: id}
			// A key without a demand, or with one of a shape this
			// version does not read (written by a later one, during an
			// update or a rollback), sends the summary to the document.
			if _, v := splitKey(key); v != "" {
				e.run, err = parseDemand(v)
				e.ok = err == nil
			}
			if !e.ok {
				missing = append(missing, id)
			}
			entries = append(entries, e)
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if err := s.fillDemand(ctx, entries, missing); err != nil {
		return nil, fmt.Errorf("summarizing the RUNNABLE jobs of %s: %w", q.Queue, err)
	}
	var runs batch.DemandRuns
	for _, e := range entries {
		if e.ok {
			runs.Add(e.run, q.WaitedSince)
		}
	}
	return runs, nil
}

// fillDemand reads the documents of the entries without a demand in
// their key; a job gone or no longer RUNNABLE is left out.
func (s *Store) fillDemand(ctx context.Context, entries []demandEntry, missing []string) error {
	if len(missing) == 0 {
		return nil
	}
	jobs, err := s.GetJobs(ctx, missing)
	if err != nil {
		return err
	}
	byID := make(map[string]batch.Job, len(jobs))
	for _, j := range jobs {
		byID[j.JobID] = j
	}
	for i := range entries {
		e := &entries[i]
		if j, ok := byID[e.id]; ok && !e.ok && j.Status == batch.Runnable {
			in := j.Internal
			e.run = batch.DemandRun{VCPUs: in.VCPUs, MemoryMiB: in.MemoryMiB, GPUs: in.GPUs, RunnableAt: in.RunnableAt}
			e.ok = true
		}
	}
	return nil
}
