package chaos

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/tanda-batch/tanda/integration/chaos/jobrecord"
)

// Kinds of job in the workload.
const (
	KindSingle   = "single"  // runs a while and succeeds
	KindRetry    = "retry"   // fails its first attempts with exit 3, retried by evaluateOnExit, then succeeds
	KindPoison   = "poison"  // exits 7, which evaluateOnExit says not to retry: FAILED after one attempt
	KindTimeout  = "timeout" // outlives its attempt timeout: FAILED
	KindChain    = "chain"   // waits for an earlier job
	KindArray    = "array"   // an array job
	KindSeqArray = "seq-array"
	KindNToN     = "n-to-n" // an array waiting child by child for an earlier array
)

// Workload sizes a workload.
type Workload struct {
	Jobs         int // jobs to submit, array children counted
	ArrayMin     int // children of an array job
	ArrayMax     int
	SeqArrayMax  int // children of a SEQUENTIAL array (run one after the other)
	NToNMax      int // children of each array of an N_TO_N pair
	TimeoutSecs  int32
	ActionsShare float64 // cancels and terminates per job submitted
}

// Item is one submission of the plan.
type Item struct {
	Name           string
	Kind           string
	Args           jobrecord.JobArgs
	Attempts       int32
	EvaluateOnExit []types.EvaluateOnExit
	TimeoutSecs    int32
	ArraySize      int
	Sequential     bool
	DependsOn      []int // earlier items waited for as a whole
	NToN           []int // earlier arrays waited for child by child
}

// Jobs is how many jobs the item makes, children counted.
func (it Item) Jobs() int { return 1 + it.ArraySize }

// Plan is a workload drawn from a seed: the submissions in order.
type Plan struct {
	Items   []Item
	Actions int // cancels and terminates to issue
}

// NewPlan draws a workload from rng.
func NewPlan(rng *rand.Rand, w Workload) Plan {
	var p Plan
	jobs := 0
	arrays := []int{} // items that are arrays
	sizes := map[int]int{}
	sleep := func(lo, hi time.Duration) time.Duration {
		return lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
	}
	for jobs < w.Jobs {
		i := len(p.Items)
		it := Item{Name: fmt.Sprintf("c%05d", i), Attempts: 1}
		r := rng.Float64()
		switch {
		case r < 0.50:
			it.Kind = KindSingle
			it.Args.Sleep = sleep(100*time.Millisecond, 2*time.Second)
		case r < 0.65:
			it.Kind = KindRetry
			it.Args = jobrecord.JobArgs{Sleep: sleep(100*time.Millisecond, time.Second), FailUntil: 1 + rng.IntN(2), FailCode: 3}
			it.Attempts = 4
			it.EvaluateOnExit = []types.EvaluateOnExit{
				{OnExitCode: aws.String("3"), Action: types.RetryActionRetry},
				{OnExitCode: aws.String("*"), Action: types.RetryActionExit},
			}
		case r < 0.70:
			it.Kind = KindPoison
			it.Args = jobrecord.JobArgs{Sleep: sleep(0, 500*time.Millisecond), Code: 7}
			it.Attempts = 3
			it.EvaluateOnExit = []types.EvaluateOnExit{{OnExitCode: aws.String("7"), Action: types.RetryActionExit}}
		case r < 0.73:
			it.Kind = KindTimeout
			it.Args.Sleep = time.Hour
			it.TimeoutSecs = w.TimeoutSecs
		case r < 0.90 && i > 0:
			it.Kind = KindChain
			it.Args.Sleep = sleep(100*time.Millisecond, time.Second)
			it.DependsOn = []int{i - 1 - rng.IntN(min(i, 10))}
		case r < 0.94:
			it.Kind = KindArray
			it.ArraySize = w.ArrayMin + rng.IntN(w.ArrayMax-w.ArrayMin+1)
			it.Args.Sleep = sleep(0, 300*time.Millisecond)
			it.Attempts = 2
		case r < 0.97:
			it.Kind = KindSeqArray
			it.ArraySize = 2 + rng.IntN(w.SeqArrayMax-1)
			it.Sequential = true
			it.Args.Sleep = sleep(0, 200*time.Millisecond)
		default:
			// Two arrays of one size: the second waits for the first
			// child by child.
			n := 2 + rng.IntN(w.NToNMax-1)
			first := Item{Name: it.Name, Kind: KindArray, ArraySize: n, Attempts: 2, Args: jobrecord.JobArgs{Sleep: sleep(0, 300*time.Millisecond)}}
			p.Items = append(p.Items, first)
			jobs += first.Jobs()
			arrays = append(arrays, i)
			sizes[i] = n
			it = Item{Name: fmt.Sprintf("c%05d", i+1), Kind: KindNToN, ArraySize: n, Attempts: 1, NToN: []int{i},
				Args: jobrecord.JobArgs{Sleep: sleep(0, 300*time.Millisecond)}}
		}
		p.Items = append(p.Items, it)
		jobs += it.Jobs()
		if it.ArraySize > 0 {
			arrays = append(arrays, len(p.Items)-1)
			sizes[len(p.Items)-1] = it.ArraySize
		}
	}
	p.Actions = int(float64(len(p.Items)) * w.ActionsShare)
	return p
}

// Jobs is how many jobs the plan makes, children counted.
func (p Plan) Jobs() int {
	n := 0
	for _, it := range p.Items {
		n += it.Jobs()
	}
	return n
}

// Counts is the plan's submissions by kind.
func (p Plan) Counts() map[string]int {
	out := map[string]int{}
	for _, it := range p.Items {
		out[it.Kind]++
	}
	return out
}
