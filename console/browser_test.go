package console_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/deploy/local"
	"github.com/tanda-batch/tanda/scheduler"
)

// ScreenshotsEnv names the directory the browser test saves its
// screenshots in (default: a temporary directory).
const ScreenshotsEnv = "TANDA_CONSOLE_SCREENSHOTS"

// chromium finds Debian's chromium. Without it the test skips, naming the
// package to install; in CI (CI=true) and under make test it fails.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	msg := "chromium is not on PATH: install Debian's chromium package (apt-get install chromium) to run the console's browser test"
	if os.Getenv("CI") == "true" || os.Getenv("TANDA_REQUIRE_TOOLS") != "" {
		t.Fatal(msg + "; CI and make test require it")
	}
	t.Skip(msg)
	return ""
}

// browser is a headless chromium tab.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
}

func newBrowser(t *testing.T, base string) *browser {
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in CI containers
		chromedp.DisableGPU,
		chromedp.WindowSize(1360, 1000),
		chromedp.UserDataDir(t.TempDir()),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	shots := os.Getenv(ScreenshotsEnv)
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: ctx, base: base, shots: shots}
}

// stepTimeout bounds one step of the browser test.
const stepTimeout = 30 * time.Second

// get runs an action that answers a value, with a deadline, failing the
// test with what step.
func get[T any](b *browser, step string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		body, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
		b.t.Fatalf("%s: %v (page %s: %.600q)", step, err, loc, body)
	}
	return v
}

// run runs actions in order with a deadline, failing the test with what
// step.
func (b *browser) run(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	get(b, step, chromedp.Steps(actions...))
}

// text reads an element's text.
func (b *browser) text(sel string) string {
	b.t.Helper()
	b.run("waiting for "+sel, chromedp.WaitVisible(css(sel)))
	return strings.TrimSpace(get(b, "reading "+sel, chromedp.Text(css(sel))))
}

// poll waits until a JavaScript expression is true.
func (b *browser) poll(step, expr string) {
	b.t.Helper()
	get(b, step, chromedp.Poll[bool](expr))
}

// shot saves a screenshot of the whole page as name.png.
func (b *browser) shot(name string) {
	b.t.Helper()
	png := get(b, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// confirm clicks an action's button, checks that the console asks
// first (and changed nothing yet), then confirms.
func (b *browser) confirm(button string, check func()) {
	b.t.Helper()
	b.run("asking to "+button, chromedp.Click(css(button)), chromedp.WaitVisible(css("#confirm")))
	if check != nil {
		check()
	}
	b.run("confirming "+button, chromedp.Click(css("#confirm")), chromedp.WaitNotPresent(css("#confirm")))
}

// startTanda runs one-machine Tanda on a free port until the test ends.
func startTanda(t *testing.T) *local.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := local.Open(ctx, local.Config{
		DataDir:        t.TempDir(),
		Listen:         "127.0.0.1:0",
		IdleGrace:      5 * time.Second,
		HeartbeatEvery: 200 * time.Millisecond,
		KillGrace:      time.Second,
		ProvisionEvery: 100 * time.Millisecond,
		Scheduler:      scheduler.Options{QueuePassEvery: 200 * time.Millisecond},
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		cancel()
		t.Fatalf("starting tanda up: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("tanda up stopped: %v", err)
		}
	})
	return srv
}

// setCE enables or disables the default compute environment behind the
// console's back (as another user would), so a job waits RUNNABLE.
func setCE(t *testing.T, srv *local.Server, state string) {
	t.Helper()
	_, err := srv.Control().UpdateComputeEnvironment(context.Background(), &batch.UpdateComputeEnvironmentInput{
		ComputeEnvironment: local.DefaultComputeEnvironment, State: state,
	})
	if err != nil {
		t.Fatalf("setting compute environment %s: %v", state, err)
	}
}

// TestConsoleInBrowser drives the console in headless chromium: sign in
// (with the one-time link, then with an access key), submit a job from a
// job definition and watch it go from RUNNABLE to SUCCEEDED without
// reloading, with its log; cancel a job through the confirm step; see a
// refused action's error. It saves screenshots of the main pages.
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser")
	}
	chromium(t) // before starting anything
	srv := startTanda(t)
	b := newBrowser(t, srv.Endpoint())
	console := srv.ConsoleURL()

	// Nothing without a session.
	b.run("opening the console", chromedp.Navigate(console), chromedp.WaitVisible(css("#accessKeyId")))
	b.shot("signin")

	// The one-time link signs in, once.
	link, err := srv.SignInLink()
	if err != nil {
		t.Fatal(err)
	}
	b.run("following the sign-in link", chromedp.Navigate(link), chromedp.WaitVisible(css(".card.ce")))
	if h := b.text("h1"); h != "Dashboard" {
		t.Fatalf("after the sign-in link: heading %q, want Dashboard", h)
	}
	b.run("signing out", chromedp.Click(css(".signout button")), chromedp.WaitVisible(css("#accessKeyId")))
	b.run("following the used link", chromedp.Navigate(link), chromedp.WaitVisible(css("#error")))
	if msg := b.text("#error"); !strings.Contains(msg, "used or has expired") {
		t.Fatalf("a used sign-in link: %q, want it refused", msg)
	}

	// An access key signs in.
	key, ok := srv.IssuedKey()
	if !ok {
		t.Fatal("tanda up issued no access key on a first start")
	}
	b.run("signing in with an access key",
		chromedp.SendKeys(css("#accessKeyId"), key.ID),
		chromedp.SendKeys(css("#secretAccessKey"), key.Secret),
		chromedp.Click(css("#signin")),
		chromedp.WaitVisible(css(".card.ce")))
	if got := b.text(".signout .key"); got != key.ID {
		t.Fatalf("signed in as %q, want %s", got, key.ID)
	}

	// Submit a job from the example definition while nothing can run it.
	setCE(t, srv, batch.StateDisabled)
	b.run("opening the job definition", chromedp.Navigate(console+"job-definitions/"+local.ExampleJobDefinition),
		chromedp.WaitVisible(css("#submit-form")))
	b.shot("job-definition")
	b.run("filling the submit form",
		chromedp.SetValue(css("#jobName"), "console-job"),
		chromedp.SendKeys(css("#command"), "sh\n-c\necho console-log-line; sleep 1; echo second-line"))
	b.confirm("#submit", func() {
		if req := b.text("pre.request"); !strings.Contains(req, `"jobName": "console-job"`) || !strings.Contains(req, "console-log-line") {
			t.Fatalf("the confirm step shows %q, want the SubmitJob request", req)
		}
		b.shot("confirm")
	})
	b.run("opening the job page", chromedp.WaitVisible(css("#job-status")))
	if st := b.text("#job-status"); st != "RUNNABLE" && st != "SUBMITTED" {
		t.Fatalf("the new job is %s, want it waiting (RUNNABLE)", st)
	}
	b.run("waiting for RUNNABLE", chromedp.WaitVisible(css("#job-status.status-runnable")))
	if why := b.text("#job-why"); !strings.Contains(why, "DISABLED") {
		t.Errorf("why the job waits: %q, want it to name the DISABLED compute environment", why)
	}
	b.shot("job-runnable")

	// It runs once capacity comes back; the page follows without a reload.
	get(b, "marking the page", chromedp.Evaluate[bool](`window.__notReloaded = true`))
	setCE(t, srv, batch.StateEnabled)
	b.run("waiting for SUCCEEDED", chromedp.WaitVisible(css("#job-status.status-succeeded")))
	if !get(b, "checking the page was not reloaded", chromedp.Evaluate[bool](`window.__notReloaded === true`)) {
		t.Fatal("the job page reloaded to show SUCCEEDED; it should update in place")
	}
	b.poll("waiting for the log", `document.getElementById('log').textContent.includes('second-line')`)
	if log := b.text("#log"); !strings.Contains(log, "console-log-line") {
		t.Fatalf("the log shows %q, want the job's output", log)
	}
	if code := b.text("#attempts td.exit"); code != "0" {
		t.Fatalf("the attempt's exit code shows %q, want 0", code)
	}
	b.shot("job")
	b.run("opening attempt 1's log", chromedp.Click(css(`#attempts a[href*="attempt=1"]`)), chromedp.WaitVisible(css("#log[data-final]")))
	b.poll("reading attempt 1's log", `document.getElementById('log').textContent.includes('second-line')`)
	if state := b.text("#log-state"); !strings.Contains(state, "attempt 1") {
		t.Fatalf("the attempt's log says %q, want it to name attempt 1", state)
	}

	// An array job: its children by status, each a link.
	ctx := context.Background()
	size := 3
	arr, err := srv.Control().SubmitJob(ctx, &batch.SubmitJobInput{
		JobName: "array", JobQueue: local.DefaultJobQueue, JobDefinition: local.ExampleJobDefinition,
		ArrayProperties: &batch.ArrayProperties{Size: &size},
	})
	if err != nil {
		t.Fatal(err)
	}
	b.run("opening the array job", chromedp.Navigate(console+"jobs/"+arr.JobID), chromedp.WaitVisible(css("#job-status.status-succeeded")),
		chromedp.Navigate(console+"jobs/"+arr.JobID+"?childStatus=SUCCEEDED"), chromedp.WaitVisible(css("#children")))
	if n := get(b, "counting children", chromedp.Evaluate[int](`document.querySelectorAll('#children td a').length`)); n != size {
		t.Fatalf("the array job lists %d SUCCEEDED children, want %d", n, size)
	}
	b.shot("array-job")

	// Cancel a waiting job (it waits on a long one), through the confirm
	// step; then terminate the long one.
	blocker, err := srv.Control().SubmitJob(ctx, &batch.SubmitJobInput{
		JobName: "long", JobQueue: local.DefaultJobQueue, JobDefinition: local.ExampleJobDefinition,
		ContainerOverrides: &batch.ContainerOverrides{Command: []string{"sleep", "120"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	waiting, err := srv.Control().SubmitJob(ctx, &batch.SubmitJobInput{
		JobName: "to-cancel", JobQueue: local.DefaultJobQueue, JobDefinition: local.ExampleJobDefinition,
		DependsOn: []batch.JobDependency{{JobID: blocker.JobID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b.run("opening the job to cancel", chromedp.Navigate(console+"jobs/"+waiting.JobID), chromedp.WaitVisible(css("#cancel")))
	b.confirm("#cancel", func() {
		j, err := srv.Control().Job(ctx, waiting.JobID)
		if err != nil || j.Status.Terminal() || j.Internal.CancelRequested {
			t.Fatalf("the job changed before the cancel was confirmed: %v, %s", err, j.Status)
		}
	})
	b.run("waiting for the cancel", chromedp.WaitVisible(css("#job-status.status-failed")))
	if reason := b.text("#job-reason"); !strings.Contains(reason, "Cancelled from the console") {
		t.Fatalf("the cancelled job's reason: %q", reason)
	}
	b.run("opening the job to terminate", chromedp.Navigate(console+"jobs/"+blocker.JobID), chromedp.WaitVisible(css("#terminate")))
	b.confirm("#terminate", nil)
	b.run("waiting for the termination", chromedp.WaitVisible(css("#job-status.status-failed")))

	// A refused action shows the API's message.
	ce := console + "compute-environments/" + local.DefaultComputeEnvironment
	b.run("opening the compute environment", chromedp.Navigate(ce), chromedp.WaitVisible(css("#maxvCpus")),
		chromedp.WaitVisible(css(`figure.capacity svg[role="img"]`))) // the capacity chart, drawn
	b.shot("compute-environment")
	b.run("asking for maxvCpus below minvCpus",
		chromedp.SetValue(css("#minvCpus"), "4"),
		chromedp.SetValue(css("#maxvCpus"), "2"))
	b.confirm("#ce-vcpus", nil)
	b.run("reading the refusal", chromedp.WaitVisible(css("#error")))
	if msg := b.text("#error"); !strings.Contains(msg, "ClientException") || !strings.Contains(msg, "maxvCpus") {
		t.Fatalf("the refused update shows %q, want the API's ClientException about maxvCpus", msg)
	}
	b.shot("refused")
	got, err := srv.Control().ComputeEnvironment(ctx, local.DefaultComputeEnvironment)
	if err != nil || *got.ComputeResources.MaxvCpus == 2 {
		t.Fatalf("the refused update changed the compute environment: %v", err)
	}

	// The other main pages render.
	for _, p := range []struct{ path, shot, sel string }{
		{"", "dashboard", `figure.capacity svg[role="img"]`},
		{"jobs?queue=default&status=SUCCEEDED", "jobs", "#jobs"},
		{"job-queues/default", "job-queue", ".card.queue"},
		{"job-definitions", "job-definitions", "#definitions"},
		{"compute-environments", "compute-environments", "#ces"},
		{"scheduling-policies", "scheduling-policies", "#policies"},
	} {
		b.run("opening "+p.shot, chromedp.Navigate(console+p.path), chromedp.WaitVisible(css(p.sel)))
		b.shot(p.shot)
	}
	// The dashboard refreshes itself when asked, without reloading.
	b.run("opening the dashboard", chromedp.Navigate(console), chromedp.WaitVisible(css(`a.count[data-status="SUCCEEDED"]`)))
	before := b.text(`a.count[data-status="SUCCEEDED"]`)
	b.run("asking for refreshes", chromedp.Click(css("#auto-refresh")))
	get(b, "marking the dashboard", chromedp.Evaluate[bool](`window.__notReloaded = true`))
	if _, err := srv.Control().SubmitJob(ctx, &batch.SubmitJobInput{
		JobName: "counted", JobQueue: local.DefaultJobQueue, JobDefinition: local.ExampleJobDefinition,
	}); err != nil {
		t.Fatal(err)
	}
	b.poll("waiting for the dashboard's count to move", fmt.Sprintf(
		`document.querySelector('a.count[data-status="SUCCEEDED"]').textContent.trim() !== %q`, before))
	if !get(b, "checking the dashboard was not reloaded", chromedp.Evaluate[bool](`window.__notReloaded === true`)) {
		t.Fatal("the dashboard reloaded to refresh; it should swap its cards in place")
	}

	if rows := b.countRows(console + "jobs?queue=default&status=SUCCEEDED"); rows < 1 {
		t.Fatalf("the SUCCEEDED jobs list has %d rows, want the job that ran", rows)
	}
	t.Logf("screenshots in %s", b.shots)
}

// countRows counts a jobs list's job rows.
func (b *browser) countRows(url string) int {
	b.run("listing jobs", chromedp.Navigate(url), chromedp.WaitVisible(css("#jobs")))
	return get(b, "counting jobs", chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, "#jobs td.id")))
}
