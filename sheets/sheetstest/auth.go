package sheetstest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Scopes that grant access to the Sheets API.
const (
	ScopeSpreadsheets         = "https://www.googleapis.com/auth/spreadsheets"
	ScopeSpreadsheetsReadonly = "https://www.googleapis.com/auth/spreadsheets.readonly"
	ScopeDrive                = "https://www.googleapis.com/auth/drive"
	ScopeDriveFile            = "https://www.googleapis.com/auth/drive.file"
	ScopeDriveReadonly        = "https://www.googleapis.com/auth/drive.readonly"
)

// jwtBearer is the grant type of the service-account (two-legged) flow.
const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// sheetsAudience is the audience of a self-signed JWT used directly as a
// bearer token.
const sheetsAudience = "https://sheets.googleapis.com/"

// rsaKey is shared by every account of every Server in the process: an
// RSA-2048 key takes tens of milliseconds to generate, and accounts are
// told apart by private_key_id and client_email, which is all the token
// endpoint needs to refuse a key it did not issue.
var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(fmt.Sprintf("sheetstest: generate RSA key: %v", err))
	}
	return k
})

// account is a service account known to the server.
type account struct {
	email string
	keys  map[string]*rsa.PublicKey // by private_key_id
}

// token is an issued access token.
type token struct {
	email   string
	scopes  []string
	expires time.Time
}

// ServiceAccountKey registers email as a service account, gives it a new
// key and returns the JSON key file Google would let you download, with
// token_uri pointing at this server. Every key of an account stays valid.
func (s *Server) ServiceAccountKey(email string) []byte {
	key := rsaKey()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(fmt.Sprintf("sheetstest: marshal key: %v", err))
	}
	kidBytes := make([]byte, 20)
	_, _ = rand.Read(kidBytes)
	kid := hex.EncodeToString(kidBytes)

	s.mu.Lock()
	acc := s.accounts[strings.ToLower(email)]
	if acc == nil {
		acc = &account{email: email, keys: make(map[string]*rsa.PublicKey)}
		s.accounts[strings.ToLower(email)] = acc
	}
	acc.keys[kid] = &key.PublicKey
	s.keyIDs[kid] = acc
	clientID := fmt.Sprintf("1%020d", s.randInt63n(1e18))
	s.mu.Unlock()

	project := "sheetstest"
	if _, domain, ok := strings.Cut(email, "@"); ok {
		if p, ok := strings.CutSuffix(domain, ".iam.gserviceaccount.com"); ok && p != "" {
			project = p
		}
	}
	b, err := json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  project,
		"private_key_id":              kid,
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                email,
		"client_id":                   clientID,
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   s.TokenURL,
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"client_x509_cert_url":        "https://www.googleapis.com/robot/v1/metadata/x509/" + url.PathEscape(email),
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

// ExpireTokens makes every access token issued so far invalid, as if an
// hour had passed, so clients must fetch new ones.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	clear(s.tokens)
	s.mu.Unlock()
}

// oauthError is an error of the token endpoint, in RFC 6749's shape.
type oauthError struct {
	code        int
	err, detail string
}

func (e *oauthError) write(w http.ResponseWriter) {
	b, _ := json.Marshal(map[string]string{"error": e.err, "error_description": e.detail})
	writeJSON(w, e.code, b)
}

func invalidGrant(detail string) *oauthError {
	return &oauthError{code: http.StatusBadRequest, err: "invalid_grant", detail: detail}
}

// serveToken implements POST /token for the JWT-bearer grant.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Tokens++ })
	if f := s.takeFault("token"); f != nil {
		if f.Delay > 0 && !sleep(r.Context(), f.Delay) {
			return
		}
		switch {
		case f.Status != 0:
			if f.Body == "" {
				f.Body = tokenFaultBody(f.Status)
			}
			s.serveFault(w, f, false)
			return
		case f.Reset:
			dropConn(w)
			return
		case f.ApplyThenDrop:
			s.issueToken(httptest.NewRecorder(), r)
			dropConn(w)
			return
		}
	}
	s.issueToken(w, r)
}

func tokenFaultBody(status int) string {
	switch {
	case status == http.StatusBadRequest:
		return `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`
	case status == http.StatusUnauthorized:
		return `{"error":"invalid_client","error_description":"The OAuth client was not found."}`
	case status == http.StatusTooManyRequests:
		return `{"error":"rate_limit_exceeded","error_description":"Rate limit exceeded."}`
	case status >= 500:
		return `{"error":"internal_failure","error_description":"Backend Error"}`
	}
	return fmt.Sprintf(`{"error":"invalid_request","error_description":%q}`, http.StatusText(status))
}

func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		(&oauthError{code: http.StatusMethodNotAllowed, err: "invalid_request", detail: "Only POST is supported."}).write(w)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		(&oauthError{code: http.StatusBadRequest, err: "invalid_request", detail: "Invalid Content-Type, expected application/x-www-form-urlencoded."}).write(w)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		(&oauthError{code: http.StatusBadRequest, err: "invalid_request", detail: "Could not parse the request body."}).write(w)
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != jwtBearer {
		(&oauthError{code: http.StatusBadRequest, err: "unsupported_grant_type", detail: "Invalid grant_type: " + gt}).write(w)
		return
	}
	assertion := r.PostForm.Get("assertion")
	if assertion == "" {
		(&oauthError{code: http.StatusBadRequest, err: "invalid_request", detail: "Missing required parameter: assertion"}).write(w)
		return
	}
	c, oerr := s.verifyJWT(assertion)
	if oerr != nil {
		oerr.write(w)
		return
	}
	if c.Aud != s.TokenURL {
		invalidGrant("Invalid JWT: Failed audience check. The right audience is " + s.TokenURL).write(w)
		return
	}
	if c.Sub != "" && !strings.EqualFold(c.Sub, c.Iss) {
		(&oauthError{code: http.StatusUnauthorized, err: "unauthorized_client",
			detail: "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."}).write(w)
		return
	}
	scopes := strings.Fields(c.Scope)
	if len(scopes) == 0 {
		(&oauthError{code: http.StatusBadRequest, err: "invalid_scope", detail: "Invalid OAuth scope or ID token audience provided."}).write(w)
		return
	}
	for _, sc := range scopes {
		if !strings.HasPrefix(sc, "https://www.googleapis.com/auth/") && sc != "openid" && sc != "email" {
			(&oauthError{code: http.StatusBadRequest, err: "invalid_scope", detail: "Invalid OAuth scope or ID token audience provided."}).write(w)
			return
		}
	}
	raw := make([]byte, 48)
	_, _ = rand.Read(raw)
	tok := "ya29.c." + base64.RawURLEncoding.EncodeToString(raw)
	s.mu.Lock()
	s.tokens[tok] = &token{email: c.Iss, scopes: scopes, expires: s.opts.Now().Add(TokenLifetime)}
	s.stats.TokensIssued++
	s.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"access_token": tok, "expires_in": int(TokenLifetime / time.Second), "token_type": "Bearer"})
	writeJSON(w, http.StatusOK, b)
}

// claims are the JWT claims of a service-account assertion.
type claims struct {
	Iss   string `json:"iss"`
	Sub   string `json:"sub"`
	Aud   string `json:"aud"`
	Scope string `json:"scope"`
	Iat   int64  `json:"iat"`
	Exp   int64  `json:"exp"`
}

// verifyJWT checks an RS256 JWT signed by a registered key: the key is
// found by kid when the header has one, else by iss; the signature, iss
// and the iat/exp window are checked. The audience is the caller's.
func (s *Server) verifyJWT(jwt string) (*claims, *oauthError) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, invalidGrant("Invalid JWT: not a compact JWS.")
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, invalidGrant("Invalid JWT: bad base64url encoding.")
	}
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	var c claims
	if json.Unmarshal(hb, &h) != nil || json.Unmarshal(cb, &c) != nil {
		return nil, invalidGrant("Invalid JWT: malformed header or claims.")
	}
	if h.Alg != "RS256" {
		return nil, invalidGrant("Invalid JWT: unsupported algorithm " + h.Alg + "; expected RS256.")
	}
	s.mu.Lock()
	acc := s.accounts[strings.ToLower(c.Iss)]
	var pub *rsa.PublicKey
	switch {
	case acc == nil:
	case h.Kid != "":
		if s.keyIDs[h.Kid] == acc {
			pub = acc.keys[h.Kid]
		}
	default:
		// No kid: any key of the account may have signed it.
		for _, k := range acc.keys {
			pub = k
			break
		}
	}
	s.mu.Unlock()
	if acc == nil {
		return nil, invalidGrant("Invalid grant: account not found")
	}
	if pub == nil {
		return nil, invalidGrant("Invalid JWT Signature.")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return nil, invalidGrant("Invalid JWT Signature.")
	}
	now := s.opts.Now().Unix()
	const skew = 300 // Google tolerates some clock skew
	if c.Iat == 0 || c.Exp == 0 || c.Exp <= c.Iat || c.Exp-c.Iat > 3600 || c.Iat > now+skew || c.Exp < now-skew {
		return nil, invalidGrant("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
	}
	c.Iss = acc.email
	return &c, nil
}

func unauthenticated() *apiError {
	e := errorf(http.StatusUnauthorized, "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.")
	e.Details = []any{map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "CREDENTIALS_MISSING",
		"domain": "googleapis.com", "metadata": map[string]string{"service": "sheets.googleapis.com"}}}
	return e
}

func invalidCredentials(reason string) *apiError {
	e := errorf(http.StatusUnauthorized, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.")
	e.Details = []any{map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
		"domain": "googleapis.com", "metadata": map[string]string{"service": "sheets.googleapis.com"}}}
	return e
}

// authenticate returns the service account and scopes of the request's
// bearer token: an access token issued by this server, or a self-signed
// JWT of a registered key (which Google also accepts).
func (s *Server) authenticate(r *http.Request) (string, []string, *apiError) {
	var tok string
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(rest) == "" {
			s.count(func(st *Stats) { st.Unauthenticated++ })
			return "", nil, invalidCredentials("ACCESS_TOKEN_TYPE_UNSUPPORTED")
		}
		tok = strings.TrimSpace(rest)
	} else if t := r.URL.Query().Get("access_token"); t != "" {
		tok = t
	}
	if tok == "" {
		s.count(func(st *Stats) { st.Unauthenticated++ })
		return "", nil, unauthenticated()
	}
	s.mu.Lock()
	t := s.tokens[tok]
	now := s.opts.Now()
	s.mu.Unlock()
	if t != nil {
		if !now.Before(t.expires) {
			s.count(func(st *Stats) { st.Unauthenticated++ })
			return "", nil, invalidCredentials("ACCESS_TOKEN_EXPIRED")
		}
		return t.email, t.scopes, nil
	}
	if strings.Count(tok, ".") == 2 && !strings.HasPrefix(tok, "ya29.") {
		c, oerr := s.verifyJWT(tok)
		if oerr == nil && (c.Sub == "" || strings.EqualFold(c.Sub, c.Iss)) {
			if c.Scope != "" {
				return c.Iss, strings.Fields(c.Scope), nil
			}
			if c.Aud == sheetsAudience || c.Aud == s.URL+"/" {
				return c.Iss, []string{ScopeSpreadsheets}, nil
			}
		}
	}
	s.count(func(st *Stats) { st.Unauthenticated++ })
	return "", nil, invalidCredentials("ACCESS_TOKEN_TYPE_UNSUPPORTED")
}

// checkScopes refuses a token whose scopes do not cover the op.
func checkScopes(scopes []string, o *op) *apiError {
	ok := []string{ScopeSpreadsheets, ScopeDrive, ScopeDriveFile}
	if !o.write {
		ok = append(ok, ScopeSpreadsheetsReadonly, ScopeDriveReadonly)
	}
	for _, sc := range scopes {
		if slices.Contains(ok, sc) {
			return nil
		}
	}
	e := errorf(http.StatusForbidden, "Request had insufficient authentication scopes.")
	e.Details = []any{map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
		"domain": "googleapis.com", "metadata": map[string]string{"service": "sheets.googleapis.com",
			"method": "google.apps.sheets.v4.SpreadsheetsService." + methodName(o.name)}}}
	return e
}

func methodName(op string) string {
	switch op {
	case "get":
		return "GetSpreadsheet"
	case "batchUpdate":
		return "BatchUpdateSpreadsheet"
	case "create":
		return "CreateSpreadsheet"
	}
	v := strings.TrimPrefix(op, "values.")
	return strings.ToUpper(v[:1]) + v[1:] + "Values"
}
