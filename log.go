package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
)

// newLogger returns the run's logger: JSON lines on w with Cloud Logging's
// severity and message fields (or slog's text format), tagged with the Cloud
// Run execution and attempt, and scrubbing every secret from every line.
func newLogger(cfg Config, w io.Writer, secrets ...string) *slog.Logger {
	level := parseLevel(cfg.LogLevel)
	var h slog.Handler
	if strings.EqualFold(cfg.LogFormat, "text") {
		h = slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})
	} else {
		h = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: cloudLogging})
	}
	h = newRedactHandler(h, secrets)
	logger := slog.New(h)
	if cfg.Execution != "" {
		logger = logger.With("execution", cfg.Execution)
	}
	if cfg.Attempt != "" {
		// Not "attempt": the clients log their retry attempts under that
		// key, and a line must not carry one key twice.
		logger = logger.With("task_attempt", cfg.Attempt)
	}
	return logger
}

// usageLogger is the logger for a bad flag or setting, found before the
// configuration is whole: JSON unless LOG_FORMAT is text, tagged with the
// Cloud Run execution and attempt, and scrubbing the API key and the inline
// Google key, which may be pasted into the wrong variable and quoted.
func usageLogger(w io.Writer) *slog.Logger {
	cfg := Config{
		LogLevel:        "info",
		LogFormat:       "json",
		EverflowAPIKey:  strings.TrimSpace(os.Getenv("EVERFLOW_API_KEY")),
		CredentialsJSON: os.Getenv("GOOGLE_CREDENTIALS_JSON"),
		Execution:       os.Getenv("CLOUD_RUN_EXECUTION"),
		Attempt:         os.Getenv("CLOUD_RUN_TASK_ATTEMPT"),
	}
	if strings.EqualFold(strings.TrimSpace(os.Getenv("LOG_FORMAT")), "text") {
		cfg.LogFormat = "text"
	}
	return newLogger(cfg, w, secretsOf(cfg)...)
}

func parseLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// cloudLogging renames slog's keys to the ones Cloud Logging promotes:
// severity (DEBUG, INFO, WARNING, ERROR) and message. Durations read as
// "1.5s" rather than slog's integer nanoseconds.
func cloudLogging(groups []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().Round(time.Millisecond).String())
	}
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		severity := "INFO"
		if lvl, ok := a.Value.Any().(slog.Level); ok {
			switch {
			case lvl >= slog.LevelError:
				severity = "ERROR"
			case lvl >= slog.LevelWarn:
				severity = "WARNING"
			case lvl >= slog.LevelInfo:
				severity = "INFO"
			default:
				severity = "DEBUG"
			}
		}
		return slog.String("severity", severity)
	case slog.MessageKey:
		return slog.Attr{Key: "message", Value: a.Value}
	}
	return a
}

// redactHandler replaces every secret in a record's message and attributes
// before the record is formatted. The clients already keep secrets out of
// what they return; this is where log lines are built, so a secret that got
// through anyway still never reaches the output.
type redactHandler struct {
	inner   slog.Handler
	secrets []string
}

func newRedactHandler(inner slog.Handler, secrets []string) slog.Handler {
	var keep []string
	for _, s := range secrets {
		// Short values would redact ordinary words; no real secret is this short.
		if len(strings.TrimSpace(s)) >= 8 {
			keep = append(keep, strings.TrimSpace(s))
		}
	}
	return &redactHandler{inner: inner, secrets: keep}
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	if len(h.secrets) == 0 {
		return h.inner.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, h.scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	scrubbed := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		scrubbed[i] = h.attr(a)
	}
	return &redactHandler{inner: h.inner.WithAttrs(scrubbed), secrets: h.secrets}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{inner: h.inner.WithGroup(name), secrets: h.secrets}
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.scrub(v.String()))
	case slog.KindGroup:
		group := v.Group()
		scrubbed := make([]any, len(group))
		for i, g := range group {
			scrubbed[i] = h.attr(g)
		}
		return slog.Group(a.Key, scrubbed...)
	case slog.KindAny:
		// Errors, Stringers and anything else are rendered as text here so
		// that the text can be scrubbed.
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, h.scrub(x.Error()))
		case interface{ String() string }:
			return slog.String(a.Key, h.scrub(x.String()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func (h *redactHandler) scrub(s string) string {
	for _, secret := range h.secrets {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, "[REDACTED]")
		}
	}
	return s
}
