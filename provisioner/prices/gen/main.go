// Command gen writes the price tables of package prices from their source
// data: go generate runs it as
//
//	go run ./gen -in data/ondemand.csv -out ondemand_table.go
//	go run ./gen -spot -in data/spot_advisor.csv -out spot_table.go
//
// Each CSV's comment lines (its source and dates) become the generated
// file's header. The On-Demand rows are region, instance type and USD per
// hour; the Spot rows are region, instance type, the Spot Instance
// Advisor's savings over On-Demand (percent) and its interruption band.
//
// With -advisor it writes the Spot CSV itself from the Advisor's JSON feed
// (spot-advisor-data.json), for the regions named:
//
//	go run ./gen -advisor spot-advisor-data.json -regions us-east-1 \
//	    -source "Source: ..." -out data/spot_advisor.csv
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

func main() {
	in := flag.String("in", "data/ondemand.csv", "the source data")
	out := flag.String("out", "ondemand_table.go", "the file to write")
	spot := flag.Bool("spot", false, "write the Spot advice table from -in")
	advisor := flag.String("advisor", "", "convert this Spot Instance Advisor JSON into the Spot CSV -out")
	regions := flag.String("regions", "us-east-1", "with -advisor: the regions to keep, comma-separated")
	source := flag.String("source", "", "with -advisor: the header lines naming the feed's source and date")
	flag.Parse()
	var err error
	switch {
	case *advisor != "":
		err = runAdvisor(*advisor, *out, strings.Split(*regions, ","), *source)
	case *spot:
		err = runSpot(*in, *out)
	default:
		err = run(*in, *out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	return generate(in, out, func(r io.Reader) ([]byte, error) {
		header, table, err := read(r)
		if err != nil {
			return nil, err
		}
		return render(in, header, table)
	})
}

// generate writes out from the CSV in, through build.
func generate(in, out string, build func(r io.Reader) ([]byte, error)) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	src, err := build(f)
	if err != nil {
		return fmt.Errorf("generating %s from %s: %w", out, in, err)
	}
	return os.WriteFile(out, src, 0o644)
}

// onDemandColumns are the columns of the On-Demand price data.
const onDemandColumns = "region,instance_type,usd_per_hour"

// read parses the On-Demand price CSV.
func read(r io.Reader) (header []string, table map[string]map[string]float64, err error) {
	header, table, err = readTable(r, onDemandColumns, func(cols []string) (float64, error) {
		price, err := strconv.ParseFloat(cols[2], 64)
		if err != nil || price <= 0 {
			return 0, fmt.Errorf("price %q is not a positive number", cols[2])
		}
		return price, nil
	})
	if err == nil && len(table) == 0 {
		err = errors.New("no prices")
	}
	return header, table, err
}

// readTable parses a CSV of comment lines, the column header columns, then
// rows whose first two columns are a region and an instance type and whose
// others parse gives a value.
func readTable[V any](r io.Reader, columns string, parse func(cols []string) (V, error)) (header []string, table map[string]map[string]V, err error) {
	table = map[string]map[string]V{}
	want := strings.Count(columns, ",") + 1
	sc := bufio.NewScanner(r)
	line := 0
	sawColumns := false
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		switch {
		case text == "":
			continue
		case strings.HasPrefix(text, "#"):
			header = append(header, strings.TrimSpace(strings.TrimPrefix(text, "#")))
			continue
		case !sawColumns:
			if text != columns {
				return nil, nil, fmt.Errorf("line %d: want the columns %s, got %q", line, columns, text)
			}
			sawColumns = true
			continue
		}
		cols := strings.Split(text, ",")
		if len(cols) != want {
			return nil, nil, fmt.Errorf("line %d: want %d columns, got %d", line, want, len(cols))
		}
		v, err := parse(cols)
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		}
		if table[cols[0]] == nil {
			table[cols[0]] = map[string]V{}
		}
		if _, dup := table[cols[0]][cols[1]]; dup {
			return nil, nil, fmt.Errorf("line %d: %s in %s is listed twice", line, cols[1], cols[0])
		}
		table[cols[0]][cols[1]] = v
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	return header, table, nil
}

// render writes the On-Demand table as Go, regions and types in order.
func render(in string, header []string, table map[string]map[string]float64) ([]byte, error) {
	return renderTable("go run ./gen -in "+in, header,
		"// onDemand is USD per hour by region and instance type.\nvar onDemand = map[string]map[string]float64{",
		table, func(p float64) string { return strconv.FormatFloat(p, 'g', -1, 64) })
}

// renderTable writes table as Go: the command that generated it, header,
// the variable's opening decl, then regions and types in order, each value
// as value writes it.
func renderTable[V any](command string, header []string, decl string, table map[string]map[string]V, value func(V) string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by %s; DO NOT EDIT.\n\n", command)
	for _, h := range header {
		fmt.Fprintf(&b, "// %s\n", h)
	}
	b.WriteString("\npackage prices\n\n")
	b.WriteString(decl + "\n")
	for _, r := range sortedKeys(table) {
		fmt.Fprintf(&b, "\t%q: {\n", r)
		for _, t := range sortedKeys(table[r]) {
			fmt.Fprintf(&b, "\t\t%q: %s,\n", t, value(table[r][t]))
		}
		b.WriteString("\t},\n")
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
