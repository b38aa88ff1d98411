package sheetstest_test

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/sheets/v4"

	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

func TestQuota(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	e := newEnv(t, sheetstest.Options{WritesPerMinute: 3, ReadsPerMinute: 2, Now: clock})
	ctx := t.Context()
	write := func() error {
		_, err := e.svc.Spreadsheets.Values.Update(docID, "A1", &sheets.ValueRange{Values: [][]any{{"x"}}}).ValueInputOption("RAW").Context(ctx).Do()
		return err
	}
	read := func() error {
		_, err := e.svc.Spreadsheets.Get(docID).Context(ctx).Do()
		return err
	}
	for i := range 3 {
		if err := write(); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	err := write()
	const msg = "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:123456789012'."
	wantErr(t, err, 429, msg)
	// The body carries the ErrorInfo Google sends, which gax-go reads.
	var ae *apierror.APIError
	if !errors.As(err, &ae) || ae.Reason() != "RATE_LIMIT_EXCEEDED" || ae.Metadata()["quota_limit"] != "WriteRequestsPerMinutePerUser" {
		t.Errorf("apierror %v: reason %q metadata %v", ae, ae.Reason(), ae.Metadata())
	}
	if !strings.Contains(apiErr(t, err).Body, `"status":"RESOURCE_EXHAUSTED"`) {
		t.Errorf("429 body %s", apiErr(t, err).Body)
	}
	// Reads have their own bucket.
	for i := range 2 {
		if err := read(); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	err = read()
	if err == nil || apiErr(t, err).Code != 429 || !strings.Contains(apiErr(t, err).Message, "'Read requests'") {
		t.Errorf("third read: %v", err)
	}
	// The buckets refill the next minute.
	offset.Store(int64(time.Minute))
	if err := write(); err != nil {
		t.Errorf("write in a new minute: %v", err)
	}
	if err := read(); err != nil {
		t.Errorf("read in a new minute: %v", err)
	}
	st := e.srv.Stats()
	if st.Throttled != 2 || st.Writes != 5 || st.Reads != 4 || st.ByOp["values.update"] != 5 || st.ByOp["get"] != 4 {
		t.Errorf("stats %+v", st)
	}
}

func TestQuotaIsPerServiceAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{ReadsPerMinute: 1})
	other := "other@eflow-test.iam.gserviceaccount.com"
	svc2 := service(t, e.srv, e.srv.ServiceAccountKey(other))
	e.srv.Share(docID, other)
	ctx := t.Context()
	if _, err := e.svc.Spreadsheets.Get(docID).Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := svc2.Spreadsheets.Get(docID).Context(ctx).Do(); err != nil {
		t.Errorf("another account's first read: %v", err)
	}
	if _, err := e.svc.Spreadsheets.Get(docID).Context(ctx).Do(); err == nil || apiErr(t, err).Code != 429 {
		t.Errorf("second read: %v, want 429", err)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   sheetstest.Fault
		call    func(e *env, t *testing.T) error
		code    int
		message string
		body    string // substring of the raw body
	}{
		{"429 on batchUpdate", sheetstest.Fault{Op: "batchUpdate", Status: 429, RetryAfter: "7"}, doBatch, 429,
			"Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:123456789012'.", "RATE_LIMIT_EXCEEDED"},
		{"500 on get", sheetstest.Fault{Op: "get", Status: 500}, doGet, 500, "Internal error encountered.", `"status":"INTERNAL"`},
		{"503 on any op", sheetstest.Fault{Status: 503}, doGet, 503, "The service is currently unavailable.", `"status":"UNAVAILABLE"`},
		{"HTML 502", sheetstest.Fault{Op: "values.batchGet", Status: 502}, doBatchGet, 502, "", "<title>Error 502 (Server Error)!!1</title>"},
		{"batchGet alias", sheetstest.Fault{Op: "batchGet", Status: 500}, doBatchGet, 500, "Internal error encountered.", ""},
		{"custom body", sheetstest.Fault{Op: "get", Status: 400, Body: `{"error":{"code":400,"message":"boom","status":"INVALID_ARGUMENT"}}`}, doGet, 400, "boom", ""},
		{"token endpoint failure", sheetstest.Fault{Op: "token", Status: 500}, doGet, 0, "", "internal_failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sheetstest.Options{})
			e.srv.Inject(tt.fault)
			err := tt.call(e, t)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.code == 0 {
				// x/oauth2 reports token endpoint failures as *oauth2.RetrieveError.
				if !strings.Contains(err.Error(), tt.body) {
					t.Errorf("error %v lacks %q", err, tt.body)
				}
			} else {
				gerr := apiErr(t, err)
				if gerr.Code != tt.code || gerr.Message != tt.message || !strings.Contains(gerr.Body, tt.body) {
					t.Errorf("got %d %q body %s", gerr.Code, gerr.Message, gerr.Body)
				}
				if tt.fault.RetryAfter != "" && gerr.Header.Get("Retry-After") != tt.fault.RetryAfter {
					t.Errorf("Retry-After %q", gerr.Header.Get("Retry-After"))
				}
			}
			// Times 0 means once: the next call succeeds.
			if err := tt.call(e, t); err != nil {
				t.Errorf("call after the fault: %v", err)
			}
		})
	}
}

func doGet(e *env, t *testing.T) error {
	_, err := e.svc.Spreadsheets.Get(docID).Context(t.Context()).Do()
	return err
}

func doBatchGet(e *env, t *testing.T) error {
	_, err := e.svc.Spreadsheets.Values.BatchGet(docID).Ranges("A1").Context(t.Context()).Do()
	return err
}

func doBatch(e *env, t *testing.T) error {
	_, err := e.svc.Spreadsheets.BatchUpdate(docID, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{
		{AutoResizeDimensions: &sheets.AutoResizeDimensionsRequest{Dimensions: dim(0, "COLUMNS", 0, 1)}}}}).Context(t.Context()).Do()
	return err
}

func TestFaultQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	e.srv.Inject(sheetstest.Fault{Op: "get", Status: 500, Times: 2})
	e.srv.Inject(sheetstest.Fault{Op: "get", Status: 503})
	e.srv.Inject(sheetstest.Fault{Op: "values.get", Status: 429, Times: -1})
	var codes []int
	for range 4 {
		err := doGet(e, t)
		code := 200
		if err != nil {
			code = apiErr(t, err).Code
		}
		codes = append(codes, code)
	}
	if diff := cmp.Diff([]int{500, 500, 503, 200}, codes); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	for range 3 {
		_, err := e.svc.Spreadsheets.Values.Get(docID, "A1").Context(t.Context()).Do()
		if err == nil || apiErr(t, err).Code != 429 {
			t.Fatalf("forever fault: %v", err)
		}
	}
	e.srv.ClearFaults()
	if _, err := e.svc.Spreadsheets.Values.Get(docID, "A1").Context(t.Context()).Do(); err != nil {
		t.Errorf("after ClearFaults: %v", err)
	}
	if st := e.srv.Stats(); st.Faults != 6 || st.Throttled != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestApplyThenDrop(t *testing.T) {
	t.Parallel()
	for _, op := range []string{"batchUpdate", "values.append"} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sheetstest.Options{})
			e.srv.Inject(sheetstest.Fault{Op: op, ApplyThenDrop: true})
			var err error
			if op == "batchUpdate" {
				_, err = batch(t, e, addSheet(5, "Daily", 10, 3), updateCells(5, 0, 0, textRow("Date")))
			} else {
				_, err = e.svc.Spreadsheets.Values.Append(docID, "A1", &sheets.ValueRange{Values: [][]any{{"row"}}}).
					ValueInputOption("RAW").Context(t.Context()).Do()
			}
			if err == nil {
				t.Fatal("the client saw no error")
			}
			var gerr *googleapi.Error
			if errors.As(err, &gerr) {
				t.Fatalf("got an HTTP response %v, want a dropped connection", gerr)
			}
			// Applied exactly once.
			var titles []string
			for _, tb := range e.srv.Tabs(docID) {
				titles = append(titles, tb.Title)
				if len(tb.Rows) != 0 && len(tb.Rows) != 1 {
					t.Errorf("tab %s has %d rows", tb.Title, len(tb.Rows))
				}
			}
			if op == "batchUpdate" && !cmp.Equal([]string{"Sheet1", "Daily"}, titles) {
				t.Errorf("tabs %v", titles)
			}
			if op == "values.append" && len(tab(t, e, "Sheet1").Rows) != 1 {
				t.Errorf("append applied %d times", len(tab(t, e, "Sheet1").Rows))
			}
			// A blind retry of the batch fails on the tab it already added.
			if op == "batchUpdate" {
				_, err = batch(t, e, addSheet(5, "Daily", 10, 3))
				wantErr(t, err, 400, "Invalid requests[0].addSheet: A sheet with id 5 already exists.")
			}
		})
	}
}

func TestFaultDelayAndReset(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	e.srv.Inject(sheetstest.Fault{Op: "get", Delay: 20 * time.Millisecond})
	if err := doGet(e, t); err != nil {
		t.Errorf("a delay only slows the call: %v", err)
	}
	// Go's transport resends a GET once when a reused connection drops.
	e.srv.Inject(sheetstest.Fault{Op: "get", Reset: true, Times: 2})
	err := doGet(e, t)
	var gerr *googleapi.Error
	if err == nil || errors.As(err, &gerr) {
		t.Errorf("reset: %v, want a transport error", err)
	}
	e.srv.Inject(sheetstest.Fault{Op: "get", Delay: time.Minute})
	ctx, cancel := contextWithTimeout(t, 20*time.Millisecond)
	defer cancel()
	if _, err := e.svc.Spreadsheets.Get(docID).Context(ctx).Do(); err == nil {
		t.Error("a delay past the client's deadline should fail the call")
	}
}

func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 10 {
				_, err := e.svc.Spreadsheets.Values.Append(docID, "A1", &sheets.ValueRange{Values: [][]any{{i, j}}}).
					ValueInputOption("RAW").Context(t.Context()).Do()
				if err != nil {
					t.Error(err)
					return
				}
				_ = e.srv.Tabs(docID)
				_ = e.srv.Render(docID)
			}
		})
	}
	wg.Wait()
	if n := len(tab(t, e, "Sheet1").Rows); n != 80 {
		t.Errorf("%d rows, want 80", n)
	}
	st := e.srv.Stats()
	b, _ := json.Marshal(st)
	if st.ByOp["values.append"] != 80 {
		t.Errorf("stats %s", b)
	}
}
