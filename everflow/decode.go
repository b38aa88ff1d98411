package everflow

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
)

// Decimal is a money amount as the exact decimal text Everflow sent ("0.8",
// "-3.5", "1e-2"), never passed through float64. The zero value means 0.
type Decimal string

// String returns the decimal text, "0" for the zero value.
func (d Decimal) String() string {
	if d == "" {
		return "0"
	}
	return string(d)
}

// UnmarshalJSON accepts a JSON number or a string holding a number
// ("5.25"); null leaves the zero value, like a missing field. Anything else
// (a bool, an object, "abc", "") is an ErrInvalidDecimal, which fails the
// whole run rather than count an amount as 0.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: empty value", ErrInvalidDecimal)
	}
	switch c := b[0]; {
	case c == 'n' && string(b) == "null":
		return nil
	case c == '-' || c >= '0' && c <= '9':
		// encoding/json has already checked the number's syntax.
		*d = Decimal(b)
		return nil
	case c == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidDecimal, err)
		}
		if !isDecimal(s) {
			return fmt.Errorf("%w: %q is not a number", ErrInvalidDecimal, truncateRunes(s, 40))
		}
		*d = Decimal(s)
		return nil
	}
	return fmt.Errorf("%w: %s is not a number", ErrInvalidDecimal, truncateRunes(string(b), 40))
}

// isDecimal reports whether s is a number: an optional sign, digits with an
// optional fraction, an optional exponent. Surrounding spaces, "NaN",
// "Inf", hex and thousands separators are refused: a parser downstream
// would have to guess.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// Conversion is one conversion or post-conversion event as Everflow sends
// it to an affiliate. Every field is optional on the wire (proto3 omits
// zero values), so a missing field is its zero value.
type Conversion struct {
	// ConversionID is the unique id (32 hex digits), the dedupe key.
	ConversionID string `json:"conversion_id"`
	// TransactionID is the click id; events share it with their base
	// conversion, so it is never a dedupe key.
	TransactionID string `json:"transaction_id"`
	// UnixTimestamp is the conversion time, UTC epoch seconds.
	UnixTimestamp int64 `json:"conversion_unix_timestamp"`
	// Revenue is the affiliate's earnings in CurrencyID.
	Revenue Decimal `json:"revenue"`
	// CurrencyID is the offer's ISO 4217 currency; raw conversions are
	// never converted.
	CurrencyID string `json:"currency_id"`
	// IsEvent tells post-conversion events from base conversions.
	IsEvent bool `json:"is_event"`
	// Event is the event name ("Base" on some base rows).
	Event string `json:"event"`

	Sub1 string `json:"sub1"`
	Sub2 string `json:"sub2"`
	Sub3 string `json:"sub3"`
	Sub4 string `json:"sub4"`
	Sub5 string `json:"sub5"`

	// Relationship holds the offer the conversion belongs to.
	Relationship Relationship `json:"relationship"`
}

// Relationship is a conversion's related entities; affiliate responses are
// known to carry only the offer.
type Relationship struct {
	Offer Offer `json:"offer"`
}

// Offer is the offer of a conversion.
type Offer struct {
	NetworkOfferID int64  `json:"network_offer_id"`
	Name           string `json:"name"`
}

// OfferID returns relationship.offer.network_offer_id.
func (c Conversion) OfferID() int64 { return c.Relationship.Offer.NetworkOfferID }

// OfferName returns relationship.offer.name.
func (c Conversion) OfferName() string { return c.Relationship.Offer.Name }

// Subs returns sub1..sub5.
func (c Conversion) Subs() [5]string { return [5]string{c.Sub1, c.Sub2, c.Sub3, c.Sub4, c.Sub5} }

// paging is the conversions response's paging object.
type paging struct {
	Page       int `json:"page"`
	PageSize   int `json:"page_size"`
	TotalCount int `json:"total_count"`
}

// conversionsPage is one decoded conversions response. Its rows buffer is
// reused from page to page, so memory holds pages in flight, not the day.
type conversionsPage struct {
	// limit is the most rows the page may hold (the page_size asked for);
	// a server sending more is not honouring paging.
	limit  int
	rows   []Conversion
	paging paging
	// noRows: the conversions array was missing or null. proto3 JSON
	// leaves an empty list out and a Go server writes a nil one as null,
	// so that is an empty page; deliver refuses it on page 1 of a day
	// that has conversions.
	noRows bool
}

// decodeBody streams the envelope {"conversions":[...],"paging":{...}}
// (keys in any order, unknown keys skipped), decoding the rows one by one
// into the reused buffer. A missing paging object is ErrEnvelope; a missing
// or null array is an empty page (see noRows).
func (p *conversionsPage) decodeBody(r io.Reader) error {
	p.rows = p.rows[:0]
	p.paging = paging{}
	p.noRows = true
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{', "the response"); err != nil {
		return err
	}
	var haveRows, havePaging bool
	var skip json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch key, _ := tok.(string); key {
		case "conversions":
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			if tok == nil {
				continue // null: as if missing
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return fmt.Errorf("%w: \"conversions\" is not a JSON array", ErrEnvelope)
			}
			for dec.More() {
				if len(p.rows) >= p.limit {
					return fmt.Errorf("%w: page holds more than the %d conversions asked for", ErrPagingIgnored, p.limit)
				}
				// Appending a zero value first: decoding into a reused
				// element would keep the fields a row omits.
				p.rows = append(p.rows, Conversion{})
				if err := dec.Decode(&p.rows[len(p.rows)-1]); err != nil {
					return fmt.Errorf("conversion %d: %w", len(p.rows), err)
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			haveRows, p.noRows = true, false
		case "paging":
			var pg *paging
			if err := dec.Decode(&pg); err != nil {
				return fmt.Errorf("paging: %w", err)
			}
			if pg == nil {
				return fmt.Errorf("%w: paging is null", ErrEnvelope)
			}
			p.paging = *pg
			havePaging = true
		default:
			if err := dec.Decode(&skip); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	switch {
	case !haveRows && !havePaging:
		return fmt.Errorf("%w: no conversions array and no paging object", ErrEnvelope)
	case !havePaging:
		return fmt.Errorf("%w: no paging object", ErrEnvelope)
	case p.paging.TotalCount < 0 || p.paging.Page < 0 || p.paging.PageSize < 0:
		return fmt.Errorf("%w: negative paging values", ErrEnvelope)
	}
	return nil
}

// expectDelim reads the next token and checks it is d.
func expectDelim(dec *json.Decoder, d json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return fmt.Errorf("%w: %s is not a JSON %s", ErrEnvelope, what, map[json.Delim]string{'{': "object", '[': "array"}[d])
	}
	return nil
}

// idKey is the dedupe key of a conversion id: the 16 bytes of a 32-digit
// lowercase hex id (every real id), else the first 16 bytes of a SHA-256 of
// the id, so odd ids still dedupe exactly (a collision is 2^-128 unlikely).
func idKey(id string) [16]byte {
	var k [16]byte
	if len(id) == 32 {
		ok := true
		for i := 0; i < 16 && ok; i++ {
			hi, ok1 := unhex(id[2*i])
			lo, ok2 := unhex(id[2*i+1])
			k[i] = hi<<4 | lo
			ok = ok1 && ok2
		}
		if ok {
			return k
		}
	}
	h := sha256.New()
	_, _ = io.WriteString(h, "everflow conversion_id\x00")
	_, _ = io.WriteString(h, id)
	copy(k[:], h.Sum(nil))
	return k
}

// unhex decodes one lowercase hex digit; upper case is refused so that
// "ABC…" and "abc…", different strings, stay different ids.
func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
