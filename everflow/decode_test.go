package everflow

import (
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

func TestDecimalUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    string // Decimal.String()
		wantErr bool
	}{
		{in: `0.8`, want: "0.8"},
		{in: `25`, want: "25"},
		{in: `-3.5`, want: "-3.5"},
		{in: `1e-2`, want: "1e-2"},
		{in: `1.23456789012345678901234567890`, want: "1.23456789012345678901234567890"}, // no float rounding
		{in: `0.1`, want: "0.1"},
		{in: `"5.25"`, want: "5.25"},
		{in: `"-0.10"`, want: "-0.10"},
		{in: `"+2"`, want: "+2"},
		{in: `"1E5"`, want: "1E5"},
		{in: `"007"`, want: "007"},
		{in: `null`, want: "0"},
		{in: `true`, wantErr: true},
		{in: `false`, wantErr: true},
		{in: `{"amount":1}`, wantErr: true},
		{in: `[1]`, wantErr: true},
		{in: `""`, wantErr: true},
		{in: `"abc"`, wantErr: true},
		{in: `"1,50"`, wantErr: true},
		{in: `"1.5 "`, wantErr: true},
		{in: `"NaN"`, wantErr: true},
		{in: `"Infinity"`, wantErr: true},
		{in: `"0x10"`, wantErr: true},
		{in: `"1."`, wantErr: true},
		{in: `".5"`, wantErr: true},
		{in: `"1e"`, wantErr: true},
		{in: `"$5"`, wantErr: true},
	}
	for _, tt := range tests {
		var v struct {
			Revenue Decimal `json:"revenue"`
		}
		err := json.Unmarshal([]byte(`{"revenue":`+tt.in+`}`), &v)
		if tt.wantErr {
			if !errors.Is(err, ErrInvalidDecimal) {
				t.Errorf("%s: err = %v, want ErrInvalidDecimal", tt.in, err)
			}
			continue
		}
		if err != nil || v.Revenue.String() != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.in, v.Revenue, err, tt.want)
		}
	}
	if got := Decimal("").String(); got != "0" {
		t.Errorf("zero Decimal String() = %q, want 0", got)
	}
}

// FuzzDecimalString: a string revenue is accepted exactly when it is a
// number, and what is accepted parses exactly (big.Rat) to the same value.
func FuzzDecimalString(f *testing.F) {
	for _, s := range []string{"5.25", "-0.1", "+2", "1e-2", "", "abc", "1.", " 1", "1e400", "٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := json.Marshal(s)
		if err != nil {
			t.Skip()
		}
		var d Decimal
		err = d.UnmarshalJSON(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidDecimal) {
				t.Fatalf("%q: error %v is not ErrInvalidDecimal", s, err)
			}
			return
		}
		if string(d) != s {
			t.Fatalf("%q decoded as %q", s, d)
		}
		if _, ok := new(big.Rat).SetString(strings.TrimPrefix(s, "+")); !ok {
			t.Fatalf("accepted %q, which big.Rat does not parse", s)
		}
	})
}

func TestIDKey(t *testing.T) {
	t.Parallel()
	hexID := "f9d3fa7e86d241afbec4a6c6c3fe2580"
	k := idKey(hexID)
	if got := k[0]; got != 0xf9 || k[15] != 0x80 {
		t.Errorf("idKey(%s) = %x, want the decoded bytes", hexID, k)
	}
	distinct := []string{hexID, strings.ToUpper(hexID), "f9d3fa7e86d241afbec4a6c6c3fe258", "short", "", "f9d3fa7e86d241afbec4a6c6c3fe2580 ", "x9d3fa7e86d241afbec4a6c6c3fe2580"}
	seen := map[[16]byte]string{}
	for _, id := range distinct {
		k := idKey(id)
		if other, dup := seen[k]; dup {
			t.Errorf("idKey(%q) == idKey(%q)", id, other)
		}
		seen[k] = id
		if idKey(id) != k {
			t.Errorf("idKey(%q) is not deterministic", id)
		}
	}
}

// TestPageDecode: the envelope in any key order with unknown keys, and a
// reused buffer that keeps nothing of the previous page.
func TestPageDecode(t *testing.T) {
	t.Parallel()
	p := &conversionsPage{limit: 10}
	full := `{"meta":{"a":[1,{"b":2}]},"paging":{"page":2,"page_size":10,"total_count":12},"conversions":[` +
		`{"conversion_id":"a","transaction_id":"t","conversion_unix_timestamp":1700000000,"revenue":1.5,"currency_id":"EUR","is_event":true,"event":"Deposit",` +
		`"sub1":"s1","sub2":"s2","sub3":"s3","sub4":"s4","sub5":"s5","adv1":"x","relationship":{"offer":{"network_offer_id":9,"name":"Nine","network_id":1},"other":{}}},` +
		`{"conversion_id":"b"}],"trailing":null}`
	if err := p.decodeBody(strings.NewReader(full)); err != nil {
		t.Fatal(err)
	}
	want := []Conversion{
		{ConversionID: "a", TransactionID: "t", UnixTimestamp: 1700000000, Revenue: "1.5", CurrencyID: "EUR", IsEvent: true, Event: "Deposit",
			Sub1: "s1", Sub2: "s2", Sub3: "s3", Sub4: "s4", Sub5: "s5", Relationship: Relationship{Offer: Offer{NetworkOfferID: 9, Name: "Nine"}}},
		{ConversionID: "b"},
	}
	if diff := gocmp.Diff(want, p.rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if p.paging != (paging{Page: 2, PageSize: 10, TotalCount: 12}) {
		t.Errorf("paging = %+v", p.paging)
	}
	if err := p.decodeBody(strings.NewReader(`{"conversions":[{"conversion_id":"c"}],"paging":{}}`)); err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff([]Conversion{{ConversionID: "c"}}, p.rows); diff != "" {
		t.Errorf("reused page (-want +got):\n%s", diff)
	}
	for _, body := range []string{full[:len(full)/2], full[:len(full)-1], ""} {
		err := p.decodeBody(strings.NewReader(body))
		if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			t.Errorf("truncated body: err = %v, want an EOF", err)
		}
	}
	if err := (&conversionsPage{limit: 1}).decodeBody(strings.NewReader(full)); !errors.Is(err, ErrPagingIgnored) {
		t.Errorf("page over its limit: err = %v, want ErrPagingIgnored", err)
	}
}
