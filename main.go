// Command eflow-digest writes an Everflow affiliate's daily revenue digest,
// by offer and sub ID, into a Google Sheets spreadsheet.
//
// Each run pulls the conversions of its report days from the Everflow
// Affiliate API, adds up the revenue exactly, per currency, and writes every
// day in one atomic Sheets batchUpdate: each date ends up either as it was or
// fully new, never half-written and never duplicated.
//
// Usage:
//
//	eflow-digest                                  report yesterday (plus DIGEST_LOOKBACK_DAYS)
//	eflow-digest -date 2026-11-20                 report one day
//	eflow-digest -from 2026-10-01 -to 2026-10-31  backfill an inclusive range
//	eflow-digest -dry-run [dates]                 print the digest as CSV, write nothing
//	eflow-digest -check                           verify settings, key and spreadsheet access
//	eflow-digest -demo                            run against local stand-ins, no setup needed
//	eflow-digest -version                         print the version
//
// Settings come from the environment (see config.example.env). Exit status:
// 0 the run succeeded, 1 the run failed (the spreadsheet holds every date's
// previous or new digest), 2 a bad flag or setting (nothing was called).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	// Time zones must load on a distroless image too.
	_ "time/tzdata"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// it comes from the module's build information.
var version = ""

func main() {
	// Collect garbage at 50% heap growth rather than Go's 100%, unless GOGC
	// says otherwise: it keeps a 1M-conversion day under 64 MiB of memory
	// for about 4% more CPU (README, "Performance").
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	os.Exit(mainExit(os.Args[1:], os.Stdout, os.Stderr))
}

// mainExit is main without os.Exit: it loads the configuration, runs with a
// context that SIGINT and SIGTERM (how Cloud Run stops a job) cancel, and maps
// the outcome to the exit status.
func mainExit(args []string, stdout, stderr io.Writer) int {
	return mainExitAt(args, time.Now, stdout, stderr)
}

// mainExitAt is mainExit with the clock that decides what "yesterday" is.
func mainExitAt(args []string, now func() time.Time, stdout, stderr io.Writer) int {
	cfg, err := loadConfig(args, now, stderr)
	switch {
	case errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errVersion):
		fmt.Fprintln(stdout, "eflow-digest", buildVersion())
		return 0
	case err != nil:
		// Logged like every other failure (one JSON line by default, with
		// severity ERROR and the Cloud Run execution), so that the one line
		// a misconfigured job writes is found and alerted on the same way.
		usageLogger(stderr).Error("run failed", "error", err, "exit_status", 2)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return exitCode(run(ctx, cfg, stdout, stderr))
}

// exitCode maps run's error to the exit status.
func exitCode(err error) int {
	var usage *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &usage):
		return 2
	}
	return 1
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		v := info.Main.Version
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return v + " (" + s.Value[:12] + ")"
			}
		}
		if v != "" {
			return v
		}
	}
	return "(devel)"
}
