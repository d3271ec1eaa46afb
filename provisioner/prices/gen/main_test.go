package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The committed table is what go generate makes of the committed data.
func TestGeneratedTableIsUpToDate(t *testing.T) {
	f, err := os.Open("../data/ondemand.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	header, table, err := read(f)
	if err != nil {
		t.Fatal(err)
	}
	want, err := render("data/ondemand.csv", header, table)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../ondemand_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("ondemand_table.go is not what data/ondemand.csv generates: run go generate ./provisioner/prices")
	}
	if !strings.Contains(string(got), "generated 2026-") || !strings.Contains(string(got), "Source:") {
		t.Error("the generated file's header lacks the source data's source and date")
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
