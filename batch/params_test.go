package batch

import (
	"slices"
	"testing"
)

func TestSubstituteParameters(t *testing.T) {
	defaults := map[string]string{"codec": "mp4", "inputfile": "default.mov", "empty": ""}
	submitted := map[string]string{"inputfile": "in.mov", "outputfile": "out.mp4", "key": "2024/data", "a-b_c": "x", "loop": "Ref::codec"}
	tests := []struct {
		name    string
		command []string
		want    []string
	}{
		{"nil", nil, nil},
		{"empty", []string{}, []string{}},
		{"no references", []string{"echo", "hello"}, []string{"echo", "hello"}},
		{"AWS's ffmpeg example", []string{"ffmpeg", "-i", "Ref::inputfile", "-c", "Ref::codec", "-o", "Ref::outputfile"},
			[]string{"ffmpeg", "-i", "in.mov", "-c", "mp4", "-o", "out.mp4"}},
		{"default used when not submitted", []string{"Ref::codec"}, []string{"mp4"}},
		{"submission wins over default", []string{"Ref::inputfile"}, []string{"in.mov"}},
		{"unknown left literal", []string{"Ref::missing", "x"}, []string{"Ref::missing", "x"}},
		{"empty value substitutes", []string{"a=Ref::empty."}, []string{"a=."}},
		{"inside an argument", []string{"--in=Ref::inputfile"}, []string{"--in=in.mov"}},
		{"name ends at a period", []string{"s3://bucket/Ref::key.csv"}, []string{"s3://bucket/2024/data.csv"}},
		{"two references in one argument", []string{"Ref::inputfile:Ref::codec"}, []string{"in.mov:mp4"}},
		{"longest name is taken", []string{"Ref::codecs"}, []string{"Ref::codecs"}},
		{"hyphen and underscore are name characters", []string{"Ref::a-b_c"}, []string{"x"}},
		{"bare token", []string{"Ref::", "Ref::=x"}, []string{"Ref::", "Ref::=x"}},
		{"prefix is case-sensitive", []string{"ref::codec", "REF::codec"}, []string{"ref::codec", "REF::codec"}},
		{"values are not rescanned", []string{"Ref::loop"}, []string{"Ref::codec"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SubstituteParameters(tt.command, defaults, submitted)
			if !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("SubstituteParameters(%q) = %q, want %q", tt.command, got, tt.want)
			}
		})
	}
}

func TestSubstituteParametersLeavesInputAlone(t *testing.T) {
	command := []string{"Ref::a"}
	got := SubstituteParameters(command, nil, map[string]string{"a": "1"})
	if command[0] != "Ref::a" {
		t.Errorf("input modified: %q", command)
	}
	if got[0] != "1" {
		t.Errorf("got %q, want [1]", got)
	}
	if got := SubstituteParameters([]string{"Ref::a"}, nil, nil); got[0] != "Ref::a" {
		t.Errorf("with no parameters got %q, want the literal", got)
	}
}
