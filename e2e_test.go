package main

import (
	"bytes"
	"errors"
	"fmt"

	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/eflow-digest/eflow-digest/digest"
	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

// TestMain lets the test binary act as the eflow-digest command, so the
// scripts under testdata/script run the real binary (main, flags, exit
// status, signals) in a child process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"eflow-digest": main})
}

// world is what a script's custom commands act on.
type world struct {
	ef      *everflowtest.Server
	sh      *sheetstest.Server
	key     string // the service-account key file's private key body
	envKeys []string
	snaps   map[string][]sheetstest.Tab
}

type worldKey struct{}

// notSharedSheet exists but is not shared with the service account.
const notSharedSheet = "1NotSharedSpreadsheet00000000000000000000000"

// TestScripts runs the end-to-end scripts. Each gets fresh stand-ins of
// Everflow and Google Sheets holding the last five days of synthetic data,
// and an environment pointing the binary at them. The scripts use the real
// clock, so dates come from $YESTERDAY, $DAY_BEFORE, $TODAY and $TOO_OLD.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			now := time.Now().UTC()
			today := digest.DateOf(now)
			data := everflowtest.Generate(everflowtest.GenerateOptions{
				Seed: 11, From: today.AddDays(-5).Time(), Days: 5, PerDay: 60, Location: time.UTC, EventsRatio: 0.1,
			})
			ef := everflowtest.NewServer(everflowtest.Options{APIKey: testKey}, data)
			sh := sheetstest.NewServer(sheetstest.Options{})
			env.Defer(ef.Close)
			env.Defer(sh.Close)
			key := sh.ServiceAccountKey(testAccount)
			sh.AddSpreadsheet(testSheet, "Revenue digest", testAccount)
			sh.AddSpreadsheet(notSharedSheet, "Someone else's sheet")
			w := &world{ef: ef, sh: sh, key: privateKeyOf(t, key), snaps: map[string][]sheetstest.Tab{}}
			vars := map[string]string{
				"HOME":                    env.WorkDir,
				"EVERFLOW_API_KEY":        testKey,
				"EVERFLOW_BASE_URL":       ef.URL,
				"EVERFLOW_MAX_RPS":        "5",
				"SPREADSHEET_ID":          testSheet,
				"GOOGLE_CREDENTIALS_JSON": string(key),
				"SHEETS_ENDPOINT":         sh.URL + "/",
				"SA_EMAIL":                testAccount,
				"TODAY":                   today.String(),
				"YESTERDAY":               today.AddDays(-1).String(),
				"DAY_BEFORE":              today.AddDays(-2).String(),
				"TOO_OLD":                 today.AddDays(-366).String(),
			}
			for k, v := range vars {
				env.Setenv(k, v)
			}
			for _, kv := range env.Vars {
				w.envKeys = append(w.envKeys, strings.SplitN(kv, "=", 2)[0])
			}
			w.envKeys = append(w.envKeys, configVariables()...)
			w.envKeys = append(w.envKeys, "CLOUD_RUN_EXECUTION", "CLOUD_RUN_TASK_ATTEMPT")
			env.Values[worldKey{}] = w
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"digest":       cmdDigest,
			"sheet":        cmdSheet,
			"snapshot":     cmdSnapshot,
			"unchanged":    cmdUnchanged,
			"nosecrets":    cmdNoSecrets,
			"ef-fault":     cmdEverflowFault,
			"sheets-fault": cmdSheetsFault,
			"sheets-count": cmdSheetsCount,
			"ef-count":     cmdEverflowCount,
		},
	})
}

func worldOf(ts *testscript.TestScript) *world { return ts.Value(worldKey{}).(*world) }

// cmdDigest runs the eflow-digest binary and checks its exit status:
//
//	digest [-term DURATION] STATUS [args...]
//
// With -term, SIGTERM is sent after DURATION, as Cloud Run stops a job.
// Its stdout and stderr are what the next stdout/stderr commands see.
func cmdDigest(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! digest (give the expected exit status)")
	}
	var term time.Duration
	if len(args) >= 2 && args[0] == "-term" {
		d, err := time.ParseDuration(args[1])
		ts.Check(err)
		term, args = d, args[2:]
	}
	if len(args) < 1 {
		ts.Fatalf("usage: digest [-term DURATION] STATUS [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	bin, err := exec.LookPath("eflow-digest")
	ts.Check(err)
	cmd := exec.Command(bin, args[1:]...)
	cmd.Dir = ts.Getenv("WORK")
	for _, k := range worldOf(ts).envKeys {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ts.Check(cmd.Start())
	if term > 0 {
		timer := time.AfterFunc(term, func() { cmd.Process.Signal(syscall.SIGTERM) })
		defer timer.Stop()
	}
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		ts.Fatalf("run eflow-digest: %v", err)
	}
	ts.Stdout().Write(stdout.Bytes())
	ts.Stderr().Write(stderr.Bytes())
	if got := cmd.ProcessState.ExitCode(); got != want {
		ts.Logf("[stdout]\n%s[stderr]\n%s", stdout.String(), stderr.String())
		ts.Fatalf("eflow-digest exited with status %d, want %d", got, want)
	}
}

// cmdSheet prints tabs of the spreadsheet as text tables: sheet TAB...
func cmdSheet(ts *testscript.TestScript, neg bool, args []string) {
	w := worldOf(ts)
	for _, tab := range args {
		fmt.Fprintln(ts.Stdout(), w.sh.RenderTab(testSheet, tab))
	}
}

// cmdSnapshot remembers the spreadsheet under a name: snapshot NAME
func cmdSnapshot(ts *testscript.TestScript, neg bool, args []string) {
	w := worldOf(ts)
	w.snaps[args[0]] = w.sh.Tabs(testSheet)
}

// cmdUnchanged checks the spreadsheet, or only the named tabs, is as
// snapshot NAME found it: unchanged NAME [TAB...]
func cmdUnchanged(ts *testscript.TestScript, neg bool, args []string) {
	w := worldOf(ts)
	pick := func(tabs []sheetstest.Tab) []sheetstest.Tab {
		if len(args) == 1 {
			return tabs
		}
		var kept []sheetstest.Tab
		for _, t := range tabs {
			if slices.Contains(args[1:], t.Title) {
				kept = append(kept, t)
			}
		}
		return kept
	}
	diff := cmp.Diff(pick(w.snaps[args[0]]), pick(w.sh.Tabs(testSheet)))
	if (diff != "") != neg {
		ts.Fatalf("spreadsheet compared with snapshot %s (-then +now):\n%s", args[0], diff)
	}
}

// cmdNoSecrets checks that neither the API key nor any piece of the private
// key is in the last command's stdout or stderr.
func cmdNoSecrets(ts *testscript.TestScript, neg bool, args []string) {
	w := worldOf(ts)
	out := ts.ReadFile("stdout") + ts.ReadFile("stderr")
	if strings.Contains(out, testKey) {
		ts.Fatalf("the Everflow API key is in the output")
	}
	compact := strings.ReplaceAll(out, "\\n", "")
	for i := 0; i+32 <= len(w.key); i += 32 {
		if strings.Contains(compact, w.key[i:i+32]) {
			ts.Fatalf("a piece of the private key is in the output")
		}
	}
}

// cmdEverflowFault queues a fault on the conversions endpoint:
//
//	ef-fault STATUS TIMES [html]     an error reply (TIMES -1: forever)
//	ef-fault reset TIMES             connection resets
//	ef-fault delay DURATION TIMES    a latency spike
func cmdEverflowFault(ts *testscript.TestScript, neg bool, args []string) {
	w := worldOf(ts)
	f := everflowtest.Fault{Path: everflowtest.PathConversions}
	var err error
	switch args[0] {
	case "reset":
		f.Reset = true
		f.Times, err = strconv.Atoi(args[1])
	case "delay":
		f.Delay, err = time.ParseDuration(args[1])
		ts.Check(err)
		f.Times, err = strconv.Atoi(args[2])
	default:
		f.Status, err = strconv.Atoi(args[0])
		ts.Check(err)
		f.Times, err = strconv.Atoi(args[1])
		if len(args) > 2 && args[2] == "html" {
			f.Body, f.ContentType = everflowtest.BadGatewayHTML, "text/html"
		}
	}
	ts.Check(err)
	w.ef.Inject(f)
}

// cmdSheetsFault queues a fault on the Sheets stand-in:
//
//	sheets-fault OP STATUS TIMES       an error reply
//	sheets-fault OP drop TIMES         apply, then drop the connection
func cmdSheetsFault(ts *testscript.TestScript, neg bool, args []string) {
	w := worldOf(ts)
	f := sheetstest.Fault{Op: args[0]}
	var err error
	if args[1] == "drop" {
		f.ApplyThenDrop = true
	} else {
		f.Status, err = strconv.Atoi(args[1])
		ts.Check(err)
	}
	f.Times, err = strconv.Atoi(args[2])
	ts.Check(err)
	w.sh.Inject(f)
}

// cmdSheetsCount checks the Sheets stand-in's request counts:
// sheets-count writes N
func cmdSheetsCount(ts *testscript.TestScript, neg bool, args []string) {
	st := worldOf(ts).sh.Stats()
	got := map[string]int64{"writes": st.Writes, "reads": st.Reads}[args[0]]
	want, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	if got != want {
		ts.Fatalf("sheets %s = %d, want %d", args[0], got, want)
	}
}

// cmdEverflowCount checks how many requests the Everflow stand-in has had,
// refused ones included: ef-count requests N
func cmdEverflowCount(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || args[0] != "requests" {
		ts.Fatalf("usage: ef-count requests N")
	}
	got := worldOf(ts).ef.Stats().Requests
	want, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	if got != want {
		ts.Fatalf("everflow requests = %d, want %d", got, want)
	}
}
