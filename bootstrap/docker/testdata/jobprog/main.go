// Command jobprog is the program inside the Docker runtime's test image. It
// is built static (CGO_ENABLED=0) and imported as the image's only file, so
// every behaviour a test needs is a subcommand:
//
//	jobprog env                  print the arguments, then the environment
//	jobprog exit N               exit with status N
//	jobprog oom MiB              after 200 ms, allocate and touch MiB of memory, then exit 0
//	jobprog spin SECONDS         busy-loop on every CPU, then print the CPU seconds used
//	jobprog sleep SECONDS        sleep; exit 143 on SIGTERM
//	jobprog ignoreterm SECONDS   sleep, ignoring SIGTERM
//	jobprog lines N MILLIS CODE  print "start", then N numbered lines MILLIS apart, then exit CODE
//	jobprog mixed                print to stdout and stderr, and a line without a newline
//	jobprog write PATH           create PATH and write to it
//	jobprog sha256env NAME...    print each variable's name and the SHA-256 of its value (not the value)
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: jobprog COMMAND [ARGS]")
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "env":
		for i, a := range os.Args {
			fmt.Printf("arg[%d]=%s\n", i, a)
		}
		for _, kv := range os.Environ() {
			fmt.Printf("env %s\n", kv)
		}
		fmt.Printf("uid=%d gid=%d\n", os.Getuid(), os.Getgid())
	case "sha256env":
		for _, name := range args {
			v, ok := os.LookupEnv(name)
			if !ok {
				fmt.Printf("%s unset\n", name)
				continue
			}
			fmt.Printf("%s sha256=%x\n", name, sha256.Sum256([]byte(v)))
		}
	case "exit":
		os.Exit(num(args, 0))
	case "oom":
		// Like a real job, it runs a moment before it outgrows its limit:
		// the daemon watches for OOM kills only once the container runs.
		time.Sleep(200 * time.Millisecond)
		oom(num(args, 0))
	case "spin":
		spin(time.Duration(num(args, 0)) * time.Second)
	case "sleep":
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		fmt.Println("sleeping")
		select {
		case <-c:
			fmt.Println("got SIGTERM")
			os.Exit(143)
		case <-time.After(time.Duration(num(args, 0)) * time.Second):
		}
	case "ignoreterm":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ignoring SIGTERM")
		time.Sleep(time.Duration(num(args, 0)) * time.Second)
	case "lines":
		fmt.Println("start")
		n, gap := num(args, 0), time.Duration(num(args, 1))*time.Millisecond
		for i := 1; i <= n; i++ {
			time.Sleep(gap)
			fmt.Printf("line %d\n", i)
		}
		os.Exit(num(args, 2))
	case "mixed":
		fmt.Println("out 1")
		fmt.Fprintln(os.Stderr, "err 1")
		fmt.Println("out 2")
		fmt.Print("no newline")
	case "write":
		if len(args) < 1 {
			fail("write: need a path")
		}
		if err := os.WriteFile(args[0], []byte("x"), 0o644); err != nil {
			fail(err.Error())
		}
		fmt.Println("wrote", args[0])
	default:
		fail("unknown command " + os.Args[1])
	}
}

// oom touches every page of mib MiB so that they count against the
// memory limit.
func oom(mib int) {
	var keep [][]byte
	for i := 0; i < mib; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		keep = append(keep, b)
	}
	fmt.Println("allocated", len(keep), "MiB")
}

// spin keeps every CPU busy for d of wall time and prints the CPU time the
// process got, which a CPU limit caps.
func spin(d time.Duration) {
	deadline := time.Now().Add(d)
	done := make(chan struct{})
	for i := 0; i < runtime.NumCPU(); i++ {
		go func() {
			x := 0
			for time.Now().Before(deadline) {
				x++
			}
			_ = x
			done <- struct{}{}
		}()
	}
	for i := 0; i < runtime.NumCPU(); i++ {
		<-done
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fail(err.Error())
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Printf("cpu_seconds=%.3f wall_seconds=%.3f\n", cpu.Seconds(), d.Seconds())
}

func num(args []string, i int) int {
	if i >= len(args) {
		fail(fmt.Sprintf("missing argument %d", i+1))
	}
	n, err := strconv.Atoi(args[i])
	if err != nil {
		fail(err.Error())
	}
	return n
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "jobprog:", msg)
	os.Exit(2)
}
