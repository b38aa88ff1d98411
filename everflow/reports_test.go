package everflow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
)

func TestTimezoneID(t *testing.T) {
	t.Parallel()
	berlin := -1
	for _, tz := range everflowtest.Timezones {
		if tz.Zone == "Europe/Berlin" {
			berlin = tz.ID
		}
	}
	if berlin < 0 {
		t.Fatal("the stand-in lists no Europe/Berlin; pick another zone for this test")
	}
	tests := []struct {
		name      string
		opts      everflowtest.Options
		fault     *everflowtest.Fault
		zone      string
		want      int
		wantErr   error
		failed    bool // an error that is not ErrUnknownTimezone: the run failed, not the setting
		wantWarn  bool
		wantInErr []string
	}{
		{name: "listed zone", zone: "America/New_York", want: 80},
		{name: "UTC", zone: "UTC", want: 67},
		{name: "Etc/UTC spelling", zone: "Etc/UTC", want: 67},
		{name: "zone only the server knows", zone: "Europe/Berlin", want: berlin},
		{name: "alias is not guessed", zone: "US/Eastern", wantErr: ErrUnknownTimezone, wantInErr: []string{"EVERFLOW_TIMEZONE_ID"}},
		{name: "case matters", zone: "america/new_york", wantErr: ErrUnknownTimezone},
		{name: "unknown zone", zone: "Mars/Olympus_Mons", wantErr: ErrUnknownTimezone, wantInErr: []string{"EVERFLOW_TIMEZONE_ID", "Mars/Olympus_Mons"}},
		{name: "empty", zone: "", wantErr: ErrUnknownTimezone},
		{name: "refused, confirmed id", opts: everflowtest.Options{RefuseTimezones: true}, zone: "America/Chicago", want: 85, wantWarn: true},
		{name: "refused, Pago Pago", opts: everflowtest.Options{RefuseTimezones: true}, zone: "Pacific/Pago_Pago", want: 99, wantWarn: true},
		{name: "refused, Tokyo", opts: everflowtest.Options{RefuseTimezones: true}, zone: "Asia/Tokyo", want: 16, wantWarn: true},
		{name: "refused, unconfirmed zone", opts: everflowtest.Options{RefuseTimezones: true}, zone: "Europe/Berlin", wantWarn: true,
			wantErr: ErrUnknownTimezone, wantInErr: []string{"EVERFLOW_TIMEZONE_ID", "403"}},
		{name: "404 falls back", fault: &everflowtest.Fault{Path: everflowtest.PathTimezones, Status: 404}, zone: "America/Denver", want: 87, wantWarn: true},
		{name: "persistent 500 falls back after retries", fault: &everflowtest.Fault{Path: everflowtest.PathTimezones, Status: 500, Times: -1},
			zone: "America/Phoenix", want: 89, wantWarn: true},
		{name: "unknown envelope falls back", fault: &everflowtest.Fault{Path: everflowtest.PathTimezones, Status: 200, Body: `{"data":[]}`},
			zone: "America/Los_Angeles", want: 90, wantWarn: true},
		{name: "401, unconfirmed zone: the key, not the zone", fault: &everflowtest.Fault{Path: everflowtest.PathTimezones, Status: 401, Times: -1},
			zone: "Europe/Berlin", failed: true, wantWarn: true, wantInErr: []string{"401", "EVERFLOW_TIMEZONE_ID"}},
		{name: "persistent 500, unconfirmed zone: an outage, not the zone", fault: &everflowtest.Fault{Path: everflowtest.PathTimezones, Status: 500, Times: -1},
			zone: "Europe/Berlin", failed: true, wantWarn: true, wantInErr: []string{"500"}},
		{name: "one 503 is retried, not a fallback", fault: &everflowtest.Fault{Path: everflowtest.PathTimezones, Status: 503},
			zone: "Europe/Berlin", want: berlin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv, logs := standIn(t, tt.opts, nil)
			if tt.fault != nil {
				srv.Inject(*tt.fault)
			}
			got, err := c.TimezoneID(t.Context(), tt.zone)
			if tt.failed {
				if err == nil || errors.Is(err, ErrUnknownTimezone) {
					t.Fatalf("TimezoneID(%q) error = %v, want a failed lookup that is not ErrUnknownTimezone", tt.zone, err)
				}
			} else if !errors.Is(err, tt.wantErr) {
				t.Fatalf("TimezoneID(%q) error = %v, want %v", tt.zone, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("TimezoneID(%q) = %d, want %d", tt.zone, got, tt.want)
			}
			for _, s := range tt.wantInErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			warned := strings.Contains(logs.String(), "level=WARN msg=\"everflow timezone lookup failed")
			if warned != tt.wantWarn {
				t.Errorf("fallback warning logged = %v, want %v:\n%s", warned, tt.wantWarn, logs)
			}
		})
	}
}

// TestTimezoneTable: the built-in table holds exactly the confirmed ids,
// and agrees with the stand-in's list, which carries them too.
func TestTimezoneTable(t *testing.T) {
	t.Parallel()
	served := map[string]int{}
	for _, tz := range everflowtest.Timezones {
		served[tz.Zone] = tz.ID
	}
	for zone, id := range builtinTimezones {
		if zone == "Etc/UTC" {
			continue
		}
		if served[zone] != id {
			t.Errorf("built-in %s = %d, the stand-in serves %d", zone, id, served[zone])
		}
		if _, err := time.LoadLocation(zone); err != nil {
			t.Errorf("built-in zone %s does not load: %v", zone, err)
		}
	}
	if len(builtinTimezones) != 16+8 {
		t.Errorf("built-in table has %d zones, want the 16 + 7 confirmed ids and Etc/UTC", len(builtinTimezones))
	}
}

func TestTimezoneIDCancelled(t *testing.T) {
	t.Parallel()
	c, _, logs := standIn(t, everflowtest.Options{}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.TimezoneID(ctx, "UTC"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled rather than a fallback", err)
	}
	if strings.Contains(logs.String(), "WARN") {
		t.Errorf("a cancelled lookup fell back:\n%s", logs)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      *everflowtest.Fault
		key        string
		wantErr    error
		wantStatus int
	}{
		{name: "ok"},
		{name: "wrong key", key: "sk-LEAKCHECK-other", wantStatus: 401},
		{name: "array", fault: &everflowtest.Fault{Path: everflowtest.PathDashboard, Status: 200, Body: `[]`}, wantErr: ErrEnvelope},
		{name: "null", fault: &everflowtest.Fault{Path: everflowtest.PathDashboard, Status: 200, Body: `null`}, wantErr: ErrEnvelope},
		{name: "html 200", fault: &everflowtest.Fault{Path: everflowtest.PathDashboard, Status: 200, Body: "<html>maintenance</html>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv, _ := standIn(t, everflowtest.Options{}, generateDay(31, testDay, time.UTC, 3, 0))
			if tt.fault != nil {
				srv.Inject(*tt.fault)
			}
			if tt.key != "" {
				*c.key = tt.key
			}
			err := c.Check(t.Context(), 80)
			switch {
			case tt.name == "ok":
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
			case tt.wantStatus != 0:
				var apiErr *Error
				if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.wantStatus {
					t.Fatalf("err = %v, want *Error %d", err, tt.wantStatus)
				}
				assertNoKey(t, err.Error())
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			default:
				if err == nil {
					t.Fatal("Check accepted a body that is not JSON")
				}
			}
			if got := srv.Stats().PerPath[everflowtest.PathDashboard]; got != 1 {
				t.Errorf("dashboard requests = %d, want 1", got)
			}
		})
	}
}

func TestOfferTotals(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	conv := func(id string, offer int64, name, revenue string, event bool) everflowtest.Conversion {
		return everflowtest.Conversion{ID: id, Time: at, OfferID: offer, OfferName: name, Currency: "USD", Revenue: revenue, IsEvent: event}
	}
	data := []everflowtest.Conversion{
		conv("a", 7, "Seven", "0.1", false),
		conv("b", 7, "Seven", "0.2", false),
		conv("c", 7, "Seven", "1.05", true),
		conv("d", 3, "Three, with comma", "-2.5", false),
		conv("e", 12, "Twelve", "10", false),
		{ID: "f", Time: at.Add(-48 * time.Hour), OfferID: 7, Currency: "USD", Revenue: "99"}, // another day
	}
	t.Run("totals", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := standIn(t, everflowtest.Options{GranularPerHour: 1}, data)
		got, err := c.OfferTotals(t.Context(), testDay, 67, "USD")
		if err != nil {
			t.Fatal(err)
		}
		want := []OfferTotal{
			{OfferID: 3, Offer: "Three, with comma", Conversions: 1, Revenue: "-2.5"},
			{OfferID: 7, Offer: "Seven", Conversions: 2, Events: 1, Revenue: "1.35"},
			{OfferID: 12, Offer: "Twelve", Conversions: 1, Revenue: "10"},
		}
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Errorf("OfferTotals (-want +got):\n%s", diff)
		}
		// Offer-only reports are not granular: a second call still passes
		// a quota of one granular query an hour.
		if _, err := c.OfferTotals(t.Context(), testDay, 67, "USD"); err != nil {
			t.Errorf("second call: %v", err)
		}
		if n := srv.Stats().TooManyRequests; n != 0 {
			t.Errorf("%d requests hit the granular quota", n)
		}
	})
	t.Run("incomplete", func(t *testing.T) {
		t.Parallel()
		c, _, _ := standIn(t, everflowtest.Options{MaxTableRows: 2}, data)
		if _, err := c.OfferTotals(t.Context(), testDay, 67, "USD"); !errors.Is(err, ErrIncompleteResults) {
			t.Errorf("err = %v, want ErrIncompleteResults", err)
		}
	})
	for _, tt := range []struct {
		name, body string
		want       error
	}{
		{name: "no table", body: `{}`, want: ErrEnvelope},
		{name: "no offer id", body: `{"table":[{"columns":[{"column_type":"offer","id":"N/A","label":"N/A"}],"reporting":{"cv":1}}]}`, want: ErrEnvelope},
		{name: "bad revenue", body: `{"table":[{"columns":[{"column_type":"offer","id":"1","label":"x"}],"reporting":{"revenue":"lots"}}]}`, want: ErrInvalidDecimal},
		{name: "fractional count", body: `{"table":[{"columns":[{"column_type":"offer","id":"1","label":"x"}],"reporting":{"cv":1.5}}]}`, want: ErrEnvelope},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux, _ := setup(t)
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tt.body) })
			if _, err := c.OfferTotals(t.Context(), testDay, 67, "USD"); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("counts as strings", func(t *testing.T) {
		t.Parallel()
		c, mux, _ := setup(t)
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"table":[{"columns":[{"column_type":"offer","id":"5","label":"x"}],"reporting":{"cv":"12","event":3,"revenue":"4.5"}}],"incomplete_results":false}`)
		})
		got, err := c.OfferTotals(t.Context(), testDay, 67, "USD")
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff([]OfferTotal{{OfferID: 5, Offer: "x", Conversions: 12, Events: 3, Revenue: "4.5"}}, got); diff != "" {
			t.Errorf("OfferTotals (-want +got):\n%s", diff)
		}
	})
}
