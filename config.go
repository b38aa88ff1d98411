package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/eflow-digest/eflow-digest/digest"
	"github.com/eflow-digest/eflow-digest/everflow"
)

// Config is everything one run needs: the environment (read once by
// envconfig), the command line and the clock. Fields tagged ignored are not
// environment variables; config.example.env lists every other field.
type Config struct {
	EverflowAPIKey     string     `envconfig:"EVERFLOW_API_KEY" required:"true"`
	EverflowBaseURL    string     `envconfig:"EVERFLOW_BASE_URL" default:"https://api.eflow.team"`
	EverflowMaxRPS     float64    `envconfig:"EVERFLOW_MAX_RPS" default:"3"`
	Timezone           string     `envconfig:"DIGEST_TIMEZONE" default:"UTC"`
	EverflowTimezoneID timezoneID `envconfig:"EVERFLOW_TIMEZONE_ID"`
	SpreadsheetID      string     `envconfig:"SPREADSHEET_ID"`
	CredentialsFile    string     `envconfig:"GOOGLE_APPLICATION_CREDENTIALS"`
	CredentialsJSON    string     `envconfig:"GOOGLE_CREDENTIALS_JSON"`
	SheetsEndpoint     string     `envconfig:"SHEETS_ENDPOINT" default:"https://sheets.googleapis.com/"`
	SubIDs             string     `envconfig:"DIGEST_SUB_IDS" default:"sub1"`
	WriteMode          string     `envconfig:"DIGEST_WRITE_MODE" default:"append"`
	Tab                string     `envconfig:"DIGEST_TAB" default:"Daily"`
	SummaryTab         string     `envconfig:"DIGEST_SUMMARY_TAB" default:"Summary"`
	KeepTabs           int        `envconfig:"DIGEST_KEEP_TABS" default:"0"`
	LookbackDays       int        `envconfig:"DIGEST_LOOKBACK_DAYS" default:"0"`
	IncludeEvents      bool       `envconfig:"DIGEST_INCLUDE_EVENTS" default:"false"`
	CrossCheck         bool       `envconfig:"DIGEST_CROSS_CHECK" default:"false"`
	LogLevel           string     `envconfig:"LOG_LEVEL" default:"info"`
	LogFormat          string     `envconfig:"LOG_FORMAT" default:"json"`

	// Dates are the report days of this run, oldest first.
	Dates []digest.Date `ignored:"true"`
	// DryRun, Check and Demo are the modes of the command line.
	DryRun bool `ignored:"true"`
	Check  bool `ignored:"true"`
	Demo   bool `ignored:"true"`
	// Now is the clock, for "yesterday" and the Summary's Refreshed At.
	Now func() time.Time `ignored:"true"`
	// Execution and Attempt identify a Cloud Run Job execution and task
	// attempt (CLOUD_RUN_EXECUTION, CLOUD_RUN_TASK_ATTEMPT), set by Cloud Run
	// itself, so they are not settings.
	Execution string `ignored:"true"`
	Attempt   string `ignored:"true"`

	// subs and location are the parsed forms of DIGEST_SUB_IDS and
	// DIGEST_TIMEZONE.
	subs     []int
	location *time.Location
	// tune shortens the clients' waits in tests; its zero value is what
	// production runs with.
	tune tuning
}

// tuning overrides the clients' production timings, for tests that retry
// and time out on purpose. Zero fields keep the clients' defaults.
type tuning struct {
	backoff       time.Duration // first retry wait of both clients; the cap is 8x
	timeout       time.Duration // per-request timeout of both clients
	writeInterval time.Duration // least time between two Sheets writes
	pageSize      int           // Everflow page size
}

// httpClient returns the client both APIs use under this tuning, or nil for
// each client's own.
func (t tuning) httpClient() *http.Client {
	if t.timeout == 0 {
		return nil
	}
	return &http.Client{Timeout: t.timeout}
}

// everflowWindow is how far back Everflow serves conversions: the prior 365 days.
const everflowWindow = 365

// usageError is a bad flag or setting: the run exits 2 and nothing was called.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// timezoneID is EVERFLOW_TIMEZONE_ID: 0, set empty or unset, means derive it
// from DIGEST_TIMEZONE. config.example.env shows its default as empty, so an
// empty value must read as the default rather than as a bad number.
type timezoneID int

// Decode implements envconfig.Decoder.
func (t *timezoneID) Decode(value string) error {
	value = strings.TrimSpace(value)
	if value == "" {
		*t = 0
		return nil
	}
	n, err := strconv.Atoi(value)
	if err != nil {
		return err
	}
	*t = timezoneID(n)
	return nil
}

// errAPIKeyMissing is the message for an unset or blank EVERFLOW_API_KEY.
const errAPIKeyMissing = "EVERFLOW_API_KEY is %s: set it to the affiliate API key from the Everflow partner portal (My Account → API)"

// errHelp is returned when -h or -help asked for the usage text.
var errHelp = flag.ErrHelp

// loadConfig parses the command line and the process environment and checks
// both.
// Every error it returns is a *usageError naming the flag or variable at
// fault, or errHelp.
func loadConfig(args []string, now func() time.Time, usage io.Writer) (Config, error) {
	fs := flag.NewFlagSet("eflow-digest", flag.ContinueOnError)
	fs.SetOutput(usage)
	var (
		date    = fs.String("date", "", "report this one `day` (YYYY-MM-DD) instead of yesterday")
		from    = fs.String("from", "", "first `day` (YYYY-MM-DD) of a backfill, with -to")
		to      = fs.String("to", "", "last `day` (YYYY-MM-DD, inclusive) of a backfill, with -from")
		dryRun  = fs.Bool("dry-run", false, "fetch and aggregate, print the digest as CSV on stdout, write nothing")
		check   = fs.Bool("check", false, "verify the configuration, the Everflow key and access to the spreadsheet; change nothing")
		demo    = fs.Bool("demo", false, "run the whole pipeline against built-in local stand-ins with synthetic data")
		version = fs.Bool("version", false, "print the version and exit")
	)
	fs.Usage = func() {
		fmt.Fprintf(usage, "Usage: eflow-digest [-date DAY | -from DAY -to DAY] [-dry-run] | -check | -demo | -version\n\n")
		fs.PrintDefaults()
		fmt.Fprintf(usage, "\nSettings come from the environment; see config.example.env.\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, errHelp
		}
		// The flag package has printed the problem and the usage already.
		return Config{}, usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return Config{}, usagef("unexpected argument %q: dates are given with -date or -from/-to", fs.Arg(0))
	}
	// A date flag given an empty value (an unset shell variable, say) is a
	// mistake, not a request for the scheduled run.
	var emptyFlag error
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "date", "from", "to":
			if emptyFlag == nil && strings.TrimSpace(f.Value.String()) == "" {
				emptyFlag = usagef("-%s is empty: give a day as YYYY-MM-DD, or leave the flag out to report yesterday", f.Name)
			}
		}
	})
	if emptyFlag != nil {
		return Config{}, emptyFlag
	}
	cfg := Config{DryRun: *dryRun, Check: *check, Demo: *demo, Now: now}
	if *version {
		return Config{}, errVersion
	}
	modes := 0
	for _, on := range []bool{*dryRun, *check, *demo} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return Config{}, usagef("-dry-run, -check and -demo cannot be combined")
	}
	if (*check || *demo) && (*date != "" || *from != "" || *to != "") {
		return Config{}, usagef("-check and -demo take no dates (-date, -from, -to)")
	}
	if *date != "" && (*from != "" || *to != "") {
		return Config{}, usagef("-date cannot be combined with -from/-to")
	}
	if (*from == "") != (*to == "") {
		return Config{}, usagef("-from and -to go together: give both (an inclusive range) or use -date")
	}
	if *demo {
		// The demo needs no configuration: it brings its own.
		return cfg, nil
	}

	if err := processEnv(&cfg); err != nil {
		return Config{}, err
	}
	cfg.Execution = os.Getenv("CLOUD_RUN_EXECUTION")
	cfg.Attempt = os.Getenv("CLOUD_RUN_TASK_ATTEMPT")
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	dates, err := cfg.reportDates(*date, *from, *to)
	if err != nil {
		return Config{}, err
	}
	cfg.Dates = dates
	return cfg, nil
}

// errVersion is returned when -version asked for the version.
var errVersion = errors.New("version requested")

// processEnv fills cfg from the environment with envconfig and turns its
// errors into usage errors that name the variable without echoing its value:
// a mistyped variable could hold a secret.
func processEnv(cfg *Config) error {
	if err := envconfig.Process("", cfg); err != nil {
		var perr *envconfig.ParseError
		if errors.As(err, &perr) {
			what := describeType(perr.TypeName)
			empty := ""
			if strings.TrimSpace(perr.Value) == "" {
				empty = " (it is set but empty)"
			}
			unset := "unset it for the default"
			if f, ok := reflect.TypeFor[Config]().FieldByName(perr.FieldName); ok && f.Tag.Get("default") != "" {
				unset += " (" + f.Tag.Get("default") + ")"
			} else if perr.KeyName == "EVERFLOW_TIMEZONE_ID" {
				unset += " (derived from DIGEST_TIMEZONE)"
			}
			return usagef("%s: cannot read it as %s%s: set it to %s, or %s", perr.KeyName, what, empty, what, unset)
		}
		// envconfig's only other error is a required variable left unset.
		if _, set := os.LookupEnv("EVERFLOW_API_KEY"); !set {
			return usagef(errAPIKeyMissing, "not set")
		}
		return usagef("%v", err)
	}
	return nil
}

func describeType(t string) string {
	switch t {
	case "float64":
		return "a number"
	case "int", "main.timezoneID":
		return "a whole number"
	case "bool":
		return "true or false"
	}
	return t
}

var tabDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// validate checks what envconfig does not: required-but-empty values, value
// sets, ranges and formats. Every message names the variable and what to do.
func (c *Config) validate() error {
	c.EverflowAPIKey = strings.TrimSpace(c.EverflowAPIKey)
	if c.EverflowAPIKey == "" {
		return usagef(errAPIKeyMissing, "empty")
	}
	if err := checkURL("EVERFLOW_BASE_URL", c.EverflowBaseURL, "https://api.eflow.team"); err != nil {
		return err
	}
	// The client knows the rest of what makes a base URL wrong (an API path
	// pasted with the host); making one calls nothing.
	if _, err := everflow.NewClient(c.EverflowAPIKey, everflow.Options{BaseURL: c.EverflowBaseURL}); err != nil {
		return usagef("EVERFLOW_BASE_URL: %s", strings.TrimPrefix(err.Error(), "everflow: "))
	}
	if math.IsNaN(c.EverflowMaxRPS) || c.EverflowMaxRPS <= 0 || c.EverflowMaxRPS > 50 {
		return usagef("EVERFLOW_MAX_RPS must be a number of requests per second above 0 and at most 50 (Everflow allows an affiliate network 5 in all); got %v", c.EverflowMaxRPS)
	}
	if c.Timezone == "" || c.Timezone == "Local" {
		return usagef("DIGEST_TIMEZONE must be an IANA time zone such as America/New_York, the zone the partner portal reports in")
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return usagef("DIGEST_TIMEZONE %q is not an IANA time zone (for example UTC, America/New_York, Europe/London)", c.Timezone)
	}
	c.location = loc
	if c.EverflowTimezoneID < 0 {
		return usagef("EVERFLOW_TIMEZONE_ID must be a positive Everflow timezone_id (67 is UTC, 80 America/New_York) or unset")
	}
	if !c.DryRun {
		c.SpreadsheetID = strings.TrimSpace(c.SpreadsheetID)
		if c.SpreadsheetID == "" {
			return usagef("SPREADSHEET_ID is empty: set it to the ID in the spreadsheet's URL (docs.google.com/spreadsheets/d/<ID>/edit)")
		}
		if strings.ContainsAny(c.SpreadsheetID, "/ ?#") {
			return usagef("SPREADSHEET_ID %q is not a spreadsheet ID: use only the part between /d/ and /edit of the spreadsheet's URL", c.SpreadsheetID)
		}
		if c.CredentialsFile != "" && strings.TrimSpace(c.CredentialsJSON) != "" {
			return usagef("GOOGLE_APPLICATION_CREDENTIALS and GOOGLE_CREDENTIALS_JSON are both set: set only one (or neither, for Application Default Credentials)")
		}
		if c.CredentialsFile != "" {
			if st, err := os.Stat(c.CredentialsFile); err != nil || st.IsDir() {
				return usagef("GOOGLE_APPLICATION_CREDENTIALS: cannot read the service-account key file %q", c.CredentialsFile)
			}
		}
		if err := checkURL("SHEETS_ENDPOINT", c.SheetsEndpoint, "https://sheets.googleapis.com/"); err != nil {
			return err
		}
	}
	subs, err := parseSubIDs(c.SubIDs)
	if err != nil {
		return err
	}
	c.subs = subs
	// Case-insensitive, as LOG_LEVEL, LOG_FORMAT and DIGEST_SUB_IDS are.
	c.WriteMode = strings.ToLower(strings.TrimSpace(c.WriteMode))
	switch c.WriteMode {
	case "append", "rewrite":
	default:
		return usagef("DIGEST_WRITE_MODE must be append or rewrite; got %q", c.WriteMode)
	}
	for _, t := range []struct{ name, value string }{{"DIGEST_TAB", c.Tab}, {"DIGEST_SUMMARY_TAB", c.SummaryTab}} {
		switch {
		case strings.TrimSpace(t.value) == "":
			return usagef("%s is empty: set it to a tab title", t.name)
		case len([]rune(t.value)) > 100:
			return usagef("%s is longer than the 100 characters Google Sheets allows in a tab title", t.name)
		case tabDate.MatchString(t.value):
			return usagef("%s %q looks like a date: rewrite mode names its day tabs that way; choose another title", t.name, t.value)
		}
	}
	if strings.EqualFold(c.Tab, c.SummaryTab) {
		return usagef("DIGEST_TAB and DIGEST_SUMMARY_TAB are both %q: they must be different tabs", c.Tab)
	}
	if c.KeepTabs < 0 {
		return usagef("DIGEST_KEEP_TABS must be 0 (keep every day tab) or a positive number of day tabs; got %d", c.KeepTabs)
	}
	if c.LookbackDays < 0 || c.LookbackDays > everflowWindow-1 {
		return usagef("DIGEST_LOOKBACK_DAYS must be between 0 and %d (Everflow serves only the last %d days); got %d", everflowWindow-1, everflowWindow, c.LookbackDays)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "warning", "error":
	default:
		return usagef("LOG_LEVEL must be debug, info, warn or error; got %q", c.LogLevel)
	}
	switch strings.ToLower(c.LogFormat) {
	case "json", "text":
	default:
		return usagef("LOG_FORMAT must be json or text; got %q", c.LogFormat)
	}
	return nil
}

func checkURL(name, value, example string) error {
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return usagef("%s must be an http(s) URL such as %s (or unset for that default); got %q", name, example, value)
	}
	return nil
}

// parseSubIDs reads DIGEST_SUB_IDS: a comma-separated list of sub1…sub5, in
// the order of the spreadsheet's columns. Empty means by offer only.
func parseSubIDs(list string) ([]int, error) {
	var subs []int
	if strings.TrimSpace(list) == "" {
		return subs, nil
	}
	seen := map[int]bool{}
	for _, part := range strings.Split(list, ",") {
		name := strings.ToLower(strings.TrimSpace(part))
		if name == "" {
			return nil, usagef("DIGEST_SUB_IDS has an empty entry (a stray comma?): use a comma-separated list of sub1, sub2, sub3, sub4, sub5")
		}
		n, err := strconv.Atoi(strings.TrimPrefix(name, "sub"))
		if !strings.HasPrefix(name, "sub") || err != nil || n < 1 || n > 5 || name != "sub"+strconv.Itoa(n) {
			return nil, usagef("DIGEST_SUB_IDS: %q is not a sub ID; use a comma-separated list of sub1, sub2, sub3, sub4, sub5 (empty groups by offer only)", strings.TrimSpace(part))
		}
		if seen[n] {
			return nil, usagef("DIGEST_SUB_IDS lists %s twice", name)
		}
		seen[n] = true
		subs = append(subs, n)
	}
	return subs, nil
}

// reportDates turns the date flags into the run's report days. Without
// flags it is yesterday in DIGEST_TIMEZONE plus DIGEST_LOOKBACK_DAYS before it.
func (c *Config) reportDates(date, from, to string) ([]digest.Date, error) {
	today := digest.DateOf(c.Now().In(c.location))
	yesterday := today.AddDays(-1)
	oldest := today.AddDays(-everflowWindow)
	parse := func(flagName, s string) (digest.Date, error) {
		d, err := digest.ParseDate(s)
		if err != nil {
			return digest.Date{}, usagef("-%s %q is not a date: use YYYY-MM-DD", flagName, s)
		}
		if d.Compare(yesterday) > 0 {
			return digest.Date{}, usagef("-%s %s is after yesterday (%s in %s): a day is reported once it is over", flagName, d, yesterday, c.Timezone)
		}
		if d.Compare(oldest) < 0 {
			return digest.Date{}, usagef("-%s %s is older than Everflow keeps: it serves only the last %d days (from %s)", flagName, d, everflowWindow, oldest)
		}
		return d, nil
	}
	var first, last digest.Date
	switch {
	case date != "":
		d, err := parse("date", date)
		if err != nil {
			return nil, err
		}
		first, last = d, d
	case from != "":
		f, err := parse("from", from)
		if err != nil {
			return nil, err
		}
		t, err := parse("to", to)
		if err != nil {
			return nil, err
		}
		if f.Compare(t) > 0 {
			return nil, usagef("-from %s is after -to %s", f, t)
		}
		first, last = f, t
	default:
		first, last = yesterday.AddDays(-c.LookbackDays), yesterday
	}
	var dates []digest.Date
	for d := first; d.Compare(last) <= 0; d = d.AddDays(1) {
		dates = append(dates, d)
	}
	return dates, nil
}
