// Package sheetstest is a strict local stand-in of the Google Sheets API v4
// and of Google's OAuth2 token endpoint, importable like net/http/httptest,
// for tests, benchmarks and -demo.
//
// The real google.golang.org/api/sheets/v4 client talks to a Server with
// its real service-account flow:
//
//	srv := sheetstest.NewServer(sheetstest.Options{})
//	defer srv.Close()
//	key := srv.ServiceAccountKey("job@project.iam.gserviceaccount.com")
//	srv.AddSpreadsheet("sheet-id", "Digest", "job@project.iam.gserviceaccount.com")
//	creds, _ := google.CredentialsFromJSONWithType(ctx, key, google.ServiceAccount, sheets.SpreadsheetsScope)
//	svc, _ := sheets.NewService(ctx, option.WithEndpoint(srv.URL+"/"), option.WithCredentials(creds))
//
// The key's token_uri points at the server, which verifies the RS256 JWT
// assertion and issues bearer tokens that every API call must carry; the
// spreadsheet must be shared with the key's client_email.
//
// It is strict on purpose, because a lenient stand-in hides bugs users
// would meet in production: request bodies are decoded against the
// client's own types with unknown fields refused; field masks are
// required where Google requires them and checked against the API's
// schema, and a number format must name one of the API's types;
// spreadsheets.batchUpdate and values.batchUpdate are
// all-or-nothing; writes past the grid, titles taken (case-insensitively),
// deleting the last tab and growing a spreadsheet past 10,000,000 cells
// fail with Google's messages; valueInputOption is required and
// USER_ENTERED parses input like the UI (formulas, numbers, dates,
// booleans), while RAW keeps text as text; quotas of 60 reads and 60
// writes per minute per service account answer 429 with Google's
// RESOURCE_EXHAUSTED body. Faults (Inject) add 429/5xx replies, latency,
// dropped connections and the ambiguous failure where a write is applied
// but its response is lost.
//
// Tabs, Render and RenderTab read the spreadsheet back as typed cells or
// text tables; AddSheet, SetGrid and SetValues prepare one.
//
// Simplifications, where Google's behaviour is unpublished or beyond what
// a writer uses:
//   - Only formulas made of numbers, arithmetic and a string literal get an
//     effective value; others (references, functions) have none, so they
//     read back as "" except with valueRenderOption FORMULA.
//   - Formats are stored per cell: repeatCell over a huge range costs
//     memory in proportion (except when it only clears). Formats are
//     replaced along the mask's paths; effectiveFormat is the
//     userEnteredFormat without the spreadsheet defaults.
//   - spreadsheets.get returns no row or column metadata, and with ranges
//     only the tabs the ranges name.
//   - values.append's table is the first run of consecutive rows holding
//     values within the range, from its first such row.
//   - Within one updateSheetProperties the row count is applied and checked
//     against the cell limit before the column count, as the reference
//     reports Google does; the limit is checked after every subrequest.
//   - Quotas are fixed one-minute windows per service account and kind
//     (reads, writes), refilled each minute; 429s do not count.
//   - USER_ENTERED parsing follows the en_US locale whatever the
//     spreadsheet's locale.
//   - Error messages not quoted in the reference are close paraphrases.
//   - Requests the stand-in does not implement are refused with a 400 that
//     says "sheetstest does not support".
package sheetstest
