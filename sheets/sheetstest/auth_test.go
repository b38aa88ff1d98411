package sheetstest_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"

	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

// keyFile is the part of a service-account key file the tests use.
type keyFile struct {
	Type         string `json:"type"`
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	ClientID     string `json:"client_id"`
	TokenURI     string `json:"token_uri"`
	AuthURI      string `json:"auth_uri"`
}

func parseKey(t *testing.T, b []byte) (keyFile, *rsa.PrivateKey) {
	t.Helper()
	var k keyFile
	if err := json.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(k.PrivateKey))
	if block == nil {
		t.Fatal("no PEM block in private_key")
	}
	pk, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k, pk.(*rsa.PrivateKey)
}

// signJWT builds an RS256 JWT.
func signJWT(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	h := map[string]string{"alg": "RS256", "typ": "JWT"}
	if kid != "" {
		h["kid"] = kid
	}
	hb, _ := json.Marshal(h)
	cb, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func postToken(t *testing.T, tokenURL string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := httpClient.PostForm(tokenURL, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("token response %q is not JSON: %v", b, err)
	}
	return resp.StatusCode, body
}

func TestServiceAccountKeyFile(t *testing.T) {
	t.Parallel()
	srv := sheetstest.NewServer(sheetstest.Options{})
	t.Cleanup(srv.Close)
	k, _ := parseKey(t, srv.ServiceAccountKey(email))
	if k.Type != "service_account" || k.ClientEmail != email || k.TokenURI != srv.URL+"/token" ||
		k.ProjectID != "eflow-test" || len(k.PrivateKeyID) != 40 || k.ClientID == "" || k.AuthURI == "" {
		t.Errorf("key file = %+v", k)
	}
	if _, err := google.CredentialsFromJSONWithType(t.Context(), srv.ServiceAccountKey(email), google.ServiceAccount); err != nil {
		t.Errorf("x/oauth2 refuses the key file: %v", err)
	}
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	srv := sheetstest.NewServer(sheetstest.Options{})
	t.Cleanup(srv.Close)
	k, key := parseKey(t, srv.ServiceAccountKey(email))
	other, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	good := func() map[string]any {
		return map[string]any{"iss": email, "scope": sheets.SpreadsheetsScope, "aud": srv.TokenURL, "iat": now, "exp": now + 3600}
	}
	with := func(k string, v any) map[string]any {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	const timeframe = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
	tests := []struct {
		name      string
		grantType string
		jwt       string
		status    int
		err, desc string
	}{
		{name: "good with kid", jwt: signJWT(t, key, k.PrivateKeyID, good()), status: 200},
		{name: "good without kid", jwt: signJWT(t, key, "", good()), status: 200},
		{name: "several scopes", jwt: signJWT(t, key, k.PrivateKeyID, with("scope", sheets.DriveScope+" "+sheets.SpreadsheetsScope)), status: 200},
		{name: "signed by another key", jwt: signJWT(t, other, k.PrivateKeyID, good()),
			status: 400, err: "invalid_grant", desc: "Invalid JWT Signature."},
		{name: "signed by another key without kid", jwt: signJWT(t, other, "", good()),
			status: 400, err: "invalid_grant", desc: "Invalid JWT Signature."},
		{name: "unknown kid", jwt: signJWT(t, key, strings.Repeat("0", 40), good()),
			status: 400, err: "invalid_grant", desc: "Invalid JWT Signature."},
		{name: "unknown account", jwt: signJWT(t, key, k.PrivateKeyID, with("iss", "nobody@x.iam.gserviceaccount.com")),
			status: 400, err: "invalid_grant", desc: "Invalid grant: account not found"},
		{name: "wrong audience", jwt: signJWT(t, key, k.PrivateKeyID, with("aud", "https://oauth2.googleapis.com/token")),
			status: 400, err: "invalid_grant", desc: "Invalid JWT: Failed audience check. The right audience is " + srv.TokenURL},
		{name: "expired", jwt: signJWT(t, key, k.PrivateKeyID, with("exp", now-3600)),
			status: 400, err: "invalid_grant", desc: timeframe},
		{name: "issued an hour ago", jwt: signJWT(t, key, k.PrivateKeyID, map[string]any{"iss": email, "scope": sheets.SpreadsheetsScope, "aud": srv.TokenURL, "iat": now - 4000, "exp": now - 400}),
			status: 400, err: "invalid_grant", desc: timeframe},
		{name: "longer than an hour", jwt: signJWT(t, key, k.PrivateKeyID, with("exp", now+7200)),
			status: 400, err: "invalid_grant", desc: timeframe},
		{name: "issued in the future", jwt: signJWT(t, key, k.PrivateKeyID, map[string]any{"iss": email, "scope": sheets.SpreadsheetsScope, "aud": srv.TokenURL, "iat": now + 3000, "exp": now + 3600}),
			status: 400, err: "invalid_grant", desc: timeframe},
		{name: "no iat", jwt: signJWT(t, key, k.PrivateKeyID, with("iat", nil)),
			status: 400, err: "invalid_grant", desc: timeframe},
		{name: "no scope", jwt: signJWT(t, key, k.PrivateKeyID, with("scope", nil)),
			status: 400, err: "invalid_scope", desc: "Invalid OAuth scope or ID token audience provided."},
		{name: "bogus scope", jwt: signJWT(t, key, k.PrivateKeyID, with("scope", "spreadsheets")),
			status: 400, err: "invalid_scope", desc: "Invalid OAuth scope or ID token audience provided."},
		{name: "impersonating a user", jwt: signJWT(t, key, k.PrivateKeyID, with("sub", "boss@example.com")),
			status: 401, err: "unauthorized_client", desc: "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."},
		{name: "not a JWT", jwt: "abc", status: 400, err: "invalid_grant", desc: "Invalid JWT: not a compact JWS."},
		{name: "wrong grant type", grantType: "client_credentials", jwt: signJWT(t, key, k.PrivateKeyID, good()),
			status: 400, err: "unsupported_grant_type", desc: "Invalid grant_type: client_credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gt := tt.grantType
			if gt == "" {
				gt = "urn:ietf:params:oauth:grant-type:jwt-bearer"
			}
			status, body := postToken(t, srv.TokenURL, url.Values{"grant_type": {gt}, "assertion": {tt.jwt}})
			if status != tt.status {
				t.Fatalf("status %d, want %d (body %v)", status, tt.status, body)
			}
			if tt.status == 200 {
				tok, _ := body["access_token"].(string)
				if !strings.HasPrefix(tok, "ya29.") || body["token_type"] != "Bearer" || body["expires_in"] != 3600.0 {
					t.Errorf("token response %v", body)
				}
				return
			}
			if diff := cmp.Diff(map[string]any{"error": tt.err, "error_description": tt.desc}, body); diff != "" {
				t.Errorf("error body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTokenEndpointRefusesOtherServersKeys(t *testing.T) {
	t.Parallel()
	a := sheetstest.NewServer(sheetstest.Options{})
	t.Cleanup(a.Close)
	b := sheetstest.NewServer(sheetstest.Options{})
	t.Cleanup(b.Close)
	b.ServiceAccountKey(email) // the same account, but another key
	k, key := parseKey(t, a.ServiceAccountKey(email))
	now := time.Now().Unix()
	jwt := signJWT(t, key, k.PrivateKeyID, map[string]any{"iss": email, "scope": sheets.SpreadsheetsScope, "aud": b.TokenURL, "iat": now, "exp": now + 60})
	status, body := postToken(t, b.TokenURL, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwt}})
	if status != 400 || body["error_description"] != "Invalid JWT Signature." {
		t.Errorf("got %d %v, want 400 Invalid JWT Signature.", status, body)
	}
}

// TestAuthOptions proves the client options a writer may use run the
// token exchange at the key's token_uri (no self-signed JWT) and reach
// the API.
func TestAuthOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts func(t *testing.T, srv *sheetstest.Server, key []byte) []option.ClientOption
	}{
		{"google.CredentialsFromJSONWithType + WithCredentials", func(t *testing.T, srv *sheetstest.Server, key []byte) []option.ClientOption {
			creds, err := google.CredentialsFromJSONWithType(t.Context(), key, google.ServiceAccount, sheets.SpreadsheetsScope)
			if err != nil {
				t.Fatal(err)
			}
			return []option.ClientOption{option.WithCredentials(creds)}
		}},
		{"WithAuthCredentialsJSON", func(t *testing.T, srv *sheetstest.Server, key []byte) []option.ClientOption {
			return []option.ClientOption{option.WithAuthCredentialsJSON(option.ServiceAccount, key), option.WithScopes(sheets.SpreadsheetsScope)}
		}},
		{"WithAuthCredentialsJSON with default scopes", func(t *testing.T, srv *sheetstest.Server, key []byte) []option.ClientOption {
			return []option.ClientOption{option.WithAuthCredentialsJSON(option.ServiceAccount, key)}
		}},
		{"JWTConfigFromJSON token source", func(t *testing.T, srv *sheetstest.Server, key []byte) []option.ClientOption {
			cfg, err := google.JWTConfigFromJSON(key, sheets.SpreadsheetsScope)
			if err != nil {
				t.Fatal(err)
			}
			return []option.ClientOption{option.WithTokenSource(cfg.TokenSource(t.Context()))}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := sheetstest.NewServer(sheetstest.Options{})
			t.Cleanup(srv.Close)
			key := srv.ServiceAccountKey(email)
			srv.AddSpreadsheet(docID, "Digest", email)
			opts := append(tt.opts(t, srv, key), option.WithEndpoint(srv.URL+"/"))
			svc, err := sheets.NewService(t.Context(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				ss, err := svc.Spreadsheets.Get(docID).Context(t.Context()).Do()
				if err != nil {
					t.Fatalf("get: %v", err)
				}
				if ss.Properties.Title != "Digest" {
					t.Errorf("title %q", ss.Properties.Title)
				}
			}
			st := srv.Stats()
			if st.Tokens != 1 || st.TokensIssued != 1 {
				t.Errorf("token requests %d, issued %d; want one exchange reused", st.Tokens, st.TokensIssued)
			}
		})
	}
}

func TestAPIAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	e.srv.AddSpreadsheet("private", "Someone else's")
	const missing = "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
	const invalid = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
	tests := []struct {
		name   string
		auth   string
		id     string
		status int
		msg    string
		gstat  string
	}{
		{name: "no token", auth: "", id: docID, status: 401, msg: missing, gstat: "UNAUTHENTICATED"},
		{name: "unknown token", auth: "Bearer ya29.nope", id: docID, status: 401, msg: invalid, gstat: "UNAUTHENTICATED"},
		{name: "basic auth", auth: "Basic dXNlcjpwYXNz", id: docID, status: 401, msg: invalid, gstat: "UNAUTHENTICATED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), "GET", e.srv.URL+"/v4/spreadsheets/"+tt.id+"?alt=json&prettyPrint=false", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error struct {
					Code    int
					Message string
					Status  string
				}
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || body.Error.Code != tt.status || body.Error.Message != tt.msg || body.Error.Status != tt.gstat {
				t.Errorf("got %d %+v, want %d %q %s", resp.StatusCode, body.Error, tt.status, tt.msg, tt.gstat)
			}
		})
	}

	t.Run("not shared", func(t *testing.T) {
		t.Parallel()
		_, err := e.svc.Spreadsheets.Get("private").Context(t.Context()).Do()
		wantErr(t, err, 403, "The caller does not have permission")
		if apiErr(t, err).Body == "" || !strings.Contains(apiErr(t, err).Body, "PERMISSION_DENIED") {
			t.Errorf("403 body lacks PERMISSION_DENIED: %s", apiErr(t, err).Body)
		}
	})
	t.Run("unknown spreadsheet", func(t *testing.T) {
		t.Parallel()
		_, err := e.svc.Spreadsheets.Values.Get("nope", "A1").Context(t.Context()).Do()
		wantErr(t, err, 404, "Requested entity was not found.")
	})
	t.Run("unknown route", func(t *testing.T) {
		t.Parallel()
		resp, err := httpClient.Get(e.srv.URL + "/v3/feeds")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || !strings.Contains(string(b), `"status":"NOT_FOUND"`) {
			t.Errorf("got %d %s", resp.StatusCode, b)
		}
	})
}

func TestSharing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	e.srv.AddSpreadsheet("later", "Shared later")
	_, err := e.svc.Spreadsheets.Get("later").Context(t.Context()).Do()
	wantErr(t, err, 403, "The caller does not have permission")
	e.srv.Share("later", strings.ToUpper(email))
	if _, err := e.svc.Spreadsheets.Get("later").Context(t.Context()).Do(); err != nil {
		t.Fatalf("after Share: %v", err)
	}
	e.srv.Unshare("later", email)
	_, err = e.svc.Spreadsheets.Get("later").Context(t.Context()).Do()
	wantErr(t, err, 403, "The caller does not have permission")
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	e := newEnv(t, sheetstest.Options{Now: clock})
	tok := token(t, e)
	get := func() (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", e.srv.URL+"/v4/spreadsheets/"+docID, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(); code != 200 {
		t.Fatalf("fresh token: %d %s", code, body)
	}
	offset.Store(int64(61 * time.Minute))
	if code, body := get(); code != 401 || !strings.Contains(body, "ACCESS_TOKEN_EXPIRED") {
		t.Errorf("token past its hour: %d %s, want 401 ACCESS_TOKEN_EXPIRED", code, body)
	}
	// A client asking for a token now gets one that works.
	if _, err := e.svc.Spreadsheets.Get(docID).Context(t.Context()).Do(); err != nil {
		t.Errorf("real client after expiry: %v", err)
	}
}

// token fetches an access token for e's key from the server.
func token(t *testing.T, e *env) string {
	t.Helper()
	cfg, err := google.JWTConfigFromJSON(e.key, sheets.SpreadsheetsScope)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cfg.TokenSource(t.Context()).Token()
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

func TestScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	ctx := t.Context()
	creds, err := google.CredentialsFromJSONWithType(ctx, e.key, google.ServiceAccount, sheets.SpreadsheetsReadonlyScope)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := sheets.NewService(ctx, option.WithEndpoint(e.srv.URL+"/"), option.WithCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Spreadsheets.Get(docID).Context(ctx).Do(); err != nil {
		t.Errorf("read with the read-only scope: %v", err)
	}
	_, err = svc.Spreadsheets.Values.Clear(docID, "A1", &sheets.ClearValuesRequest{}).Context(ctx).Do()
	wantErr(t, err, 403, "Request had insufficient authentication scopes.")
}

// TestSelfSignedJWT checks a JWT signed with the account's key is accepted
// as a bearer token, as Google accepts it, with the API audience or a
// scope claim.
func TestSelfSignedJWT(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	k, key := parseKey(t, e.key)
	other, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	tests := []struct {
		name   string
		jwt    string
		status int
	}{
		{"API audience", signJWT(t, key, k.PrivateKeyID, map[string]any{"iss": email, "sub": email, "aud": "https://sheets.googleapis.com/", "iat": now, "exp": now + 3600}), 200},
		{"scope claim", signJWT(t, key, k.PrivateKeyID, map[string]any{"iss": email, "sub": email, "scope": sheets.SpreadsheetsScope, "iat": now, "exp": now + 3600}), 200},
		{"other audience", signJWT(t, key, k.PrivateKeyID, map[string]any{"iss": email, "sub": email, "aud": "https://drive.googleapis.com/", "iat": now, "exp": now + 3600}), 401},
		{"other key", signJWT(t, other, k.PrivateKeyID, map[string]any{"iss": email, "sub": email, "aud": "https://sheets.googleapis.com/", "iat": now, "exp": now + 3600}), 401},
		{"expired", signJWT(t, key, k.PrivateKeyID, map[string]any{"iss": email, "sub": email, "aud": "https://sheets.googleapis.com/", "iat": now - 7200, "exp": now - 3600}), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), "GET", e.srv.URL+"/v4/spreadsheets/"+docID, nil)
			req.Header.Set("Authorization", "Bearer "+tt.jwt)
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}
