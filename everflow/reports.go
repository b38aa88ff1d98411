package everflow

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// builtinTimezones are the timezone_ids Everflow's documentation confirms,
// used when GET /v1/meta/timezones is refused. Ids seen only in client code
// are left out on purpose: a wrong id silently shifts every day.
var builtinTimezones = map[string]int{
	"Pacific/Kiritimati":  1,
	"Pacific/Enderbury":   2,
	"Pacific/Tongatapu":   3,
	"Pacific/Chatham":     4,
	"Pacific/Auckland":    5,
	"Pacific/Fiji":        6,
	"Asia/Kamchatka":      7,
	"Pacific/Norfolk":     8,
	"Australia/Lord_Howe": 9,
	"Pacific/Guadalcanal": 10,
	"Australia/Adelaide":  11,
	"Australia/Sydney":    12,
	"Australia/Brisbane":  13,
	"Australia/Darwin":    14,
	"Asia/Seoul":          15,
	"Asia/Tokyo":          16,
	"UTC":                 67,
	"Etc/UTC":             67,
	"America/New_York":    80,
	"America/Chicago":     85,
	"America/Denver":      87,
	"America/Phoenix":     89,
	"America/Los_Angeles": 90,
	"Pacific/Pago_Pago":   99,
}

// utcNames are the two spellings of UTC that Go and Everflow use; the only
// alias TimezoneID resolves, since guessing between real zones that merely
// share an offset today would shift days when their DST rules differ.
var utcNames = []string{"UTC", "Etc/UTC"}

// TimezoneID returns Everflow's timezone_id for the IANA zone, matching the
// timezone field of GET /v1/meta/timezones exactly. When that call is
// refused or keeps failing, or its list lacks the zone, it falls back to
// the ids Everflow's docs confirm and logs a warning. A zone with no id is
// ErrUnknownTimezone, whose message says to set EVERFLOW_TIMEZONE_ID.
func (c *Client) TimezoneID(ctx context.Context, zone string) (int, error) {
	if zone == "" {
		return 0, fmt.Errorf("look up timezone: %w: empty zone name", ErrUnknownTimezone)
	}
	var resp struct {
		Timezones *[]struct {
			ID   int    `json:"timezone_id"`
			Zone string `json:"timezone"`
		} `json:"timezones"`
	}
	req, err := c.newRequest(ctx, http.MethodGet, pathTimezones, nil, nil)
	if err == nil {
		err = c.do(req, &resp)
	}
	if err == nil && resp.Timezones == nil {
		err = fmt.Errorf("%w: no timezones array", ErrEnvelope)
	}
	if err != nil {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("look up timezone %q: %w", zone, err)
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "everflow timezone lookup failed; using the built-in table of confirmed timezone ids",
			slog.String("zone", zone),
			slog.String("error", err.Error()),
		)
		if id, ok := builtinTimezones[zone]; ok {
			return id, nil
		}
		if !lookupRefused(err) {
			// A bad key, an outage or the network: the run failed, the
			// setting may be right.
			return 0, fmt.Errorf("look up timezone %q: %w (the zone is not among the ids Everflow's docs confirm; setting EVERFLOW_TIMEZONE_ID skips the lookup)", zone, err)
		}
		return 0, fmt.Errorf("look up timezone %q: %w: the lookup failed (%v) and the zone is not among the ids Everflow's docs confirm; set EVERFLOW_TIMEZONE_ID to the timezone id the partner portal reports in",
			zone, ErrUnknownTimezone, err)
	}
	names := []string{zone}
	if slices.Contains(utcNames, zone) {
		names = utcNames
	}
	for _, name := range names {
		for _, tz := range *resp.Timezones {
			if tz.Zone == name && tz.ID > 0 {
				return tz.ID, nil
			}
		}
	}
	if id, ok := builtinTimezones[zone]; ok {
		// A list without a zone whose id the docs confirm is a partial
		// list (the reference's own example holds one zone), not proof
		// that the zone has no id.
		c.log.LogAttrs(ctx, slog.LevelWarn, "everflow timezone list lacks the zone; using the built-in table of confirmed timezone ids",
			slog.String("zone", zone),
			slog.Int("timezone_id", id),
			slog.Int("listed", len(*resp.Timezones)),
		)
		return id, nil
	}
	return 0, fmt.Errorf("look up timezone %q: %w: Everflow's timezone list has no such zone; use the zone the partner portal reports in (as named in GET /v1/meta/timezones) or set EVERFLOW_TIMEZONE_ID",
		zone, ErrUnknownTimezone)
}

// lookupRefused reports whether a failed timezone lookup will fail the same
// way on every run for this key: the endpoint refused it (403, 404) or
// answered with something that is not the list. Only then is a zone outside
// the built-in table a matter of configuration.
func lookupRefused(err error) bool {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode == http.StatusForbidden || apiErr.StatusCode == http.StatusNotFound
	}
	return errors.Is(err, ErrEnvelope)
}

// Check proves the key works with one cheap call, the affiliate dashboard
// summary, which must answer 200 with a JSON object. The body carries
// currency_id too: the legacy docs show a timezone alone, newer ones add
// "currency_id": "USD", and a server following either accepts both.
func (c *Client) Check(ctx context.Context, timezoneID int) error {
	req, err := c.newRequest(ctx, http.MethodPost, pathDashboard, nil, struct {
		TimezoneID int    `json:"timezone_id"`
		CurrencyID string `json:"currency_id"`
	}{timezoneID, "USD"})
	if err != nil {
		return fmt.Errorf("check everflow key: %w", err)
	}
	var obj jsonObject
	if err := c.do(req, &obj); err != nil {
		return fmt.Errorf("check everflow key: %w", err)
	}
	return nil
}

// jsonObject accepts any JSON object and refuses everything else.
type jsonObject struct{}

func (jsonObject) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) == 0 || b[0] != '{' {
		return fmt.Errorf("%w: not a JSON object", ErrEnvelope)
	}
	return nil
}

// OfferTotal is one offer's line of Everflow's aggregate report, in the
// requested currency.
type OfferTotal struct {
	OfferID     int64
	Offer       string
	Conversions int64
	Events      int64
	Revenue     Decimal
}

// OfferTotals returns Everflow's own per-offer totals of a day, converted
// into currency, sorted by offer id: a cross-check of the conversions.
// It groups by offer only: any sub column would count against the network's
// shared quota of 1,000 granular reports an hour. A report Everflow marks
// incomplete_results is ErrIncompleteResults, not a partial answer.
func (c *Client) OfferTotals(ctx context.Context, date string, timezoneID int, currency string) ([]OfferTotal, error) {
	step := "fetch offer totals " + date
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return nil, fmt.Errorf("%s: date must be YYYY-MM-DD", step)
	}
	if currency == "" {
		return nil, fmt.Errorf("%s: currency is required", step)
	}
	type column struct {
		Column string `json:"column"`
	}
	body := struct {
		From       string    `json:"from"`
		To         string    `json:"to"`
		TimezoneID int       `json:"timezone_id"`
		CurrencyID string    `json:"currency_id"`
		Columns    []column  `json:"columns"`
		Query      queryBody `json:"query"`
	}{date, date, timezoneID, currency, []column{{"offer"}}, queryBody{Filters: []struct{}{}}}
	req, err := c.newRequest(ctx, http.MethodPost, pathEntityTable, nil, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", step, err)
	}
	var resp struct {
		Table *[]struct {
			Columns   []tableColumn `json:"columns"`
			Reporting struct {
				CV      count   `json:"cv"`
				Event   count   `json:"event"`
				Revenue Decimal `json:"revenue"`
			} `json:"reporting"`
		} `json:"table"`
		IncompleteResults bool `json:"incomplete_results"`
	}
	if err := c.do(req, &resp); err != nil {
		return nil, fmt.Errorf("%s: %w", step, err)
	}
	switch {
	case resp.Table == nil:
		return nil, fmt.Errorf("%s: %w: no table array", step, ErrEnvelope)
	case resp.IncompleteResults:
		return nil, fmt.Errorf("%s: %w: Everflow cut the report at its row limit", step, ErrIncompleteResults)
	}
	out := make([]OfferTotal, 0, len(*resp.Table))
	for i, row := range *resp.Table {
		var offer *tableColumn
		for j := range row.Columns {
			if row.Columns[j].ColumnType == "offer" || row.Columns[j].ColumnType == "" && offer == nil {
				offer = &row.Columns[j]
			}
		}
		if offer == nil {
			return nil, fmt.Errorf("%s: %w: row %d has no offer column", step, ErrEnvelope, i+1)
		}
		id, err := strconv.ParseInt(offer.ID, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: row %d: offer id %q is not a number", step, ErrEnvelope, i+1, truncateRunes(offer.ID, 40))
		}
		out = append(out, OfferTotal{
			OfferID:     id,
			Offer:       offer.Label,
			Conversions: int64(row.Reporting.CV),
			Events:      int64(row.Reporting.Event),
			Revenue:     row.Reporting.Revenue,
		})
	}
	slices.SortFunc(out, func(a, b OfferTotal) int { return cmp.Compare(a.OfferID, b.OfferID) })
	return out, nil
}

// tableColumn is one dimension of an entity/table row: for offer, id is the
// offer id and label its name.
type tableColumn struct {
	ColumnType string `json:"column_type"`
	ID         string `json:"id"`
	Label      string `json:"label"`
}

// count is an integer metric that may come as a JSON number or, as proto3
// JSON writes 64-bit integers, a string of digits.
type count int64

func (n *count) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: count %s is not an integer", ErrEnvelope, truncateRunes(string(b), 40))
	}
	*n = count(v)
	return nil
}
