package triggers

import (
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

func okRule() Rule {
	return Rule{Name: "thumbs", Bucket: "uploads", JobQueue: "q", JobDefinition: "d"}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Rule)
		wantErr string // "" for valid
	}{
		{"minimal", func(*Rule) {}, ""},
		{"everything", func(r *Rule) {
			r.Bucket, r.Prefix, r.Suffix = "my.bucket-1", "in/", ".jpg"
			r.Parameters, r.Command = map[string]string{"width": "64", "mode": ""}, []string{"convert", "Ref::key"}
		}, ""},
		{"no name", func(r *Rule) { r.Name = "" }, `trigger rule name "" must be`},
		{"name with a slash", func(r *Rule) { r.Name = "a/b" }, `trigger rule name "a/b" must be`},
		{"name too long", func(r *Rule) { r.Name = strings.Repeat("n", 129) }, "must be 1-128"},
		{"no bucket", func(r *Rule) { r.Bucket = "" }, `bucket "" is not a valid S3 bucket name`},
		{"bucket with capitals", func(r *Rule) { r.Bucket = "Uploads" }, "is not a valid S3 bucket name"},
		{"bucket of two letters", func(r *Rule) { r.Bucket = "ab" }, "is not a valid S3 bucket name"},
		{"bucket with two dots", func(r *Rule) { r.Bucket = "a..b" }, "is not a valid S3 bucket name"},
		{"bucket ending in a dot", func(r *Rule) { r.Bucket = "abc." }, "is not a valid S3 bucket name"},
		{"long prefix", func(r *Rule) { r.Prefix = strings.Repeat("p", 1025) }, "prefix and suffix must be at most 1024 bytes"},
		{"no queue", func(r *Rule) { r.JobQueue = "" }, "jobQueue is required"},
		{"no definition", func(r *Rule) { r.JobDefinition = "" }, "jobDefinition is required"},
		{"reserved parameter", func(r *Rule) { r.Parameters = map[string]string{"versionId": "1"} }, "parameter versionId is set from the uploaded object"},
		{"empty parameter name", func(r *Rule) { r.Parameters = map[string]string{"": "1"} }, "a parameter name must not be empty"},
		{"long parameter", func(r *Rule) { r.Parameters = map[string]string{"p": strings.Repeat("v", 4097)} }, "at most 4096 bytes"},
		{"empty command argument", func(r *Rule) { r.Command = []string{"echo", ""} }, "command[1] must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := okRule()
			tt.edit(&r)
			err := r.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
				return
			}
			if !batch.IsClientError(err) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate = %v, want a client error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	r := Rule{Bucket: "uploads", Prefix: "in/", Suffix: ".csv"}
	tests := []struct {
		bucket, key string
		want        bool
	}{
		{"uploads", "in/a.csv", true},
		{"uploads", "in/sub dir/a b.csv", true},
		{"uploads", "in/.csv", true},
		{"uploads", "out/a.csv", false},
		{"uploads", "in/a.csv.tmp", false},
		{"uploads", "IN/a.csv", false},
		{"other", "in/a.csv", false},
	}
	for _, tt := range tests {
		if got := r.Matches(tt.bucket, tt.key); got != tt.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", tt.bucket, tt.key, got, tt.want)
		}
	}
	all := Rule{Bucket: "uploads"}
	if !all.Matches("uploads", "anything/at all") {
		t.Errorf("a rule without prefix and suffix does not match every key of its bucket")
	}
}

func TestJobInput(t *testing.T) {
	r := Rule{Name: "thumbs", Bucket: "uploads", JobQueue: "q", JobDefinition: "d:2",
		Parameters: map[string]string{"mode": "fast"}, Command: []string{"convert", "Ref::key"}}
	in := r.jobInput(Object{Bucket: "uploads", Key: "in/a b.jpg", Size: 42, VersionID: "v1"})
	want := map[string]string{"mode": "fast", "bucket": "uploads", "key": "in/a b.jpg", "versionId": "v1", "size": "42"}
	if len(in.Parameters) != len(want) {
		t.Errorf("parameters = %v, want %v", in.Parameters, want)
	}
	for k, v := range want {
		if in.Parameters[k] != v {
			t.Errorf("parameter %s = %q, want %q", k, in.Parameters[k], v)
		}
	}
	if in.JobName != "thumbs" || in.JobQueue != "q" || in.JobDefinition != "d:2" {
		t.Errorf("name, queue, definition = %q, %q, %q; want thumbs, q, d:2", in.JobName, in.JobQueue, in.JobDefinition)
	}
	if in.ContainerOverrides == nil || strings.Join(in.ContainerOverrides.Command, " ") != "convert Ref::key" {
		t.Errorf("containerOverrides = %+v, want the rule's command", in.ContainerOverrides)
	}
	if err := batch.ValidateSubmitJob(in); err != nil {
		t.Errorf("the job input is not a valid SubmitJob request: %v", err)
	}
	r.Command = nil
	if in := r.jobInput(Object{Bucket: "uploads"}); in.ContainerOverrides != nil {
		t.Errorf("containerOverrides = %+v without a command, want none", in.ContainerOverrides)
	}
}

func TestRequestInfoIdentifiesTheObjectVersion(t *testing.T) {
	r := Rule{Name: "thumbs", CreatedAt: 1000}
	base := Object{Bucket: "b", Key: "k", ETag: "e", EventTime: "t1", Sequencer: "s1", VersionID: "v1"}
	tests := []struct {
		name string
		edit func(r *Rule, o *Object)
		same bool
	}{
		{"a repeat", func(*Rule, *Object) {}, true},
		{"another event of the same version", func(_ *Rule, o *Object) { o.Sequencer, o.EventTime = "s2", "t2" }, true},
		{"another version", func(_ *Rule, o *Object) { o.VersionID = "v2" }, false},
		{"another key", func(_ *Rule, o *Object) { o.Key = "k2" }, false},
		{"another bucket", func(_ *Rule, o *Object) { o.Bucket = "b2" }, false},
		{"another rule", func(r *Rule, _ *Object) { r.Name = "other" }, false},
		{"the rule created again", func(r *Rule, _ *Object) { r.CreatedAt = 2000 }, false},
	}
	first := requestInfo(&r, base)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r2, o2 := r, base
			tt.edit(&r2, &o2)
			got := requestInfo(&r2, o2)
			if same := got == first; same != tt.same {
				t.Errorf("requestInfo = %+v, first %+v; same = %v, want %v", got, first, same, tt.same)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	tests := []struct {
		name string
		o    Object
		want string
	}{
		{"versioned", Object{VersionID: "v1", Sequencer: "s1", ETag: "e", EventTime: "t"}, "v:v1"},
		{"unversioned", Object{Sequencer: "s1", ETag: "e", EventTime: "t"}, "s:s1"},
		{"versioning suspended", Object{VersionID: "null", Sequencer: "s1"}, "s:s1"},
		{"neither (moto)", Object{ETag: "e", EventTime: "t"}, "e:e@t"},
	}
	for _, tt := range tests {
		if got := tt.o.version(); got != tt.want {
			t.Errorf("%s: version = %q, want %q", tt.name, got, tt.want)
		}
	}
}
