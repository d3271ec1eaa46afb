// Command chaosjob is the chaos suite's job: it records its execution
// (jobrecord.RunJob) and exits with the code its arguments give.
package main

import (
	"os"

	"github.com/tanda-batch/tanda/integration/chaos/jobrecord"
)

func main() { os.Exit(jobrecord.RunJob(os.Args[1:])) }
