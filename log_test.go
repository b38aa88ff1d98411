package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoggerCloudLoggingFields(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := newLogger(Config{LogLevel: "debug", LogFormat: "json", Execution: "eflow-digest-abc12", Attempt: "1"}, &buf)
	log.Debug("d")
	log.Info("i", "date", "2026-11-20", "wait", 1500*time.Millisecond)
	log.Warn("w")
	log.Error("e", "error", errors.New("boom"))
	var got []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		if _, ok := m["time"]; !ok {
			t.Errorf("line without time: %q", line)
		}
		delete(m, "time")
		got = append(got, m)
	}
	run := func(m map[string]any) map[string]any {
		m["execution"], m["task_attempt"] = "eflow-digest-abc12", "1"
		return m
	}
	want := []map[string]any{
		run(map[string]any{"severity": "DEBUG", "message": "d"}),
		run(map[string]any{"severity": "INFO", "message": "i", "date": "2026-11-20", "wait": "1.5s"}),
		run(map[string]any{"severity": "WARNING", "message": "w"}),
		run(map[string]any{"severity": "ERROR", "message": "e", "error": "boom"}),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log lines (-want +got):\n%s", diff)
	}
}

func TestLoggerLevels(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := newLogger(Config{LogLevel: "warn", LogFormat: "text"}, &buf)
	log.Info("hidden")
	log.Warn("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), "shown") {
		t.Errorf("LOG_LEVEL=warn wrote:\n%s", buf.String())
	}
}

type stringer string

func (s stringer) String() string { return string(s) }

func TestLoggerRedactsSecrets(t *testing.T) {
	t.Parallel()
	const key = "ef-key-5b7c2a9e0d"
	const pem = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"
	for _, format := range []string{"json", "text"} {
		var buf bytes.Buffer
		log := newLogger(Config{LogLevel: "debug", LogFormat: format}, &buf, key, pem)
		log = log.With("base", "key="+key)
		log.Debug("request with "+key, "header", key, "err", fmt.Errorf("wrapped: %w", errors.New("got "+pem)),
			"stringer", stringer(key), "group", map[string]string{"k": "v"})
		log.WithGroup("g").Info("x", "inner", key)
		out := buf.String()
		if strings.Contains(out, key) || strings.Contains(out, pem) {
			t.Errorf("%s: a secret reached the log:\n%s", format, out)
		}
		if !strings.Contains(out, "[REDACTED]") {
			t.Errorf("%s: nothing was redacted:\n%s", format, out)
		}
	}
}

// TestSummaryLineRevenue checks the revenue of the run's last line reads as
// an object in JSON and as revenue.CUR=… in text, and is there with no
// currency too.
func TestSummaryLineRevenue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format  string
		revenue map[string]string
		want    string
	}{
		{"json", map[string]string{"USD": "12.50", "EUR": "1.00"}, `"revenue":{"EUR":"1.00","USD":"12.50"}`},
		{"json", map[string]string{}, `"revenue":{}`},
		{"text", map[string]string{"USD": "12.50", "EUR": "1.00"}, "revenue.EUR=1.00 revenue.USD=12.50"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		r := runReport{Days: 1, From: "2026-11-24", To: "2026-11-24", Revenue: tt.revenue}
		r.log(newLogger(Config{LogLevel: "info", LogFormat: tt.format}, &buf), false, true)
		if !strings.Contains(buf.String(), tt.want) {
			t.Errorf("%s, revenue %v: the summary line lacks %s:\n%s", tt.format, tt.revenue, tt.want, buf.String())
		}
	}
}
