package triggers_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/triggers"
)

// recorder records what a Router hands it, and fails with err.
type recorder struct {
	jobs, notes []string
	err         error
}

func (r *recorder) Evaluate(_ context.Context, id string) error {
	r.jobs = append(r.jobs, id)
	return r.err
}

func (r *recorder) HandleNotification(_ context.Context, body string) ([]triggers.Submission, error) {
	r.notes = append(r.notes, body)
	return nil, r.err
}

func TestRouterSendsEachMessageItsWay(t *testing.T) {
	const note = ` {"Records":[]}`
	r := &recorder{}
	router := triggers.Router{Jobs: r, Notifications: r}
	for _, body := range []string{"job-1", note, "job-2:3"} {
		if err := router.Evaluate(context.Background(), body); err != nil {
			t.Fatalf("Evaluate(%q): %v", body, err)
		}
	}
	if want := []string{"job-1", "job-2:3"}; !slices.Equal(r.jobs, want) {
		t.Errorf("evaluated %v, want %v", r.jobs, want)
	}
	if want := []string{note}; !slices.Equal(r.notes, want) {
		t.Errorf("notifications %q, want %q", r.notes, want)
	}

	r.err = errors.New("throttled")
	if err := router.Evaluate(context.Background(), note); err == nil || !strings.Contains(err.Error(), "S3 notification") {
		t.Errorf("a failed notification: error = %v, want one naming the S3 notification", err)
	}
}
