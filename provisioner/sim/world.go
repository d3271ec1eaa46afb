package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/provisioner"
)

// clock is the virtual time the provisioner reads.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// instance is a simulated EC2 instance.
type instance struct {
	inst         provisioner.Instance
	price        float64 // USD per hour, as billed
	onDemand     float64 // USD per hour at the On-Demand price
	readyAt      time.Time
	ready        bool // booted, its agent registered
	terminatedAt time.Time
	room         bootstrap.Room
	lastBusy     time.Time
	zone         string // for Spot under a spot trace
	draining     bool   // warned of reclamation: takes no new job
	running      []int  // the jobs it runs
}

func (i *instance) terminated() bool { return !i.terminatedAt.IsZero() }

// world is the simulated EC2 and control plane behind the provisioner's
// Observer and Fleet.
type world struct {
	clock *clock
	start time.Time
	ce    batch.ComputeEnvironment
	rng   *rand.Rand
	boot  [2]time.Duration // min, max

	jobs     []Job
	waiting  []int       // indexes into jobs, in dispatch (submission) order
	startAt  []time.Time // the first attempt's start
	attempts []int       // attempts made
	where    []*instance // the instance a job runs (or last ran) on

	spot       *SpotTrace  // Spot capacity over time, when simulated
	spotPrices *SpotPrices // what Spot instances cost
	ice        *ICE        // offerings without capacity over time
	nextZone   int

	instances []*instance
	live      map[string]*instance // not terminated
	nextID    int

	launches, fleetCalls, passes int
	peakInstances                int
	noCapacity                   int // Spot launches refused for want of capacity
	onLaunch                     func(*instance)
}

var (
	_ provisioner.Observer = (*world)(nil)
	_ provisioner.Fleet    = (*world)(nil)
)

// ComputeEnvironments is the one simulated compute environment.
func (w *world) ComputeEnvironments(context.Context) ([]batch.ComputeEnvironment, error) {
	ce := w.ce
	cr := *ce.ComputeResources
	ce.ComputeResources = &cr
	return []batch.ComputeEnvironment{ce}, nil
}

// Demand lists the waiting jobs in dispatch order.
func (w *world) Demand(_ context.Context, _ string, limit int, waitedSince time.Time) ([]provisioner.DemandRun, error) {
	n := min(limit, len(w.waiting))
	out := make([]provisioner.Job, n)
	for k, i := range w.waiting[:n] {
		j := w.jobs[i]
		// A job waits from its submission: a retried attempt keeps the
		// job's place in the queue, as production's RunnableAt does.
		out[k] = provisioner.Job{ID: j.ID, VCPUs: j.VCPUs, MemoryMiB: j.MemoryMiB, GPUs: j.GPUs, RunnableSince: w.start.Add(j.Submit)}
	}
	return provisioner.RunsOf(out, waitedSince), nil
}

// Loads reports the registered instances, as their agents would.
func (w *world) Loads(context.Context, string) (map[string]provisioner.Load, error) {
	out := make(map[string]provisioner.Load, len(w.live))
	for id, i := range w.live {
		if !i.ready {
			continue
		}
		out[id] = provisioner.Load{
			UsedVCPUs: i.room.UsedVCPUs, UsedMemoryMiB: i.room.UsedMemoryMiB, UsedGPUs: i.room.UsedGPUs,
			RunningJobs: i.room.Running, LastBusyAt: i.lastBusy, LastSeenAt: w.clock.now, Draining: i.draining,
		}
	}
	return out, nil
}

// RecordDecision keeps desiredvCpus, as the control plane does.
func (w *world) RecordDecision(_ context.Context, _ string, d batch.ScalingDecision) error {
	desired := d.DesiredvCpus
	w.ce.ComputeResources.DesiredvCpus = &desired
	w.ce.Decision = &d
	return nil
}

// ForgetComputeEnvironment and ForgetInstance have nothing to forget: the
// simulated compute environment is never deleted, and its agents never go
// silent.
func (w *world) ForgetComputeEnvironment(context.Context, string) error { return nil }
func (w *world) ForgetInstance(context.Context, string, string) error   { return nil }

// Instances lists the live instances.
func (w *world) Instances(context.Context, string) ([]provisioner.Instance, error) {
	out := make([]provisioner.Instance, 0, len(w.live))
	for _, i := range w.instances {
		if i.terminated() {
			continue
		}
		inst := i.inst
		if i.ready {
			inst.State = provisioner.InstanceRunning
		}
		out = append(out, inst)
	}
	return out, nil
}

// Launch starts instances, one CreateFleet call per item as the EC2 fleet
// makes them; each boots in a time drawn between the bounds. The planned
// type is launched (EC2's choice among alternatives is not simulated), and
// a Spot instance is billed at the type's Spot price in its zone.
func (w *world) Launch(_ context.Context, req provisioner.LaunchRequest) ([]provisioner.Instance, error) {
	var out []provisioner.Instance
	var errs []error
	spot := req.CE.ComputeResources.Type == provisioner.ResourceSpot
	for _, it := range req.Items {
		w.fleetCalls++
		if w.ice.short(it.Type.Name, it.Type.Family, spot, w.clock.now.Sub(w.start)) {
			w.noCapacity++
			errs = append(errs, provisioner.NewInsufficientCapacityError(it.Type.Name, "",
				errors.New("InsufficientInstanceCapacity: the ICE scenario has no capacity for this offering now")))
			continue
		}
		zone := ""
		if spot && w.spot != nil {
			var ok bool
			if zone, ok = w.spotZone(); !ok {
				w.noCapacity++
				errs = append(errs, provisioner.NewInsufficientCapacityError(it.Type.Name, "",
					errors.New("InsufficientInstanceCapacity: no zone of the spot trace has Spot capacity now")))
				continue
			}
		}
		for range it.Count {
			w.nextID++
			t := it.Type
			i := &instance{
				inst: provisioner.Instance{
					ID: fmt.Sprintf("i-%08d", w.nextID), Type: t.Name, VCPUs: t.VCPUs, MemoryMiB: t.MemoryMiB, GPUs: t.GPUs,
					Spot: spot, LaunchedAt: w.clock.now, State: provisioner.InstancePending,
				},
				price:    w.hourly(t, spot, zone),
				onDemand: t.PricePerHour,
				readyAt:  w.clock.now.Add(w.bootTime()),
				room:     bootstrap.Room{VCPUs: t.VCPUs, MemoryMiB: t.MemoryMiB, GPUs: t.GPUs},
				zone:     zone,
			}
			w.instances = append(w.instances, i)
			w.live[i.inst.ID] = i
			w.launches++
			out = append(out, i.inst)
			if w.onLaunch != nil {
				w.onLaunch(i)
			}
		}
	}
	w.peakInstances = max(w.peakInstances, len(w.live))
	return out, errors.Join(errs...)
}

// spotZone picks the zone of a Spot launch: the next, in turn, of the
// zones with Spot capacity now; false when none has.
func (w *world) spotZone() (string, bool) {
	now := w.clock.now.Sub(w.start)
	zones := w.spot.Zones
	for k := range zones {
		z := zones[(w.nextZone+k)%len(zones)]
		if z.availableAt(now) {
			w.nextZone = (w.nextZone + k + 1) % len(zones)
			return z.Name, true
		}
	}
	return "", false
}

// bootTime draws a boot time between the bounds.
func (w *world) bootTime() time.Duration {
	lo, hi := w.boot[0], w.boot[1]
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(w.rng.Int64N(int64(hi-lo)+1))
}

// Terminate ends instances. A running job on one would be lost; the
// provisioner only retires idle instances, which the simulation checks.
func (w *world) Terminate(_ context.Context, _ string, ids []string) error {
	for _, id := range ids {
		i, ok := w.live[id]
		if !ok {
			continue
		}
		if i.room.Running > 0 {
			return fmt.Errorf("simulation: the provisioner terminated %s with %d jobs running", id, i.room.Running)
		}
		i.terminatedAt = w.clock.now
		delete(w.live, id)
	}
	return nil
}
