package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSimReplaysATraceAndWritesItsReport(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "hand.csv")
	if err := os.WriteFile(trace, []byte("submit,run,vcpus,memory_mib\n0,3600,2,2048\n0,1800,2,2048\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err := runSim(context.Background(), []string{"--trace", trace, "--ce", `{"instanceTypes":["c6i.large"]}`, "--boot", "30s", "--out", filepath.Join(dir, "out")}, &out)
	if err != nil {
		t.Fatalf("tanda sim: %v\n%s", err, out.String())
	}
	for _, want := range []string{"requested vCPU-hours                 3.00", "billed / requested                   1.034", "instances launched                   2"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "out", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		RequestedVCPUHours float64 `json:"requestedVcpuHours"`
		Finished           int     `json:"finished"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || r.RequestedVCPUHours != 3 || r.Finished != 2 {
		t.Errorf("report.json = %s (%v)", raw, err)
	}
	if series, err := os.ReadFile(filepath.Join(dir, "out", "series.csv")); err != nil || !strings.HasPrefix(string(series), "seconds,waiting_vcpus") {
		t.Errorf("series.csv: %v %q", err, series)
	}
	if img, err := os.ReadFile(filepath.Join(dir, "out", "chart.png")); err != nil || !strings.HasPrefix(string(img), "\x89PNG") {
		t.Errorf("chart.png: %v, %d bytes", err, len(img))
	}
}

func TestSimBillsSpotAtTheSpotPricesGiven(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "hand.csv")
	prices := filepath.Join(dir, "spot.csv")
	if err := os.WriteFile(trace, []byte("submit,run,vcpus,memory_mib\n0,3600,2,2048\n0,1800,2,2048\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prices, []byte("instance_type,usd_per_hour\nc6i.large,0.02\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	args := []string{"--trace", trace, "--ce", `{"type":"SPOT","instanceTypes":["c6i.large"]}`, "--boot", "30s", "--spot-prices", prices, "--baseline", "karpenter-like"}
	if err := runSim(context.Background(), args, &out); err != nil {
		t.Fatalf("tanda sim: %v\n%s", err, out.String())
	}
	// 1.551 instance-hours (billed / requested 1.034 of 3 vCPU-hours on
	// 2 vCPUs) at $0.02, and at c6i.large's $0.085 On-Demand.
	for _, want := range []string{
		"$0.03 at Spot prices ($0.13 at On-Demand, 76.5% less; Spot prices: spot.csv, over AWS Spot Instance Advisor",
		"oracle lower bound                   $0.03 at Spot prices",
		"cost at On-Demand",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if err := os.WriteFile(prices, []byte("c6i.large,free\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runSim(context.Background(), args, &strings.Builder{}); err == nil || !strings.Contains(err.Error(), "--spot-prices") {
		t.Errorf("bad Spot prices: %v", err)
	}
}

func TestSimComparesTheBaselines(t *testing.T) {
	var out strings.Builder
	if err := runSim(context.Background(), []string{"--trace", "../../provisioner/sim/testdata/kth-sp2-first500.swf", "--baseline", "all"}, &out); err != nil {
		t.Fatalf("tanda sim --baseline all: %v", err)
	}
	for _, want := range []string{"policy ", "tanda ", "static ", "batch-default ", "karpenter-like ", "oracle (bound) "} {
		if !strings.Contains(out.String(), "\n"+want) {
			t.Errorf("the comparison lacks a %q row:\n%s", want, out.String())
		}
	}
	if err := runSim(context.Background(), []string{"--trace", "../../provisioner/sim/testdata/kth-sp2-first500.swf", "--baseline", "cheapest"}, &strings.Builder{}); err == nil {
		t.Error("an unknown baseline ran")
	}
}

func TestSimRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--trace", "x.csv", "--boot", "fast"},
		{"--trace", "x.csv", "--ce", `{"instanceTypez":["c5"]}`},
		{"--trace", "x.unknown"},
	} {
		if err := runSim(context.Background(), args, &strings.Builder{}); err == nil {
			t.Errorf("tanda sim %v succeeded", args)
		}
	}
}
