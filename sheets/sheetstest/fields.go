package sheetstest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// Field masks appear twice in the API: the "fields" query parameter
// selects parts of a response (partial response), and the "fields" of
// updateSheetProperties, updateCells, repeatCell and appendCells names what
// a request changes. Both use the same syntax: comma-separated paths whose
// parts are joined by "." or "/", with "a(b,c)" selecting b and c under a
// and "*" everything. Paths are checked against the JSON names of the
// google.golang.org/api/sheets/v4 types, so a mask naming a field that does
// not exist is refused like Google refuses it.

// mask is a parsed field mask: a tree of field names; a nil child selects
// the whole subtree.
type mask map[string]mask

// parseMask parses a field mask.
func parseMask(s string) (mask, bool) {
	p := &maskParser{s: s}
	m := mask{}
	if !p.list(m) || p.i != len(p.s) {
		return nil, false
	}
	return m, true
}

type maskParser struct {
	s string
	i int
}

func (p *maskParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *maskParser) list(into mask) bool {
	for {
		if !p.item(into) {
			return false
		}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		return true
	}
}

func (p *maskParser) item(into mask) bool {
	p.space()
	node := into
	var last string
	var parent mask
	for {
		j := p.i
		for j < len(p.s) && (isLetter(p.s[j]) || p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '_' || p.s[j] == '*' || p.s[j] == '@') {
			j++
		}
		if j == p.i {
			return false
		}
		name := p.s[p.i:j]
		p.i = j
		child, seen := node[name]
		if !seen {
			node[name] = mask{}
			child = node[name]
		} else if child == nil {
			// Already selected whole: a deeper selection adds nothing.
			child = mask{}
		}
		parent, last, node = node, name, child
		if p.i < len(p.s) && (p.s[p.i] == '.' || p.s[p.i] == '/') {
			p.i++
			continue
		}
		break
	}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		if !p.list(node) {
			return false
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return false
		}
		p.i++
		return true
	}
	// A leaf selects the whole subtree.
	if len(node) == 0 || parent[last] != nil {
		parent[last] = nil
	}
	return true
}

// paths flattens a mask into its leaf paths, sorted.
func (m mask) paths() [][]string {
	var out [][]string
	var walk func(m mask, pre []string)
	walk = func(m mask, pre []string) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := append(append([]string(nil), pre...), k)
			if m[k] == nil {
				out = append(out, p)
			} else {
				walk(m[k], p)
			}
		}
	}
	walk(m, nil)
	return out
}

// jsonFields maps the JSON names of a struct type to field indexes.
var jsonFields sync.Map // reflect.Type -> map[string]int

func fieldsOf(t reflect.Type) map[string]int {
	if m, ok := jsonFields.Load(t); ok {
		return m.(map[string]int)
	}
	m := make(map[string]int)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		m[name] = i
	}
	jsonFields.Store(t, m)
	return m
}

// elem unwraps pointers and slices to the type a path continues into.
func elem(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t
}

// checkMask returns the first path of m that does not exist in type t, or
// "" when all do.
func checkMask(m mask, t reflect.Type) string {
	var bad string
	var walk func(m mask, t reflect.Type, pre string) bool
	walk = func(m mask, t reflect.Type, pre string) bool {
		t = elem(t)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			path := pre + k
			if k == "*" {
				if m[k] != nil {
					bad = path
					return false
				}
				continue
			}
			if t.Kind() != reflect.Struct {
				bad = path
				return false
			}
			i, ok := fieldsOf(t)[k]
			if !ok {
				bad = path
				return false
			}
			if m[k] != nil && !walk(m[k], t.Field(i).Type, path+".") {
				return false
			}
		}
		return true
	}
	walk(m, t, "")
	return bad
}

// marshalResponse encodes a response, keeping only what the fields
// parameter selects.
func marshalResponse(resp any, fields string) ([]byte, *apiError) {
	b, err := json.Marshal(resp)
	if err != nil {
		return nil, errorf(500, "Internal error encountered.")
	}
	if fields == "" {
		return b, nil
	}
	m, ok := parseMask(fields)
	if !ok {
		return nil, badRequest("Invalid field selection %s", fields)
	}
	if bad := checkMask(m, reflect.TypeOf(resp)); bad != "" {
		return nil, badRequest("Invalid field selection %s", bad)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errorf(500, "Internal error encountered.")
	}
	out, err := json.Marshal(filterJSON(v, m))
	if err != nil {
		return nil, errorf(500, "Internal error encountered.")
	}
	return out, nil
}

// filterJSON keeps the parts of a decoded JSON value that m selects.
func filterJSON(v any, m mask) any {
	if m == nil {
		return v
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any)
		for k, sub := range m {
			if k == "*" {
				for kk, vv := range v {
					if _, named := m[kk]; !named {
						out[kk] = vv
					}
				}
				continue
			}
			if vv, ok := v[k]; ok {
				f := filterJSON(vv, sub)
				if mm, ok := f.(map[string]any); ok && len(mm) == 0 {
					continue
				}
				out[k] = f
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(v))
		for _, e := range v {
			out = append(out, filterJSON(e, m))
		}
		return out
	}
	return v
}

// setPath sets the field at path in the addressable struct dst to the one
// in src (a struct of the same type, or invalid for its zero value),
// copying on write along the path so values shared with other cells or
// tabs are never changed in place.
func setPath(dst, src reflect.Value, path []string) {
	i := fieldsOf(dst.Type())[path[0]]
	df := dst.Field(i)
	var sf reflect.Value
	if src.IsValid() {
		sf = src.Field(i)
	}
	if len(path) == 1 {
		if sf.IsValid() {
			df.Set(sf)
		} else {
			df.Set(reflect.Zero(df.Type()))
		}
		return
	}
	// A nested path goes through a pointer to a struct.
	et := df.Type().Elem()
	nd := reflect.New(et).Elem()
	if !df.IsNil() {
		nd.Set(df.Elem())
	}
	var ns reflect.Value
	if sf.IsValid() && !sf.IsNil() {
		ns = sf.Elem()
	}
	setPath(nd, ns, path[1:])
	p := reflect.New(et)
	p.Elem().Set(nd)
	df.Set(p)
}

// prune replaces pointers to empty structs with nil, so a format whose
// last part was cleared becomes no format at all. It reports whether v is
// empty.
func prune(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return true
		}
		if v.Elem().Kind() == reflect.Struct {
			if prune(v.Elem()) {
				v.Set(reflect.Zero(v.Type()))
				return true
			}
			return false
		}
		return false
	case reflect.Struct:
		empty := true
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if !v.Type().Field(i).IsExported() {
				continue
			}
			if f.Kind() == reflect.Pointer {
				if !prune(f) {
					empty = false
				}
				continue
			}
			if !f.IsZero() {
				name := v.Type().Field(i).Name
				if name == "ForceSendFields" || name == "NullFields" {
					continue
				}
				empty = false
			}
		}
		return empty
	}
	return v.IsZero()
}
