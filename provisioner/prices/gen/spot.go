package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// spotColumns are the columns of the Spot advice data.
const spotColumns = "region,instance_type,savings_percent,interruption_band"

// maxBand is the Spot Instance Advisor's highest interruption band (>20%).
const maxBand = 4

// advice is one row of the Spot advice data.
type advice struct {
	savings int // percent below On-Demand
	band    int // interruption frequency band, 0 to maxBand
}

// runSpot writes the Spot advice table of package prices from its CSV.
func runSpot(in, out string) error {
	return generate(in, out, func(r io.Reader) ([]byte, error) {
		header, table, err := readSpot(r)
		if err != nil {
			return nil, err
		}
		return renderSpot(in, header, table)
	})
}

// readSpot parses the Spot advice CSV.
func readSpot(r io.Reader) (header []string, table map[string]map[string]advice, err error) {
	header, table, err = readTable(r, spotColumns, func(cols []string) (advice, error) {
		savings, err := strconv.Atoi(cols[2])
		if err != nil || savings < 0 || savings >= 100 {
			return advice{}, fmt.Errorf("savings %q is not a percentage from 0 to 99", cols[2])
		}
		band, err := strconv.Atoi(cols[3])
		if err != nil || band < 0 || band > maxBand {
			return advice{}, fmt.Errorf("interruption band %q is not 0 to %d", cols[3], maxBand)
		}
		return advice{savings: savings, band: band}, nil
	})
	if err == nil && len(table) == 0 {
		err = errors.New("no Spot advice")
	}
	return header, table, err
}

// renderSpot writes the Spot advice table as Go, regions and types in
// order.
func renderSpot(in string, header []string, table map[string]map[string]advice) ([]byte, error) {
	return renderTable("go run ./gen -spot -in "+in, header,
		"// spotAdvice is the Spot Instance Advisor's savings (percent below\n"+
			"// On-Demand) and interruption band by region and instance type.\n"+
			"var spotAdvice = map[string]map[string]Advice{",
		table, func(a advice) string { return fmt.Sprintf("{%d, %d}", a.savings, a.band) })
}

// advisorDoc is the part of the Spot Instance Advisor's JSON feed
// (spot-advisor-data.json) the conversion reads: per region, per operating
// system, per instance type, the savings over On-Demand ("s", percent) and
// the interruption frequency band ("r").
type advisorDoc struct {
	SpotAdvisor map[string]map[string]map[string]struct {
		S *int `json:"s"`
		R *int `json:"r"`
	} `json:"spot_advisor"`
}

// runAdvisor converts the Advisor's JSON feed into the Spot advice CSV,
// Linux only, for the regions named.
func runAdvisor(in, out string, regions []string, source string) error {
	if strings.TrimSpace(source) == "" {
		return errors.New("-advisor needs -source: where the feed was read, and when")
	}
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	csv, err := advisorCSV(raw, regions, source)
	if err != nil {
		return fmt.Errorf("converting %s: %w", in, err)
	}
	return os.WriteFile(out, csv, 0o644)
}

// advisorCSV writes the Linux advice of regions as CSV, with a header that
// says what the columns mean and names source.
func advisorCSV(raw []byte, regions []string, source string) ([]byte, error) {
	var doc advisorDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decoding the Advisor's JSON: %w", err)
	}
	var b bytes.Buffer
	b.WriteString("# AWS Spot Instance Advisor, Linux: per instance type, Spot's savings over the On-Demand\n")
	b.WriteString("# price (percent, over the trailing 30 days, averaged across the region's Availability\n")
	b.WriteString("# Zones) and the frequency of interruption band (0: <5%, 1: 5-10%, 2: 10-15%,\n")
	b.WriteString("# 3: 15-20%, 4: >20% of Spot instances reclaimed in the trailing month).\n")
	for _, line := range strings.Split(strings.TrimSpace(source), "\n") {
		fmt.Fprintf(&b, "# %s\n", strings.TrimSpace(line))
	}
	b.WriteString("# Savings are public facts; to refresh this file, see docs/AWS.md (\"Spot prices\").\n")
	b.WriteString(spotColumns + "\n")
	for _, region := range regions {
		linux, ok := doc.SpotAdvisor[region]["Linux"]
		if !ok || len(linux) == 0 {
			return nil, fmt.Errorf("the Advisor has no Linux advice for %s", region)
		}
		for _, t := range sortedKeys(linux) {
			a := linux[t]
			if a.S == nil || a.R == nil {
				return nil, fmt.Errorf("%s in %s lacks its savings or its band", t, region)
			}
			fmt.Fprintf(&b, "%s,%s,%d,%d\n", region, t, *a.S, *a.R)
		}
	}
	// What was written must read back.
	if _, _, err := readSpot(bytes.NewReader(b.Bytes())); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
