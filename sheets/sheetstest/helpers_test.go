package sheetstest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2/google"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"

	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

const (
	email = "digest@eflow-test.iam.gserviceaccount.com"
	docID = "doc-1"
)

// env is a server with one spreadsheet shared with email, and a real
// client authenticated as email through the server's token endpoint.
type env struct {
	srv *sheetstest.Server
	svc *sheets.Service
	key []byte
}

func newEnv(t testing.TB, opts sheetstest.Options) *env {
	t.Helper()
	if opts.WritesPerMinute == 0 {
		opts.WritesPerMinute = -1
	}
	if opts.ReadsPerMinute == 0 {
		opts.ReadsPerMinute = -1
	}
	srv := sheetstest.NewServer(opts)
	t.Cleanup(srv.Close)
	key := srv.ServiceAccountKey(email)
	srv.AddSpreadsheet(docID, "Digest", email)
	return &env{srv: srv, svc: service(t, srv, key), key: key}
}

// service is a real *sheets.Service using key's service-account flow.
func service(t testing.TB, srv *sheetstest.Server, key []byte) *sheets.Service {
	t.Helper()
	ctx := t.Context()
	creds, err := google.CredentialsFromJSONWithType(ctx, key, google.ServiceAccount, sheets.SpreadsheetsScope)
	if err != nil {
		t.Fatalf("CredentialsFromJSONWithType: %v", err)
	}
	svc, err := sheets.NewService(ctx, option.WithEndpoint(srv.URL+"/"), option.WithCredentials(creds))
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	return svc
}

// apiErr returns the *googleapi.Error of err, failing the test if there is
// none.
func apiErr(t *testing.T, err error) *googleapi.Error {
	t.Helper()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		t.Fatalf("error %v (%T) is not a *googleapi.Error", err, err)
	}
	return gerr
}

// wantErr checks err is a Google error with code and message.
func wantErr(t *testing.T, err error, code int, message string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %d %q", code, message)
	}
	gerr := apiErr(t, err)
	if gerr.Code != code || gerr.Message != message {
		t.Fatalf("got error %d %q, want %d %q", gerr.Code, gerr.Message, code, message)
	}
}

func ptr[T any](v T) *T { return &v }

func str(s string) sheetstest.Cell  { return sheetstest.Cell{String: &s} }
func num(n float64) sheetstest.Cell { return sheetstest.Cell{Number: &n} }

var httpClient = &http.Client{Timeout: 5 * time.Second}

func googleField(s string) googleapi.Field { return googleapi.Field(s) }

func contextWithTimeout(t *testing.T, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), d)
}
