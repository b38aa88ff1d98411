package sheets

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
)

var testRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func pemOf(t *testing.T, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// keyJSON returns a service-account key file with the fields overridden.
func keyJSON(t *testing.T, override map[string]any) string {
	t.Helper()
	k := map[string]any{
		"type":           "service_account",
		"project_id":     "p",
		"private_key_id": "0123456789abcdef0123456789abcdef01234567",
		"private_key":    pemOf(t, testRSAKey()),
		"client_email":   "digest@p.iam.gserviceaccount.com",
		"client_id":      "1",
		"token_uri":      "http://127.0.0.1:1/token",
	}
	for f, v := range override {
		if v == nil {
			delete(k, f)
		} else {
			k[f] = v
		}
	}
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// secretParts are the parts of a key that must never appear in output:
// every 12-character window of the private key's body, and the key id.
func secretParts(t *testing.T, keyFileJSON string) []string {
	t.Helper()
	var k keyFile
	_ = json.Unmarshal([]byte(keyFileJSON), &k)
	parts := []string{"0123456789abcdef"}
	body := strings.NewReplacer("-----BEGIN PRIVATE KEY-----", "", "-----END PRIVATE KEY-----", "", "\n", "").Replace(pemOf(t, testRSAKey()))
	for i := 0; i+12 <= len(body); i += 6 {
		parts = append(parts, body[i:i+12])
	}
	return parts
}

func assertNoSecret(t *testing.T, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("output holds a secret fragment %q:\n%s", s, text)
			return
		}
	}
}

func TestNewWriterConfigErrors(t *testing.T) {
	t.Parallel()
	good := keyJSON(t, nil)
	mangled := strings.Replace(good, "MII", "MXX", 1) // the DER no longer parses
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	dir := t.TempDir()
	goodFile := filepath.Join(dir, "key.json")
	if err := os.WriteFile(goodFile, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	badFile := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badFile, []byte(good[:len(good)/2]), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		opts     Options
		variable string
		want     string
	}{
		{"no spreadsheet", Options{CredentialsJSON: good}, "SPREADSHEET_ID", "required"},
		{"not JSON", Options{CredentialsJSON: "not json"}, envCredentialsJSON, "not valid JSON (syntax error at byte 2)"},
		// The syntax error would quote the character after the key body.
		{"syntax error after the key", Options{CredentialsJSON: good[:len(good)-1] + `x}`}, envCredentialsJSON, "not valid JSON"},
		{"cut in the middle of the key", Options{CredentialsJSON: good[:len(good)/2]}, envCredentialsJSON, "not valid JSON"},
		{"JSON array", Options{CredentialsJSON: `["x"]`}, envCredentialsJSON, "not a JSON object"},
		{"user credentials", Options{CredentialsJSON: keyJSON(t, map[string]any{"type": "authorized_user"})}, envCredentialsJSON, `found a "authorized_user" credential`},
		{"odd type not echoed", Options{CredentialsJSON: keyJSON(t, map[string]any{"type": "hunter2-type"})}, envCredentialsJSON, "found another type"},
		{"no type", Options{CredentialsJSON: keyJSON(t, map[string]any{"type": nil})}, envCredentialsJSON, `no "type" field`},
		{"no email", Options{CredentialsJSON: keyJSON(t, map[string]any{"client_email": nil})}, envCredentialsJSON, `no "client_email"`},
		{"no private key", Options{CredentialsJSON: keyJSON(t, map[string]any{"private_key": nil})}, envCredentialsJSON, `no "private_key"`},
		{"private key mangled", Options{CredentialsJSON: mangled}, envCredentialsJSON, "cannot be parsed"},
		{"private key not PEM", Options{CredentialsJSON: keyJSON(t, map[string]any{"private_key": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"})}, envCredentialsJSON, "not a PEM-encoded key"},
		{"EC private key", Options{CredentialsJSON: keyJSON(t, map[string]any{"private_key": pemOf(t, ecKey)})}, envCredentialsJSON, "not an RSA key"},
		{"bad token_uri", Options{CredentialsJSON: keyJSON(t, map[string]any{"token_uri": "ftp://x"})}, envCredentialsJSON, "token_uri"},
		{"missing file", Options{CredentialsFile: filepath.Join(dir, "nope.json")}, envCredentialsFile, "cannot read the service-account key file"},
		{"bad file", Options{CredentialsFile: badFile}, envCredentialsFile, "not valid JSON"},
		{"both", Options{CredentialsFile: goodFile, CredentialsJSON: good}, envCredentialsFile, "not both"},
		{"bad endpoint", Options{CredentialsJSON: good, Endpoint: "localhost:8080"}, envEndpoint, "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.opts.SpreadsheetID == "" && tt.variable != "SPREADSHEET_ID" {
				tt.opts.SpreadsheetID = "sheet"
			}
			_, err := NewWriter(t.Context(), tt.opts, testLayout)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("NewWriter error = %v, want a *ConfigError", err)
			}
			if ce.Variable != tt.variable || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), tt.variable+": ") {
				t.Errorf("error = %q, want it to name %s and say %q", err, tt.variable, tt.want)
			}
			assertNoSecret(t, err.Error(), secretParts(t, good))
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "invalid character") {
				t.Errorf("error quotes the input: %q", err)
			}
		})
	}
	for _, opts := range []Options{{CredentialsJSON: good}, {CredentialsFile: goodFile}} {
		opts.SpreadsheetID = "sheet"
		w, err := NewWriter(t.Context(), opts, testLayout)
		if err != nil {
			t.Fatalf("NewWriter with a good key: %v", err)
		}
		if w.Account() != "digest@p.iam.gserviceaccount.com" {
			t.Errorf("Account() = %q", w.Account())
		}
	}
}

func TestNewWriterLayoutErrors(t *testing.T) {
	t.Parallel()
	good := keyJSON(t, nil)
	tests := []struct {
		name     string
		edit     func(*Layout)
		variable string
	}{
		{"no Daily tab", func(l *Layout) { l.DailyTab = " " }, "DIGEST_TAB"},
		{"same tabs", func(l *Layout) { l.SummaryTab = "daily" }, "DIGEST_SUMMARY_TAB"},
		{"date-like tab", func(l *Layout) { l.SummaryTab = "2024-06-01" }, "DIGEST_SUMMARY_TAB"},
		{"negative keep", func(l *Layout) { l.KeepTabs = -1 }, "DIGEST_KEEP_TABS"},
		{"bad mode", func(l *Layout) { l.Mode = 7 }, "DIGEST_WRITE_MODE"},
	}
	for _, tt := range tests {
		l := testLayout
		tt.edit(&l)
		_, err := NewWriter(t.Context(), Options{SpreadsheetID: "s", CredentialsJSON: good}, l)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Variable != tt.variable {
			t.Errorf("%s: error = %v, want a *ConfigError for %s", tt.name, err, tt.variable)
		}
	}
	// Rewrite mode needs no Daily tab.
	l := rewriteLayout
	l.DailyTab = ""
	if _, err := NewWriter(t.Context(), Options{SpreadsheetID: "s", CredentialsJSON: good}, l); err != nil {
		t.Errorf("rewrite mode without a Daily tab: %v", err)
	}
}

func TestScrubber(t *testing.T) {
	t.Parallel()
	s := &scrubber{}
	s.add("ya29.secret-token-value")
	s.add("short") // too short to be worth scrubbing, and would mangle messages
	in := strings.Join([]string{
		"token ya29.secret-token-value in a message",
		"Authorization: Bearer abc.def.ghi",
		`{"access_token":"tok-123456"}`,
		"assertion eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl",
		"-----BEGIN PRIVATE KEY-----\nMIIEabc\n-----END PRIVATE KEY-----",
		"short stays",
	}, "\n")
	got := s.clean(in)
	for _, leak := range []string{"secret-token-value", "abc.def.ghi", "tok-123456", "eyJhbGci", "MIIEabc"} {
		if strings.Contains(got, leak) {
			t.Errorf("clean left %q in:\n%s", leak, got)
		}
	}
	if !strings.Contains(got, "short stays") {
		t.Errorf("clean removed ordinary text:\n%s", got)
	}
}

func TestErrorMessages(t *testing.T) {
	t.Parallel()
	w := &Writer{id: "sheet-1", account: "digest@p.iam.gserviceaccount.com", scrub: &scrubber{}}
	adc := &Writer{id: "sheet-1", scrub: &scrubber{}}
	fix := func(code int, status, msg string) error {
		return &googleapi.Error{Code: code, Message: msg, Body: `{"error":{"status":"` + status + `","message":"` + msg + `"}}`}
	}
	tests := []struct {
		name     string
		w        *Writer
		err      error
		attempts int
		want     string
	}{
		{"403 names the email", w, fix(403, "PERMISSION_DENIED", "The caller does not have permission"), 1,
			"write 2024-06-01: HTTP 403 PERMISSION_DENIED: The caller does not have permission: share the spreadsheet sheet-1 as an Editor with digest@p.iam.gserviceaccount.com"},
		{"403 under ADC", adc, fix(403, "PERMISSION_DENIED", "The caller does not have permission"), 1,
			"share the spreadsheet sheet-1 as an Editor with the service account the job runs as"},
		{"404", w, fix(404, "NOT_FOUND", "Requested entity was not found."), 1, `no spreadsheet with id "sheet-1": check SPREADSHEET_ID`},
		{"400 keeps Google's message", w, fix(400, "INVALID_ARGUMENT", "Invalid requests[0].addSheet: This action would increase the number of cells in the workbook above the limit of 10000000 cells."), 1,
			"above the limit of 10000000 cells.: the spreadsheet is at its cell limit"},
		{"401", w, fix(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."), 1, "check the service account key"},
		{"429 exhausted", w, fix(429, "RESOURCE_EXHAUSTED", "Quota exceeded"), 6, "HTTP 429 RESOURCE_EXHAUSTED: Quota exceeded (after 6 attempts): the Sheets quota"},
		{"token refused", w, &tokenError{&oauth2.RetrieveError{Response: &http.Response{StatusCode: 400}, ErrorCode: "invalid_grant", ErrorDescription: "Invalid JWT Signature.",
			Body: []byte(`{"error":"invalid_grant","assertion":"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"}`)}}, 1,
			"write 2024-06-01: fetch an access token: HTTP 400: invalid_grant: Invalid JWT Signature.: the token endpoint refused the service account key"},
	}
	for _, tt := range tests {
		f := tt.w.classify(tt.err)
		got := tt.w.final("write 2024-06-01", f, tt.attempts).Error()
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant it to contain %q", tt.name, got, tt.want)
		}
		if strings.Contains(got, "eyJ") {
			t.Errorf("%s: error holds the assertion: %q", tt.name, got)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	w := &Writer{minBackoff: 10 * time.Millisecond, maxBackoff: 80 * time.Millisecond}
	for attempt := 1; attempt <= 8; attempt++ {
		ceiling := min(10*time.Millisecond<<(attempt-1), 80*time.Millisecond)
		for range 50 {
			if d := w.backoff(attempt, 0); d < 0 || d > ceiling {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", attempt, d, ceiling)
			}
		}
	}
	// A Retry-After longer than the jitter wins.
	if d := w.backoff(1, 3*time.Second); d != 3*time.Second {
		t.Errorf("backoff with Retry-After 3s = %v", d)
	}
	for _, tt := range []struct {
		header string
		want   time.Duration
	}{{"", 0}, {"7", 7 * time.Second}, {"-1", 0}, {"soon", 0}, {"100000", maxRetryAfter},
		{time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0}} {
		if got := retryAfter(http.Header{"Retry-After": {tt.header}}); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}
