package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eflow-digest/eflow-digest/digest"
)

// configVariables lists the environment variables of Config, from its
// envconfig tags.
func configVariables() []string {
	var names []string
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Tag.Get("ignored") == "true" {
			continue
		}
		names = append(names, f.Tag.Get("envconfig"))
	}
	return names
}

// setEnv gives the test exactly the configuration variables in env: every
// other one is unset for the duration of the test.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, name := range append(configVariables(), "CLOUD_RUN_EXECUTION", "CLOUD_RUN_TASK_ATTEMPT") {
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// withEnv returns base with over applied; "-" in over unsets a variable.
func withEnv(base, over map[string]string) map[string]string {
	env := maps.Clone(base)
	for k, v := range over {
		if v == "-" {
			delete(env, k)
		} else {
			env[k] = v
		}
	}
	return env
}

// fixedNow is 2026-11-25 08:00 UTC, so yesterday is 2026-11-24 in UTC and
// Everflow's window starts at 2025-11-25.
func fixedNow() time.Time { return time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC) }

func TestConfigExampleListsEveryVariable(t *testing.T) {
	f, err := os.Open("config.example.env")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := regexp.MustCompile(`^#?\s*([A-Z][A-Z0-9_]*)=(.*)$`)
	defaults := map[string]string{}
	var listed []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := line.FindStringSubmatch(sc.Text()); m != nil {
			listed = append(listed, m[1])
			defaults[m[1]] = m[2]
		}
	}
	want := configVariables()
	slices.Sort(want)
	slices.Sort(listed)
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("config.example.env and Config disagree (-Config +config.example.env):\n%s", diff)
	}
	// The defaults shown must be envconfig's defaults.
	typ := reflect.TypeFor[Config]()
	for i := range typ.NumField() {
		field := typ.Field(i)
		name := field.Tag.Get("envconfig")
		if name == "" || field.Tag.Get("ignored") == "true" {
			continue
		}
		if got, want := defaults[name], field.Tag.Get("default"); got != want {
			t.Errorf("config.example.env shows %s=%q, Config's default is %q", name, got, want)
		}
	}
}

func TestConfigExampleMatchesSpec(t *testing.T) {
	spec, err := os.ReadFile(filepath.Join("..", "shared", "SPEC.md"))
	if err != nil {
		t.Skip("../shared/SPEC.md is not beside the repository")
	}
	// Every variable of the SPEC's configuration table is a Config variable,
	// with the same default.
	vars := configVariables()
	for name := range configTable(t, spec) {
		if !slices.Contains(vars, name) {
			t.Errorf("SPEC.md lists %s; Config does not", name)
		}
	}
}

// TestReadmeConfigTable keeps README.md's configuration table in step with
// Config: the same variables, and the same defaults where it shows one.
func TestReadmeConfigTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	table := configTable(t, readme)
	listed := slices.Sorted(maps.Keys(table))
	want := configVariables()
	slices.Sort(want)
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("README.md's configuration table and Config disagree (-Config +README):\n%s", diff)
	}
}

// configTable reads a markdown table of variables (SPEC.md's, README.md's)
// and checks each default shown as code against Config's.
func configTable(t *testing.T, doc []byte) map[string]string {
	t.Helper()
	row := regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\| ([^|]*) \\|")
	defaults := map[string]string{}
	typ := reflect.TypeFor[Config]()
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		name, shown := m[1], strings.TrimSpace(m[2])
		defaults[name] = shown
		if !strings.HasPrefix(shown, "`") {
			continue // required, derived, —
		}
		for i := range typ.NumField() {
			if f := typ.Field(i); f.Tag.Get("envconfig") == name {
				if got := strings.Trim(shown, "`"); got != f.Tag.Get("default") {
					t.Errorf("%s: the table shows the default %q, Config's is %q", name, got, f.Tag.Get("default"))
				}
			}
		}
	}
	return defaults
}

func TestLoadConfigDates(t *testing.T) {
	base := map[string]string{"EVERFLOW_API_KEY": "k-0123456789", "SPREADSHEET_ID": "sheet"}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"yesterday in UTC", nil, nil, []string{"2026-11-24"}},
		{"yesterday in Kiritimati is today in UTC", map[string]string{"DIGEST_TIMEZONE": "Pacific/Kiritimati"}, nil, []string{"2026-11-24"}},
		{"yesterday in Pago Pago", map[string]string{"DIGEST_TIMEZONE": "Pacific/Pago_Pago"}, nil, []string{"2026-11-23"}},
		{"lookback", map[string]string{"DIGEST_LOOKBACK_DAYS": "2"}, nil, []string{"2026-11-22", "2026-11-23", "2026-11-24"}},
		{"one date", nil, []string{"-date", "2026-11-20"}, []string{"2026-11-20"}},
		{"lookback does not apply to -date", map[string]string{"DIGEST_LOOKBACK_DAYS": "3"}, []string{"-date", "2026-11-20"}, []string{"2026-11-20"}},
		{"range", nil, []string{"-from", "2026-10-30", "-to", "2026-11-02"}, []string{"2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02"}},
		{"oldest day Everflow serves", nil, []string{"-date", "2025-11-25"}, []string{"2025-11-25"}},
		{"dry run needs no spreadsheet", map[string]string{"SPREADSHEET_ID": ""}, []string{"-dry-run", "-date", "2026-11-01"}, []string{"2026-11-01"}},
		{"key is trimmed", map[string]string{"EVERFLOW_API_KEY": "  k-0123456789\n"}, nil, []string{"2026-11-24"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, withEnv(base, tt.env))
			var usage bytes.Buffer
			cfg, err := loadConfig(tt.args, fixedNow, &usage)
			if err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			var got []string
			for _, d := range cfg.Dates {
				got = append(got, d.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("dates (-want +got):\n%s", diff)
			}
			if cfg.EverflowAPIKey != "k-0123456789" {
				t.Errorf("EverflowAPIKey = %q, want it trimmed", cfg.EverflowAPIKey)
			}
		})
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	setEnv(t, map[string]string{"EVERFLOW_API_KEY": "k-0123456789", "SPREADSHEET_ID": "sheet"})
	cfg, err := loadConfig(nil, fixedNow, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{
		"base": cfg.EverflowBaseURL, "rps": cfg.EverflowMaxRPS, "tz": cfg.Timezone, "tzid": int(cfg.EverflowTimezoneID),
		"endpoint": cfg.SheetsEndpoint, "subs": cfg.subs, "mode": cfg.WriteMode, "tab": cfg.Tab, "summary": cfg.SummaryTab,
		"keep": cfg.KeepTabs, "lookback": cfg.LookbackDays, "events": cfg.IncludeEvents, "cross": cfg.CrossCheck,
		"level": cfg.LogLevel, "format": cfg.LogFormat,
	}
	want := map[string]any{
		"base": "https://api.eflow.team", "rps": 3.0, "tz": "UTC", "tzid": 0,
		"endpoint": "https://sheets.googleapis.com/", "subs": []int{1}, "mode": "append", "tab": "Daily", "summary": "Summary",
		"keep": 0, "lookback": 0, "events": false, "cross": false,
		"level": "info", "format": "json",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

// TestLoadConfigAccepts covers values that look odd but are meant to work,
// and what they are read as.
func TestLoadConfigAccepts(t *testing.T) {
	base := map[string]string{"EVERFLOW_API_KEY": "k-0123456789", "SPREADSHEET_ID": "sheet"}
	tests := []struct {
		name string
		env  map[string]string
		want map[string]any
	}{
		// config.example.env shows its default as "EVERFLOW_TIMEZONE_ID=".
		{"empty timezone id is derived", map[string]string{"EVERFLOW_TIMEZONE_ID": ""}, map[string]any{"tzid": 0}},
		{"timezone id", map[string]string{"EVERFLOW_TIMEZONE_ID": " 80 "}, map[string]any{"tzid": 80}},
		{"write mode in capitals", map[string]string{"DIGEST_WRITE_MODE": "Rewrite"}, map[string]any{"mode": "rewrite"}},
		{"sub IDs in capitals", map[string]string{"DIGEST_SUB_IDS": "SUB2, Sub3"}, map[string]any{"subs": []int{2, 3}}},
		{"no sub IDs", map[string]string{"DIGEST_SUB_IDS": ""}, map[string]any{"subs": []int(nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, withEnv(base, tt.env))
			cfg, err := loadConfig(nil, fixedNow, &bytes.Buffer{})
			if err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			all := map[string]any{"tzid": int(cfg.EverflowTimezoneID), "mode": cfg.WriteMode, "subs": cfg.subs}
			got := map[string]any{}
			for k := range tt.want {
				got[k] = all[k]
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSubIDs(t *testing.T) {
	tests := []struct {
		in   string
		want []int
	}{
		{"", nil},
		{"sub1", []int{1}},
		{"sub3, sub1", []int{3, 1}},
		{"SUB2,sub5", []int{2, 5}},
	}
	for _, tt := range tests {
		got, err := parseSubIDs(tt.in)
		if err != nil {
			t.Errorf("parseSubIDs(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseSubIDs(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestBadInput runs the command as main would, for each bad flag and
// setting: exit status 2, a message naming the flag or setting, and nothing
// called (there is no server to call: the URLs point nowhere). The message
// is the last line, logged like any failure: JSON, severity ERROR, with the
// Cloud Run execution.
func TestBadInput(t *testing.T) {
	base := map[string]string{
		"EVERFLOW_API_KEY":       "secret-key-0123456789",
		"SPREADSHEET_ID":         "sheet",
		"EVERFLOW_BASE_URL":      "http://127.0.0.1:9", // discard port: a call would fail with exit 1, not 2
		"SHEETS_ENDPOINT":        "http://127.0.0.1:9/",
		"CLOUD_RUN_EXECUTION":    "eflow-digest-x1",
		"CLOUD_RUN_TASK_ATTEMPT": "2",
	}
	keyFile := filepath.Join(t.TempDir(), "key.json")
	if err := os.WriteFile(keyFile, []byte(`{"type":"service_account"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string // "-" unsets a base variable
		args []string
		want string // in stderr
	}{
		{"unknown flag", nil, []string{"-dates", "2026-11-01"}, "-dates"},
		{"positional argument", nil, []string{"2026-11-01"}, `unexpected argument "2026-11-01"`},
		{"empty date", nil, []string{"-date", ""}, "-date is empty: give a day as YYYY-MM-DD"},
		{"empty to", nil, []string{"-from", "2026-11-01", "-to", " "}, "-to is empty"},
		{"bad date", nil, []string{"-date", "2026-13-01"}, `-date "2026-13-01" is not a date`},
		{"date with slashes", nil, []string{"-date", "11/20/2026"}, "-date"},
		{"today", nil, []string{"-date", "2026-11-25"}, "-date 2026-11-25 is after yesterday"},
		{"future", nil, []string{"-date", "2027-01-01"}, "after yesterday"},
		{"older than 365 days", nil, []string{"-date", "2025-11-24"}, "only the last 365 days"},
		{"from after to", nil, []string{"-from", "2026-11-10", "-to", "2026-11-01"}, "-from 2026-11-10 is after -to 2026-11-01"},
		{"from without to", nil, []string{"-from", "2026-11-10"}, "-from and -to go together"},
		{"to too old", nil, []string{"-from", "2024-01-01", "-to", "2024-01-02"}, "-from 2024-01-01 is older"},
		{"date and range", nil, []string{"-date", "2026-11-01", "-from", "2026-11-01", "-to", "2026-11-02"}, "-date cannot be combined"},
		{"two modes", nil, []string{"-check", "-dry-run"}, "cannot be combined"},
		{"check with a date", nil, []string{"-check", "-date", "2026-11-01"}, "-check and -demo take no dates"},
		{"key missing", map[string]string{"EVERFLOW_API_KEY": "-"}, nil, "EVERFLOW_API_KEY is not set: set it to the affiliate API key"},
		{"key empty", map[string]string{"EVERFLOW_API_KEY": ""}, nil, "EVERFLOW_API_KEY is empty"},
		{"key blank", map[string]string{"EVERFLOW_API_KEY": "  \t"}, nil, "EVERFLOW_API_KEY is empty"},
		{"base URL", map[string]string{"EVERFLOW_BASE_URL": "api.eflow.team"}, nil, "EVERFLOW_BASE_URL must be an http(s) URL"},
		{"base URL with the API path", map[string]string{"EVERFLOW_BASE_URL": "https://api.eflow.team/v1/affiliates"}, nil, "EVERFLOW_BASE_URL: base URL \"https://api.eflow.team/v1/affiliates\" must be the host only"},
		{"rps not a number", map[string]string{"EVERFLOW_MAX_RPS": "fast"}, nil, "EVERFLOW_MAX_RPS: cannot read it as a number"},
		{"rps zero", map[string]string{"EVERFLOW_MAX_RPS": "0"}, nil, "EVERFLOW_MAX_RPS must be"},
		{"rps negative", map[string]string{"EVERFLOW_MAX_RPS": "-1"}, nil, "EVERFLOW_MAX_RPS must be"},
		{"rps NaN", map[string]string{"EVERFLOW_MAX_RPS": "NaN"}, nil, "EVERFLOW_MAX_RPS must be"},
		{"rps above Everflow's", map[string]string{"EVERFLOW_MAX_RPS": "1000"}, nil, "EVERFLOW_MAX_RPS must be a number of requests per second above 0 and at most 50"},
		{"rps empty", map[string]string{"EVERFLOW_MAX_RPS": ""}, nil, "EVERFLOW_MAX_RPS: cannot read it as a number (it is set but empty): set it to a number, or unset it for the default (3)"},
		{"timezone", map[string]string{"DIGEST_TIMEZONE": "Mars/Olympus"}, nil, `DIGEST_TIMEZONE "Mars/Olympus" is not an IANA time zone`},
		{"timezone empty", map[string]string{"DIGEST_TIMEZONE": ""}, nil, "DIGEST_TIMEZONE must be an IANA time zone"},
		{"timezone Local", map[string]string{"DIGEST_TIMEZONE": "Local"}, nil, "DIGEST_TIMEZONE must be an IANA time zone"},
		// A key pasted into the wrong variable is quoted by its message, and scrubbed there.
		{"key pasted as the timezone", map[string]string{"DIGEST_TIMEZONE": "secret-key-0123456789"}, nil, "DIGEST_TIMEZONE \"[REDACTED]\" is not an IANA time zone"},
		{"timezone id", map[string]string{"EVERFLOW_TIMEZONE_ID": "eighty"}, nil, "EVERFLOW_TIMEZONE_ID: cannot read it as a whole number: set it to a whole number, or unset it for the default (derived from DIGEST_TIMEZONE)"},
		{"timezone id negative", map[string]string{"EVERFLOW_TIMEZONE_ID": "-80"}, nil, "EVERFLOW_TIMEZONE_ID must be"},
		{"spreadsheet missing", map[string]string{"SPREADSHEET_ID": "-"}, nil, "SPREADSHEET_ID is empty"},
		{"spreadsheet URL", map[string]string{"SPREADSHEET_ID": "https://docs.google.com/spreadsheets/d/abc/edit"}, nil, "SPREADSHEET_ID"},
		{"both credentials", map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": keyFile, "GOOGLE_CREDENTIALS_JSON": "{}"}, nil, "set only one"},
		{"credentials file missing", map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": filepath.Join(t.TempDir(), "nope.json")}, nil, "GOOGLE_APPLICATION_CREDENTIALS: cannot read"},
		{"credentials file is a directory", map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": t.TempDir()}, nil, "GOOGLE_APPLICATION_CREDENTIALS: cannot read"},
		{"sheets endpoint", map[string]string{"SHEETS_ENDPOINT": "sheets"}, nil, "SHEETS_ENDPOINT must be an http(s) URL such as https://sheets.googleapis.com/"},
		{"sub id", map[string]string{"DIGEST_SUB_IDS": "sub1,sub6"}, nil, `DIGEST_SUB_IDS: "sub6" is not a sub ID`},
		{"sub id word", map[string]string{"DIGEST_SUB_IDS": "campaign"}, nil, `DIGEST_SUB_IDS: "campaign"`},
		{"sub id twice", map[string]string{"DIGEST_SUB_IDS": "sub1,sub1"}, nil, "DIGEST_SUB_IDS lists sub1 twice"},
		{"sub id stray comma", map[string]string{"DIGEST_SUB_IDS": "sub1,"}, nil, "DIGEST_SUB_IDS has an empty entry"},
		{"write mode", map[string]string{"DIGEST_WRITE_MODE": "overwrite"}, nil, `DIGEST_WRITE_MODE must be append or rewrite; got "overwrite"`},
		{"tab empty", map[string]string{"DIGEST_TAB": " "}, nil, "DIGEST_TAB is empty"},
		{"tab like a date", map[string]string{"DIGEST_TAB": "2026-11-01"}, nil, "DIGEST_TAB"},
		{"same tabs", map[string]string{"DIGEST_TAB": "Digest", "DIGEST_SUMMARY_TAB": "digest"}, nil, "must be different tabs"},
		{"summary tab too long", map[string]string{"DIGEST_SUMMARY_TAB": strings.Repeat("x", 101)}, nil, "DIGEST_SUMMARY_TAB is longer"},
		{"keep tabs", map[string]string{"DIGEST_KEEP_TABS": "-1"}, nil, "DIGEST_KEEP_TABS must be"},
		{"keep tabs word", map[string]string{"DIGEST_KEEP_TABS": "all"}, nil, "DIGEST_KEEP_TABS: cannot read it as a whole number"},
		{"lookback negative", map[string]string{"DIGEST_LOOKBACK_DAYS": "-2"}, nil, "DIGEST_LOOKBACK_DAYS must be between 0 and 364"},
		{"lookback too far", map[string]string{"DIGEST_LOOKBACK_DAYS": "365"}, nil, "DIGEST_LOOKBACK_DAYS must be between 0 and 364"},
		{"events", map[string]string{"DIGEST_INCLUDE_EVENTS": "sometimes"}, nil, "DIGEST_INCLUDE_EVENTS: cannot read it as true or false"},
		{"log level", map[string]string{"LOG_LEVEL": "verbose"}, nil, "LOG_LEVEL must be"},
		{"log format", map[string]string{"LOG_FORMAT": "xml"}, nil, "LOG_FORMAT must be json or text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, withEnv(base, tt.env))
			var stdout, stderr bytes.Buffer
			code := mainExitAt(tt.args, fixedNow, &stdout, &stderr)
			if code != 2 {
				t.Errorf("exit status %d, want 2; stderr:\n%s", code, stderr.String())
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			var last map[string]any
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
				t.Fatalf("the last line of stderr is not JSON: %v\n%s", err, stderr.String())
			}
			msg, _ := last["error"].(string)
			if !strings.Contains(msg, tt.want) {
				t.Errorf("the error does not name the problem %q:\n%s", tt.want, msg)
			}
			for k, v := range map[string]any{"severity": "ERROR", "message": "run failed", "exit_status": 2.0, "execution": "eflow-digest-x1", "task_attempt": "2"} {
				if last[k] != v {
					t.Errorf("%s = %v, want %v:\n%s", k, last[k], v, lines[len(lines)-1])
				}
			}
			if strings.Contains(stderr.String()+stdout.String(), "secret-key-0123456789") {
				t.Errorf("the API key leaked:\n%s", stderr.String())
			}
		})
	}
}

func TestDateWindowEdges(t *testing.T) {
	// Everflow's window is the 365 days before today in DIGEST_TIMEZONE.
	setEnv(t, map[string]string{"EVERFLOW_API_KEY": "k-0123456789", "SPREADSHEET_ID": "s", "DIGEST_TIMEZONE": "America/Los_Angeles"})
	// 2026-11-25 08:00 UTC is 2026-11-25 00:00 in Los Angeles.
	cfg, err := loadConfig([]string{"-from", "2025-11-25", "-to", "2026-11-24"}, fixedNow, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Dates) != 365 {
		t.Errorf("got %d dates, want 365", len(cfg.Dates))
	}
	if got, want := cfg.Dates[0], (digest.Date{Year: 2025, Month: 11, Day: 25}); got != want {
		t.Errorf("first date %v, want %v", got, want)
	}
}
