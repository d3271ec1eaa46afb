package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

// action is something a user does from a page: the operation it runs, the
// request it makes of a form, what it says before it acts, and where it
// goes once done.
type action struct {
	op    string
	title string
	// build makes the operation's request from the form and describes it
	// in words. An error is the form's fault (a ClientError).
	build func(f url.Values) (in map[string]any, summary []string, err error)
	// done is where to go after the operation answered out.
	done func(f url.Values, out any) string
}

// actions are the console's actions by the name in their path.
var actions = map[string]action{
	"submit-job": {
		op: "SubmitJob", title: "Submit a job",
		build: buildSubmit,
		done: func(_ url.Values, out any) string {
			if o, ok := out.(*batch.SubmitJobOutput); ok {
				return jobPath(o.JobID)
			}
			return Prefix + "jobs"
		},
	},
	"cancel-job":    jobAction("CancelJob", "Cancel a job", "Cancel job %s (%s): it will not run if it has not started."),
	"terminate-job": jobAction("TerminateJob", "Terminate a job", "Terminate job %s (%s): a running attempt is stopped and the job FAILS."),
	"job-queue-state": {
		op: "UpdateJobQueue", title: "Change a job queue's state",
		build: func(f url.Values) (map[string]any, []string, error) {
			return map[string]any{"jobQueue": f.Get("jobQueue"), "state": f.Get("state")},
				[]string{fmt.Sprintf("Set job queue %s to %s.", f.Get("jobQueue"), f.Get("state")), stateEffect(f.Get("state"), "queue")}, nil
		},
		done: func(f url.Values, _ any) string { return Prefix + "job-queues/" + url.PathEscape(f.Get("jobQueue")) },
	},
	"ce-state": {
		op: "UpdateComputeEnvironment", title: "Change a compute environment's state",
		build: func(f url.Values) (map[string]any, []string, error) {
			return map[string]any{"computeEnvironment": f.Get("computeEnvironment"), "state": f.Get("state")},
				[]string{fmt.Sprintf("Set compute environment %s to %s.", f.Get("computeEnvironment"), f.Get("state")), stateEffect(f.Get("state"), "ce")}, nil
		},
		done: func(f url.Values, _ any) string { return cePath(f.Get("computeEnvironment")) },
	},
	"ce-vcpus": {
		op: "UpdateComputeEnvironment", title: "Change a compute environment's vCPUs",
		build: func(f url.Values) (map[string]any, []string, error) {
			cr := map[string]any{}
			var said []string
			for _, k := range []string{"minvCpus", "maxvCpus", "desiredvCpus"} {
				if v := strings.TrimSpace(f.Get(k)); v != "" {
					cr[k] = numberOrString(v)
					said = append(said, k+" "+v)
				}
			}
			return map[string]any{"computeEnvironment": f.Get("computeEnvironment"), "computeResources": cr},
				[]string{fmt.Sprintf("Set %s of compute environment %s.", strings.Join(said, ", "), f.Get("computeEnvironment"))}, nil
		},
		done: func(f url.Values, _ any) string { return cePath(f.Get("computeEnvironment")) },
	},
}

// jobAction is cancel or terminate: op on the form's job, with its reason;
// said is what it does, given the job's id and name.
func jobAction(op, title, said string) action {
	return action{
		op: op, title: title,
		build: func(f url.Values) (map[string]any, []string, error) {
			return map[string]any{"jobId": f.Get("jobId"), "reason": f.Get("reason")},
				[]string{fmt.Sprintf(said, f.Get("jobId"), f.Get("jobName")), "Reason: " + f.Get("reason")}, nil
		},
		done: func(f url.Values, _ any) string { return jobPath(f.Get("jobId")) },
	}
}

func stateEffect(state, kind string) string {
	switch {
	case state == batch.StateDisabled && kind == "queue":
		return "A DISABLED queue accepts no new jobs; jobs already in it carry on."
	case state == batch.StateDisabled:
		return "A DISABLED compute environment takes no new jobs; running ones finish, and idle instances retire."
	}
	return ""
}

func jobPath(id string) string { return Prefix + "jobs/" + url.PathEscape(id) }
func cePath(name string) string {
	return Prefix + "compute-environments/" + url.PathEscape(name)
}

// numberOrString is v as a JSON number when it is a whole number, else as
// the string it is, for the API to refuse with its own message.
func numberOrString(v string) any {
	if n, err := strconv.Atoi(v); err == nil {
		return n
	}
	return v
}

// buildSubmit makes a SubmitJob request of the submit form: job name,
// queue, definition, parameters and environment (name=value a line),
// command (one argument a line), vCPUs and memory, attempts, attempt
// timeout, array size.
func buildSubmit(f url.Values) (map[string]any, []string, error) {
	in := map[string]any{"jobName": f.Get("jobName"), "jobQueue": f.Get("jobQueue"), "jobDefinition": f.Get("jobDefinition")}
	said := []string{fmt.Sprintf("Submit job %q to queue %s from job definition %s.", f.Get("jobName"), f.Get("jobQueue"), f.Get("jobDefinition"))}
	params, err := pairs("parameters", f.Get("parameters"))
	if err != nil {
		return nil, nil, err
	}
	if len(params) > 0 {
		m := map[string]string{}
		for _, p := range params {
			m[p[0]] = p[1]
		}
		in["parameters"] = m
		said = append(said, fmt.Sprintf("Parameters: %d.", len(m)))
	}
	overrides := map[string]any{}
	if cmd := lines(f.Get("command")); len(cmd) > 0 {
		overrides["command"] = cmd
		said = append(said, "Command: "+strings.Join(cmd, " "))
	}
	env, err := pairs("environment", f.Get("environment"))
	if err != nil {
		return nil, nil, err
	}
	if len(env) > 0 {
		var kv []batch.KeyValuePair
		for _, p := range env {
			kv = append(kv, batch.KeyValuePair{Name: p[0], Value: p[1]})
		}
		overrides["environment"] = kv
		said = append(said, fmt.Sprintf("Environment variables: %d.", len(kv)))
	}
	var reqs []map[string]string
	for _, r := range []struct{ field, typ string }{{"vcpus", batch.ResourceVCPU}, {"memory", batch.ResourceMemory}} {
		if v := strings.TrimSpace(f.Get(r.field)); v != "" {
			reqs = append(reqs, map[string]string{"type": r.typ, "value": v})
			said = append(said, fmt.Sprintf("%s: %s.", r.typ, v))
		}
	}
	if len(reqs) > 0 {
		overrides["resourceRequirements"] = reqs
	}
	if len(overrides) > 0 {
		in["containerOverrides"] = overrides
	}
	if v := strings.TrimSpace(f.Get("attempts")); v != "" {
		in["retryStrategy"] = map[string]any{"attempts": numberOrString(v)}
		said = append(said, "Attempts: "+v+".")
	}
	if v := strings.TrimSpace(f.Get("timeout")); v != "" {
		in["timeout"] = map[string]any{"attemptDurationSeconds": numberOrString(v)}
		said = append(said, "Attempt timeout: "+v+" s.")
	}
	if v := strings.TrimSpace(f.Get("arraySize")); v != "" {
		in["arrayProperties"] = map[string]any{"size": numberOrString(v)}
		said = append(said, "Array of "+v+" children.")
	}
	return in, said, nil
}

// lines splits a textarea into its non-blank lines.
func lines(s string) []string {
	var out []string
	for l := range strings.Lines(s) {
		if l = strings.TrimRight(l, "\r\n"); strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// pairs reads name=value lines.
func pairs(field, s string) ([][2]string, error) {
	var out [][2]string
	for i, l := range lines(s) {
		name, value, ok := strings.Cut(l, "=")
		if !ok {
			return nil, batch.Clientf("%s: line %d (%q) has no '=': write one name=value a line", field, i+1, l)
		}
		out = append(out, [2]string{strings.TrimSpace(name), value})
	}
	return out, nil
}

// confirmBody is the page that asks before an action acts.
type confirmBody struct {
	Action, Title, Operation, Request string
	Summary                           []string
	Fields                            []field
	Back                              string
}

type field struct{ Name, Value string }

// act runs an action: the first post shows what it will do and asks; the
// confirmed post runs the operation and goes to its result, or shows the
// API's refusal.
func (c *Console) act(w http.ResponseWriter, r *http.Request, s *session) error {
	name := r.PathValue("action")
	a, ok := actions[name]
	if !ok {
		c.renderError(w, r, s, http.StatusNotFound, "Not found", "There is no console action "+name+".")
		return nil
	}
	if err := r.ParseForm(); err != nil {
		return &callError{op: a.op, requestID: c.o.RequestID(), err: batch.Clientf("reading the form: %v", err)}
	}
	f := r.PostForm
	in, summary, err := a.build(f)
	if err != nil {
		return &callError{op: a.op, requestID: c.o.RequestID(), err: err}
	}
	if f.Get("confirm") != "yes" {
		body, err := json.MarshalIndent(in, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding %s request: %w", a.op, err)
		}
		b := confirmBody{Action: name, Title: a.title, Operation: a.op, Request: string(body), Summary: summary, Back: backTo(r)}
		keys := make([]string, 0, len(f))
		for k := range f {
			if k != "csrf" && k != "confirm" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			b.Fields = append(b.Fields, field{Name: k, Value: f.Get(k)})
		}
		c.render(w, s, http.StatusOK, "confirm", a.title, b)
		return nil
	}
	out, err := c.invoke(r.Context(), s, a.op, in)
	if err != nil {
		c.o.Logger.Info("console action refused", "accessKeyId", s.keyID, "operation", a.op, "err", err)
		return err
	}
	c.o.Logger.Info("console action", "accessKeyId", s.keyID, "operation", a.op)
	http.Redirect(w, r, a.done(f, out), http.StatusSeeOther)
	return nil
}
