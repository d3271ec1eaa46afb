package main

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/provisioner/sim"
	"github.com/tanda-batch/tanda/provisioner/sim/chart"
)

const simUsage = `Usage: tanda sim --trace FILE [--format swf|alibaba|csv] [--ce JSON] [--out DIR]
                 [--spot-trace PATH] [--spot-prices FILE] [--ice FILE] [--attempts N]
                 [--baseline NAME,...]
                 [--idle-grace D] [--boot MIN-MAX] [--seed N]

Replays a workload trace through Tanda's provisioner in virtual time and
reports what it would have cost and how long its jobs would have waited.

  --trace   the trace (.gz is read compressed)
  --format  swf (Parallel Workloads Archive), alibaba (the GPU trace's pod
            list) or csv (submit,run,vcpus,memory_mib[,gpus][,id]); guessed
            from the file name when omitted
  --ce      the compute environment's computeResources, as JSON in
            CreateComputeEnvironment's members, e.g.
            '{"type":"SPOT","instanceTypes":["c5","m5"],"maxvCpus":512}';
            default EC2 BEST_FIT_PROGRESSIVE over optimal, minvCpus 0 and a
            maxvCpus that holds the trace's busiest moment
  --out     a directory for report.json, series.csv (demand and capacity
            over time) and chart.png (the same, drawn)
  --spot-trace  Spot capacity over time, for a SPOT compute environment: a
            SkyPilot spot-trace series (a .json file, one zone) or a
            directory of them (one zone each); an instance is reclaimed,
            after a two-minute warning, when its zone's series turns 0
  --spot-prices  Spot prices in USD per hour, as CSV:
            instance_type,usd_per_hour or instance_type,zone,usd_per_hour
            (zones as a spot trace names them, e.g. us-east-1b); they
            replace the shipped ones (AWS's Spot Instance Advisor savings
            over the On-Demand price, us-east-1) for the types they name
  --ice     insufficient capacity over time, as CSV:
            from_seconds,to_seconds,types,capacity (types: a type, a family
            or *; capacity: spot, on-demand or *); launches of those
            offerings fail then, as EC2's do when a pool runs dry
  --attempts    each job's retryStrategy attempts (default 3)
  --baseline    also replay the trace under baselines, and compare:
            static (a fixed fleet the size of the trace's machine),
            batch-default (AWS Batch's documented scale-down: 20 minutes
            idle), karpenter-like (batched, cheapest type per node, empty
            nodes removed after 30 s); "all" runs the three
  --idle-grace  how long Tanda's provisioner keeps an idle instance
            (default 1m0s, as tanda up and tanda serve)
  --boot    instance boot times, drawn between MIN and MAX (default 25s-50s)
  --seed    seeds the boot times (default 1)
`

func runSim(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), simUsage) }
	tracePath := fs.String("trace", "", "")
	format := fs.String("format", "", "")
	ceJSON := fs.String("ce", "", "")
	outDir := fs.String("out", "", "")
	boot := fs.String("boot", "25s-50s", "")
	seed := fs.Uint64("seed", 1, "")
	spotTrace := fs.String("spot-trace", "", "")
	baselines := fs.String("baseline", "", "")
	idleGrace := fs.Duration("idle-grace", 0, "")
	icePath := fs.String("ice", "", "")
	spotPrices := fs.String("spot-prices", "", "")
	attempts := fs.Int("attempts", sim.DefaultAttempts, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *tracePath == "" {
		fs.Usage()
		return errors.New("sim: --trace is required")
	}
	cfg := sim.Config{Seed: *seed, Attempts: *attempts, IdleGrace: *idleGrace}
	var err error
	if *attempts < 1 || *attempts > 10 {
		return fmt.Errorf("sim: --attempts must be 1 to 10, as retryStrategy.attempts (got %d)", *attempts)
	}
	if *icePath != "" {
		f, err := os.Open(*icePath)
		if err != nil {
			return fmt.Errorf("sim: --ice: %w", err)
		}
		ice, err := sim.ReadICE(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("sim: --ice: %w", err)
		}
		cfg.ICE = &ice
	}
	if *spotPrices != "" {
		f, err := os.Open(*spotPrices)
		if err != nil {
			return fmt.Errorf("sim: --spot-prices: %w", err)
		}
		cfg.SpotPrices, err = sim.ReadSpotPrices(filepath.Base(*spotPrices), f)
		f.Close()
		if err != nil {
			return fmt.Errorf("sim: --spot-prices: %w", err)
		}
	}
	if *spotTrace != "" {
		st, err := sim.ReadSpotTrace(*spotTrace)
		if err != nil {
			return fmt.Errorf("sim: --spot-trace: %w", err)
		}
		cfg.Spot = &st
	}
	if cfg.BootMin, cfg.BootMax, err = parseBoot(*boot); err != nil {
		return err
	}
	if *ceJSON != "" {
		var cr batch.ComputeResource
		dec := json.NewDecoder(strings.NewReader(*ceJSON))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cr); err != nil {
			return fmt.Errorf("sim: --ce is not computeResources JSON: %w", err)
		}
		cfg.ComputeResources = &cr
	}
	trace, err := readTrace(*tracePath, *format)
	if err != nil {
		return err
	}
	start := time.Now()
	report, err := sim.Run(ctx, trace, cfg)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if err := report.WriteText(out); err != nil {
		return err
	}
	fmt.Fprintf(out, "replayed in %s\n", time.Since(start).Round(time.Millisecond))
	if *outDir != "" {
		if err := writeSimOutputs(*outDir, report); err != nil {
			return err
		}
	}
	if *baselines == "" {
		return nil
	}
	names := strings.Split(*baselines, ",")
	if *baselines == "all" {
		names = sim.Baselines
	}
	reports := []*sim.Report{report}
	for _, name := range names {
		bc := cfg
		bc.Policy = strings.TrimSpace(name)
		r, err := sim.Run(ctx, trace, bc)
		if err != nil {
			return fmt.Errorf("sim: baseline %s: %w", name, err)
		}
		reports = append(reports, r)
	}
	fmt.Fprintln(out)
	return sim.WriteComparison(out, reports)
}

// parseBoot reads "25s-50s".
func parseBoot(s string) (time.Duration, time.Duration, error) {
	lo, hi, ok := strings.Cut(s, "-")
	if !ok {
		hi = lo
	}
	minBoot, err1 := time.ParseDuration(lo)
	maxBoot, err2 := time.ParseDuration(hi)
	if err := errors.Join(err1, err2); err != nil || minBoot <= 0 || maxBoot < minBoot {
		return 0, 0, fmt.Errorf("sim: --boot must be MIN-MAX durations, such as 25s-50s (got %q)", s)
	}
	return minBoot, maxBoot, nil
}

// readTrace opens and parses a trace file.
func readTrace(path, format string) (sim.Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return sim.Trace{}, fmt.Errorf("sim: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	name := filepath.Base(path)
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return sim.Trace{}, fmt.Errorf("sim: %s: %w", path, err)
		}
		r = zr
		name = strings.TrimSuffix(name, ".gz")
	}
	if format == "" {
		switch {
		case strings.HasSuffix(name, ".swf"):
			format = "swf"
		case strings.Contains(name, "pod_list"):
			format = "alibaba"
		case strings.HasSuffix(name, ".csv"):
			format = "csv"
		default:
			return sim.Trace{}, fmt.Errorf("sim: cannot tell the format of %s: give --format swf, alibaba or csv", path)
		}
	}
	switch format {
	case "swf":
		return sim.ReadSWF(name, r)
	case "alibaba":
		return sim.ReadAlibaba(name, r)
	case "csv":
		return sim.ReadCSV(name, r)
	}
	return sim.Trace{}, fmt.Errorf("sim: --format must be swf, alibaba or csv (got %q)", format)
}

// writeSimOutputs writes report.json, series.csv and chart.png into dir.
func writeSimOutputs(dir string, r *sim.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	j, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(j, '\n'), 0o644); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, "series.csv"))
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if err := r.WriteSeriesCSV(f); err != nil {
		f.Close()
		return fmt.Errorf("sim: writing series: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	png, err := os.Create(filepath.Join(dir, "chart.png"))
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if err := chart.Write(png, r, 1200, 500); err != nil {
		png.Close()
		return fmt.Errorf("sim: %w", err)
	}
	return png.Close()
}
