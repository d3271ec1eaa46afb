package main

import (
	"strings"
	"testing"
)

func TestReadSpotRefusesBadData(t *testing.T) {
	const cols = spotColumns + "\n"
	for name, data := range map[string]string{
		"no columns":   "us-east-1,c5.large,60,1\n",
		"bad savings":  cols + "us-east-1,c5.large,much,1\n",
		"100 percent":  cols + "us-east-1,c5.large,100,1\n",
		"bad band":     cols + "us-east-1,c5.large,60,5\n",
		"twice":        cols + "us-east-1,c5.large,60,1\nus-east-1,c5.large,61,1\n",
		"three fields": cols + "us-east-1,c5.large,60\n",
		"empty":        "# nothing\n" + cols,
	} {
		if _, _, err := readSpot(strings.NewReader(data)); err == nil {
			t.Errorf("%s: readSpot accepted %q", name, data)
		}
	}
}

func TestAdvisorFeedBecomesTheSpotCSV(t *testing.T) {
	feed := `{"instance_types":{},"ranges":[],"global_rate":"<10%","spot_advisor":{
		"us-east-1":{"Linux":{"m5.large":{"s":59,"r":0},"c5.large":{"s":62,"r":2}},"Windows":{"m5.large":{"s":30,"r":0}}},
		"eu-west-1":{"Linux":{"m5.large":{"s":70,"r":4}}}}}`
	got, err := advisorCSV([]byte(feed), []string{"us-east-1"}, "Source: a test feed,\nread today.")
	if err != nil {
		t.Fatal(err)
	}
	text := string(got)
	for _, want := range []string{"# Source: a test feed,\n# read today.\n", spotColumns + "\nus-east-1,c5.large,62,2\nus-east-1,m5.large,59,0\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("the CSV lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "eu-west-1") || strings.Contains(text, ",30,") {
		t.Errorf("the CSV holds another region or Windows:\n%s", text)
	}
	if _, err := advisorCSV([]byte(feed), []string{"ap-south-9"}, "Source: x"); err == nil {
		t.Error("a region the feed lacks was converted")
	}
	if _, err := advisorCSV([]byte(`{"spot_advisor":{"us-east-1":{"Linux":{"m5.large":{"s":59}}}}}`), []string{"us-east-1"}, "Source: x"); err == nil {
		t.Error("advice without its band was converted")
	}
}
