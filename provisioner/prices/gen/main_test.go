package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
)

// The committed tables are what go generate makes of the committed data,
// and their headers name the data's source and date.
func TestGeneratedTablesAreUpToDate(t *testing.T) {
	for _, tc := range []struct {
		data, table string
		make        func(r io.Reader) ([]byte, error)
		header      []string
	}{
		{"data/ondemand.csv", "ondemand_table.go", func(r io.Reader) ([]byte, error) {
			header, table, err := read(r)
			if err != nil {
				return nil, err
			}
			return render("data/ondemand.csv", header, table)
		}, []string{"generated 2026-", "Source:"}},
		{"data/spot_advisor.csv", "spot_table.go", func(r io.Reader) ([]byte, error) {
			header, table, err := readSpot(r)
			if err != nil {
				return nil, err
			}
			if n := len(table["us-east-1"]); n < 800 {
				return nil, fmt.Errorf("%d types in us-east-1, want the Advisor's (about 900)", n)
			}
			return renderSpot("data/spot_advisor.csv", header, table)
		}, []string{"Source: https://spot-bid-advisor.s3.amazonaws.com/", "2025-06-28"}},
	} {
		f, err := os.Open("../" + tc.data)
		if err != nil {
			t.Fatal(err)
		}
		want, err := tc.make(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.data, err)
		}
		got, err := os.ReadFile("../" + tc.table)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what %s generates: run go generate ./provisioner/prices", tc.table, tc.data)
		}
		for _, h := range tc.header {
			if !strings.Contains(string(got), h) {
				t.Errorf("%s's header lacks %q: the source data's source and date", tc.table, h)
			}
		}
	}
}

func TestReadRefusesBadData(t *testing.T) {
	for name, data := range map[string]string{
		"no columns":  "us-east-1,c5.large,0.085\n",
		"bad price":   "region,instance_type,usd_per_hour\nus-east-1,c5.large,free\n",
		"zero price":  "region,instance_type,usd_per_hour\nus-east-1,c5.large,0\n",
		"twice":       "region,instance_type,usd_per_hour\nus-east-1,c5.large,0.085\nus-east-1,c5.large,0.09\n",
		"two columns": "region,instance_type,usd_per_hour\nus-east-1,c5.large\n",
		"empty":       "# nothing\nregion,instance_type,usd_per_hour\n",
	} {
		if _, _, err := read(strings.NewReader(data)); err == nil {
			t.Errorf("%s: read accepted %q", name, data)
		}
	}
}
