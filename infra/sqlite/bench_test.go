package sqlite_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

// benchJob is a job of realistic size: a container, environment and tags.
func benchJob(id string) batch.Job {
	return job(id, func(j *batch.Job) {
		j.Container = &batch.ContainerProperties{
			Image:   "public.ecr.aws/docker/library/busybox:latest",
			Command: []string{"sh", "-c", "echo hello from $AWS_BATCH_JOB_ID && sleep 1"},
			Environment: []batch.KeyValuePair{
				{Name: "STAGE", Value: "bench"}, {Name: "REGION", Value: "us-east-1"},
			},
			ResourceRequirements: []batch.ResourceRequirement{
				{Type: batch.ResourceVCPU, Value: "1"}, {Type: batch.ResourceMemory, Value: "2048"},
			},
		}
		j.Tags = map[string]string{"team": "data", "project": "tanda"}
		j.Parameters = map[string]string{"input": "s3://bucket/key"}
	})
}

// BenchmarkUpdateJob measures conditional job updates from many goroutines,
// each with a doorbell message, as the scheduler and agents write them.
func BenchmarkUpdateJob(b *testing.B) {
	ctx := context.Background()
	db := openDB(b, sqlite.Options{})
	var next atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		id := fmt.Sprintf("u%d", next.Add(1))
		j := benchJob(id)
		if err := db.CreateJobs(ctx, []batch.Job{j}, nil); err != nil {
			b.Error(err)
			return
		}
		j.Internal.Version = 1
		for pb.Next() {
			j.Internal.Attempt++
			var err error
			if j, err = db.UpdateJob(ctx, j, []batch.Message{{Queue: "ready", ID: id, Body: id}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
}

// BenchmarkCreateJobs measures single-job creations from many goroutines,
// each with its submission message, as SubmitJob writes them.
func BenchmarkCreateJobs(b *testing.B) {
	ctx := context.Background()
	db := openDB(b, sqlite.Options{})
	var next atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("c%d", next.Add(1))
			msgs := []batch.Message{{Queue: "submissions", ID: id, Body: id}}
			if err := db.CreateJobs(ctx, []batch.Job{benchJob(id)}, msgs); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}

// BenchmarkSendReceiveDelete measures one message's round trip through the
// queue, with several consumers at once.
func BenchmarkSendReceiveDelete(b *testing.B) {
	ctx := context.Background()
	db := openDB(b, sqlite.Options{})
	var next atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		q := fmt.Sprintf("q%d", next.Add(1))
		for i := 0; pb.Next(); i++ {
			id := fmt.Sprint(i)
			if err := db.Send(ctx, []batch.Message{{Queue: q, ID: id, Body: id}}); err != nil {
				b.Error(err)
				return
			}
			ds, err := db.Receive(ctx, q, 1, time.Minute, time.Second)
			if err != nil || len(ds) != 1 {
				b.Errorf("Receive = %d messages, %v", len(ds), err)
				return
			}
			if err := db.Delete(ctx, q, ds[0].Receipt); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkStaleJobs measures what a sweep reads on SQLite: every page of
// 10,000 stale PENDING jobs, from the jobs_waiting index alone.
func BenchmarkStaleJobs(b *testing.B) {
	const n = 10_000
	ctx := context.Background()
	db := openDB(b, sqlite.Options{})
	jobs := make([]batch.Job, n)
	for i := range jobs {
		jobs[i] = benchJob(fmt.Sprintf("p%05d", i))
		jobs[i].Status = batch.Pending
		jobs[i].Internal.UpdatedAt = int64(1000 + i)
	}
	if err := db.CreateJobs(ctx, jobs, nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		q := batch.StaleQuery{Status: batch.Pending, UpdatedBefore: 1000 + n}
		seen := 0
		for {
			pg, err := db.StaleJobs(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			seen += len(pg.Jobs)
			if pg.Next == "" {
				break
			}
			q.Page = pg.Next
		}
		if seen != n {
			b.Fatalf("listed %d stale jobs, want %d", seen, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/n*1000, "ns/job")
}
