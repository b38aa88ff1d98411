package everflow

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ConversionsQuery selects the conversions of one report day.
type ConversionsQuery struct {
	// Date is the report day, "YYYY-MM-DD", sent as both from and to; its
	// boundaries are midnights in TimezoneID's zone (23 or 25 hours on DST
	// days).
	Date string
	// TimezoneID is Everflow's timezone_id for the day's boundaries.
	TimezoneID int
	// Events adds post-conversion events (show_events).
	Events bool
}

// PageStats describes a completed Conversions call.
type PageStats struct {
	// Pages counts pages received, a re-walk included.
	Pages int
	// Conversions counts the distinct conversions handed to fn.
	Conversions int
	// TotalCount is the server's total_count, equal to Conversions.
	TotalCount int
	// Rewalked reports that the pages were walked a second time because
	// the first walk did not add up (the day changed while paging).
	Rewalked bool
}

// Paths of the endpoints the client calls.
const (
	pathConversions = "v1/affiliates/reporting/conversions"
	pathEntityTable = "v1/affiliates/reporting/entity/table"
	pathDashboard   = "v1/affiliates/dashboard/summary"
	pathTimezones   = "v1/meta/timezones"
)

// maxWorkers caps concurrent page requests whatever MaxRPS is.
const maxWorkers = 16

// progressEvery and progressInterval pace the info-level progress log of a
// long day: every progressEvery pages or progressInterval, whichever first.
const (
	progressEvery    = 10
	progressInterval = 5 * time.Second
)

// Conversions streams every conversion of the day to fn exactly once
// (deduplicated on conversion_id), from the calling goroutine, one at a
// time. It fetches page 1, then the remaining pages concurrently within the
// rate limit; fn sees the rows of a page once the page has arrived whole,
// in no particular order across pages.
//
// It returns an error rather than a result it cannot vouch for: a response
// without the conversions/paging envelope (ErrEnvelope), a page that repeats
// an earlier one (ErrPagingIgnored), or a count of distinct conversions that
// disagrees with total_count after one re-walk of every page
// (ErrCountMismatch). The conversions handed to fn before an error must be
// discarded by the caller. An error from fn stops the walk and is returned
// wrapped.
func (c *Client) Conversions(ctx context.Context, q ConversionsQuery, fn func(Conversion) error) (PageStats, error) {
	if _, err := time.Parse(time.DateOnly, q.Date); err != nil {
		return PageStats{}, fmt.Errorf("fetch conversions: date %q must be YYYY-MM-DD", q.Date)
	}
	if q.TimezoneID <= 0 {
		return PageStats{}, fmt.Errorf("fetch conversions %s: timezone_id %d must be positive", q.Date, q.TimezoneID)
	}
	w := &walker{
		c:     c,
		q:     q,
		fn:    fn,
		start: time.Now(),
		body: conversionsBody{
			From: q.Date, To: q.Date, TimezoneID: q.TimezoneID,
			ShowConversions: true, ShowEvents: q.Events,
			Query: queryBody{Filters: []struct{}{}},
		},
		seed:     maphash.MakeSeed(),
		pageSize: c.pageSize,
	}
	first, err := w.walk(ctx, false)
	if err != nil {
		return w.stats, err
	}
	w.stats.TotalCount = first.total
	if first.consistent && w.stats.Conversions == first.total {
		w.done()
		return w.stats, nil
	}

	// The first walk does not add up: rows shifted between pages (a
	// conversion inserted or removed while paging) or a page came short.
	// Walk once more, handing over only what was missed.
	c.log.LogAttrs(ctx, slog.LevelInfo, "everflow conversions did not add up; walking the pages once more",
		slog.String("date", q.Date),
		slog.Int("conversions", w.stats.Conversions),
		slog.Int("total_count", first.total),
	)
	w.stats.Rewalked = true
	second, err := w.walk(ctx, true)
	if err != nil {
		return w.stats, err
	}
	w.stats.TotalCount = second.total
	if !second.totalsAgree || w.stats.Conversions != second.total {
		return w.stats, w.mismatch(second)
	}
	w.done()
	return w.stats, nil
}

// conversionsBody is the request body. Paging is never in it: Everflow
// ignores page and page_size there and serves page 1 every time.
type conversionsBody struct {
	From            string    `json:"from"`
	To              string    `json:"to"`
	TimezoneID      int       `json:"timezone_id"`
	ShowConversions bool      `json:"show_conversions"`
	ShowEvents      bool      `json:"show_events"`
	Query           queryBody `json:"query"`
}

type queryBody struct {
	Filters []struct{} `json:"filters"`
}

// walker holds the state of one Conversions call across its walks.
type walker struct {
	c     *Client
	q     ConversionsQuery
	fn    func(Conversion) error
	body  conversionsBody
	start time.Time
	seed  maphash.Seed
	// pageSize is the page_size asked for: Options.PageSize, halved when
	// the server refuses it as too large.
	pageSize int

	seen       *idSet // ids handed to fn
	duplicates int    // rows whose id was already seen
	stats      PageStats
	pool       sync.Pool // *conversionsPage

	// Progress of the current walk, for the log.
	pages, delivered int
	lastLog          time.Time
}

// walkResult is what one walk over the pages learned.
type walkResult struct {
	total, pages int
	// totalsAgree: every page reported the total_count of page 1.
	totalsAgree bool
	// consistent: totals agree and every page held the rows it should
	// (full pages, then the remainder).
	consistent bool
}

// walk fetches page 1, then every other page concurrently, delivering each
// page as it arrives. A re-walk hands over only unseen conversions and
// expects to see known ones again.
func (w *walker) walk(ctx context.Context, rewalk bool) (walkResult, error) {
	fingerprints := map[uint64]int{}
	res, size, err := w.walkFirst(ctx, rewalk, fingerprints)
	if err != nil || res.pages == 1 {
		return res, err
	}

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := w.c.workers(res.pages - 1)
	jobs := make(chan int)
	// Unbuffered: a finished page waits in its worker for the consumer.
	// Each page holds one of the client's page slots from its request
	// until it is delivered, so memory is bounded per client, whatever
	// the number of days fetched at once.
	results := make(chan pageResult)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for n := range jobs {
				if w.c.acquirePage(ctx) != nil {
					return
				}
				p, err := w.fetch(ctx, n)
				select {
				case results <- pageResult{n: n, page: p, err: err}:
				case <-ctx.Done():
					if p != nil {
						w.pool.Put(p)
					}
					w.c.releasePage()
				}
			}
		})
	}
	go func() {
		defer close(jobs)
		for n := 2; n <= res.pages; n++ {
			select {
			case jobs <- n:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	// Deliver on this goroutine, so fn is never called concurrently, and
	// drain the results after an error so every worker exits before walk
	// returns (no fn call, no request after Conversions returns).
	var firstErr error
	for r := range results {
		switch {
		case firstErr != nil:
		case r.err != nil:
			firstErr = fmt.Errorf("fetch conversions %s page %d: %w", w.q.Date, r.n, r.err)
			cancel()
		default:
			if err := w.deliver(r.n, r.page, size, &res, rewalk, fingerprints); err != nil {
				firstErr = err
				cancel()
			}
		}
		if r.page != nil {
			w.pool.Put(r.page)
		}
		w.c.releasePage()
	}
	if firstErr == nil && parent.Err() != nil {
		// Cancelled from outside: results may have been dropped.
		firstErr = fmt.Errorf("fetch conversions %s: %w", w.q.Date, parent.Err())
	}
	return res, firstErr
}

// walkFirst fetches and delivers page 1, which sets the walk's total and
// page size.
func (w *walker) walkFirst(ctx context.Context, rewalk bool, fingerprints map[uint64]int) (walkResult, int, error) {
	if err := w.c.acquirePage(ctx); err != nil {
		return walkResult{}, 0, fmt.Errorf("fetch conversions %s page 1: %w", w.q.Date, err)
	}
	defer w.c.releasePage()
	first, err := w.fetchFirst(ctx)
	if err != nil {
		return walkResult{}, 0, fmt.Errorf("fetch conversions %s page 1: %w", w.q.Date, err)
	}
	defer w.pool.Put(first)
	size := w.pageSize
	if ps := first.paging.PageSize; ps > 0 && ps < size {
		// The server caps pages below what was asked: page with its size.
		size = ps
	}
	if n := len(first.rows); n > 0 && n < size && first.paging.TotalCount > n {
		// Page 1 came short of a day that has more: the server clamps
		// page_size below what was asked without saying so (paging.page_size
		// echoes the request or is missing). Its page 1 is as large as its
		// pages get, so count pages with that size, and keep asking for the
		// same page_size so the clamp stays the same. A wrong guess (page 1
		// short for another reason) cannot pass: the pages then do not add
		// up to total_count, and a server that ignores the page parameter
		// still repeats page 1.
		size = n
	}
	res := walkResult{total: first.paging.TotalCount, totalsAgree: true, consistent: true}
	res.pages = max(1, (res.total+size-1)/size)
	if w.seen == nil {
		// Sized from the first total so the set never rehashes, bounded
		// so a bogus total_count cannot allocate gigabytes up front.
		w.seen = newIDSet(min(res.total, 1<<22))
	}
	w.pages, w.delivered, w.lastLog = res.pages, 0, time.Now()
	return res, size, w.deliver(1, first, size, &res, rewalk, fingerprints)
}

// acquirePage takes one of the client's page slots, waiting while other
// calls hold them all.
func (c *Client) acquirePage(ctx context.Context) error {
	select {
	case c.pageSlots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) releasePage() { <-c.pageSlots }

type pageResult struct {
	n    int
	page *conversionsPage
	err  error
}

// workers is how many pages to request at once: enough to keep MaxRPS
// busy at about a second of latency per page, with headroom (2×MaxRPS),
// bounded by maxWorkers and the pages left. The limiter, not the worker
// count, sets the pace.
func (c *Client) workers(pages int) int {
	n := int(math.Ceil(c.maxRPS * 2))
	return max(1, min(max(n, 2), maxWorkers, pages))
}

// fetch requests page n; the page comes from the pool and goes back to it
// once delivered.
func (w *walker) fetch(ctx context.Context, n int) (*conversionsPage, error) {
	query := url.Values{
		"page":      {strconv.Itoa(n)},
		"page_size": {strconv.Itoa(w.pageSize)},
	}
	req, err := w.c.newRequest(ctx, http.MethodPost, pathConversions, query, w.body)
	if err != nil {
		return nil, err
	}
	p, _ := w.pool.Get().(*conversionsPage)
	if p == nil {
		p = &conversionsPage{}
	}
	p.limit = w.pageSize
	if err := w.c.do(req, p); err != nil {
		w.pool.Put(p)
		return nil, err
	}
	return p, nil
}

// minPageSize is as far as fetchFirst halves a refused page size.
const minPageSize = 100

// fetchFirst fetches page 1. Everflow's maximum page_size for affiliate
// conversions is unconfirmed ("typically 2000"); a server that refuses the
// size with a 400 naming page_size gets half of it, down to minPageSize,
// rather than failing every run. A server that clamps the size instead
// serves a short page 1, which walkFirst pages by.
func (w *walker) fetchFirst(ctx context.Context) (*conversionsPage, error) {
	for {
		p, err := w.fetch(ctx, 1)
		var apiErr *Error
		if err == nil || w.pageSize/2 < minPageSize || !errors.As(err, &apiErr) ||
			apiErr.StatusCode != http.StatusBadRequest || !namesPageSize(apiErr.Message) {
			return p, err
		}
		w.pageSize /= 2
		w.c.log.LogAttrs(ctx, slog.LevelWarn, "everflow refused the page size; asking for smaller pages",
			slog.String("date", w.q.Date),
			slog.Int("page_size", w.pageSize),
			slog.String("error", err.Error()),
		)
	}
}

// namesPageSize reports whether an error message is about the page size,
// however the server spells it ("page_size", "Page size", "pageSize").
func namesPageSize(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "page_size") || strings.Contains(m, "page size") ||
		strings.Contains(m, "pagesize") || strings.Contains(m, "page-size")
}

// deliver checks page n against the walk so far and hands its unseen
// conversions to fn.
func (w *walker) deliver(n int, p *conversionsPage, size int, res *walkResult, rewalk bool, fingerprints map[uint64]int) error {
	step := fmt.Sprintf("fetch conversions %s page %d", w.q.Date, n)
	if p.paging.Page != 0 && p.paging.Page != n {
		return fmt.Errorf("%s: %w: asked for page %d, the server answered page %d (is paging in the query string reaching it?)",
			step, ErrPagingIgnored, n, p.paging.Page)
	}
	if n == 1 && p.noRows && p.paging.TotalCount > 0 {
		// Everflow follows proto3 JSON, which leaves an empty repeated
		// field out: a day without conversions may come back as paging
		// alone, and so may a page past the end of a day that shrank while
		// paging. A first page that counts rows it does not send is
		// neither.
		return fmt.Errorf("%s: %w: no conversions array, yet total_count is %d", step, ErrEnvelope, p.paging.TotalCount)
	}
	if p.paging.TotalCount != res.total {
		res.totalsAgree, res.consistent = false, false
	}
	want := size
	if n == res.pages {
		want = res.total - (res.pages-1)*size
	}
	if n > res.pages || len(p.rows) != want {
		res.consistent = false
	}

	var h maphash.Hash
	h.SetSeed(w.seed)
	fresh := 0
	for i := range p.rows {
		row := &p.rows[i]
		if row.ConversionID == "" {
			return fmt.Errorf("%s: row %d: %w", step, i+1, ErrMissingConversionID)
		}
		k := idKey(row.ConversionID)
		_, _ = h.Write(k[:])
		if !w.seen.add(k) {
			w.duplicates++
			continue
		}
		fresh++
		w.stats.Conversions++
		if err := w.fn(*row); err != nil {
			return fmt.Errorf("%s: handle conversion %s: %w", step, row.ConversionID, err)
		}
	}
	// A page identical to another page of this walk, or (first walk) a
	// later page made only of conversions already seen, is the server
	// serving the same rows again. A shift by an insert moves one row, not
	// a page. Nothing of such a page was handed over.
	if len(p.rows) > 0 {
		fp := h.Sum64()
		if other, ok := fingerprints[fp]; ok {
			return fmt.Errorf("%s: %w: the page repeats page %d", step, ErrPagingIgnored, other)
		}
		fingerprints[fp] = n
		if !rewalk && n > 1 && fresh == 0 {
			return fmt.Errorf("%s: %w: the page holds only conversions already seen on earlier pages", step, ErrPagingIgnored)
		}
	}
	w.stats.Pages++
	w.delivered++
	w.progress(rewalk)
	return nil
}

// progress logs paging progress: at info every progressEvery pages or
// progressInterval on a day of several pages, at debug otherwise, so a
// one-page day is quiet.
func (w *walker) progress(rewalk bool) {
	now := time.Now()
	level := slog.LevelDebug
	if w.pages > 1 && (w.delivered == w.pages || w.delivered%progressEvery == 0 || now.Sub(w.lastLog) >= progressInterval) {
		level = slog.LevelInfo
		w.lastLog = now
	}
	if !w.c.log.Enabled(context.Background(), level) {
		return
	}
	elapsed := now.Sub(w.start)
	w.c.log.LogAttrs(context.Background(), level, "everflow conversions page",
		slog.String("date", w.q.Date),
		slog.Int("page", w.delivered),
		slog.Int("pages", w.pages),
		slog.Int("conversions", w.stats.Conversions),
		slog.Duration("elapsed", elapsed),
		slog.Float64("rate", math.Round(float64(w.stats.Pages)/max(elapsed.Seconds(), 1e-3)*100)/100),
		slog.Bool("rewalk", rewalk),
	)
}

// done logs the completed day at debug; the caller sums up the run.
func (w *walker) done() {
	w.c.log.LogAttrs(context.Background(), slog.LevelDebug, "everflow conversions fetched",
		slog.String("date", w.q.Date),
		slog.Int("pages", w.stats.Pages),
		slog.Int("conversions", w.stats.Conversions),
		slog.Bool("rewalked", w.stats.Rewalked),
		slog.Duration("elapsed", time.Since(w.start)),
	)
}

// mismatch explains a count that still disagrees after the re-walk.
func (w *walker) mismatch(res walkResult) error {
	var why string
	switch {
	case !res.totalsAgree:
		why = "total_count changed between pages of the re-walk: the day is still changing"
	case w.stats.Conversions > res.total:
		why = "conversions seen earlier are gone (reversed or deleted while paging)"
	default:
		why = "some conversions were never served"
	}
	if w.duplicates > 0 {
		why += fmt.Sprintf("; %d rows repeated a conversion_id", w.duplicates)
	}
	return fmt.Errorf("fetch conversions %s: %w: %d distinct conversions seen, total_count %d after a re-walk of %d pages: %s; rerun the day",
		w.q.Date, ErrCountMismatch, w.stats.Conversions, res.total, res.pages, why)
}
