// Package everflowtest is a strict local stand-in of the Everflow Affiliate
// API for tests, benchmarks and -demo, importable like net/http/httptest.
//
// A Server listens on loopback and implements, as documented in the team's
// Everflow reference, the endpoints the job uses:
//
//	POST /v1/affiliates/reporting/conversions   raw conversions, paged by the query string
//	POST /v1/affiliates/reporting/entity/table  aggregated table (cross-check)
//	POST /v1/affiliates/dashboard/summary       cheap key check
//	GET  /v1/affiliates/reporting/conversions/{id}
//	GET  /v1/meta/timezones
//
// It is strict on purpose, because a lenient stand-in hides client bugs: the
// API key travels in X-Eflow-API-Key only, page and page_size are read from
// the query string only (paging in the body is silently ignored, which is
// the documented real-world trap), from/to are interpreted in the zone of
// timezone_id (so DST days have 23 and 25 hours), dates older than 365 days
// and ranges longer than a year are refused, requests are rate limited by a
// token bucket (5/s, burst 20) and entity/table columns such as sub1 count
// against the granular hourly quota. Every error body is {"error":"..."}.
//
// Choices where the reference is unconfirmed:
//   - Rows are served newest first (conversion_unix_timestamp descending,
//     then conversion_id ascending), like the partner portal, so a conversion
//     inserted while a client pages shifts every later page.
//   - page_size above the maximum (2000) is refused with 400 rather than
//     clamped: a client that asks for more than it can get should learn it.
//   - Base conversions carry "event": "Base" (as the network-side tap shows)
//     so a client that tells events apart by the event name instead of
//     is_event is caught.
//   - Raw conversions are never converted; entity/table and the dashboard
//     convert other currencies into currency_id with the fixed Rates table.
//   - Timezone ids other than the confirmed ones are the stand-in's own.
//
// Fault injection (Inject, SetIgnorePaging, InsertDuringPaging) and data
// mutations (Set, Upsert, Delete) let client tests reproduce retries, page
// shifts and late reversals. Generate produces deterministic synthetic
// data; Options.Synthetic serves the same data without holding it, for
// benchmarks of a million conversions.
package everflowtest
