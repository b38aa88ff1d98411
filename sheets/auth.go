package sheets

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	sheetsapi "google.golang.org/api/sheets/v4"
)

// Names of the settings the writer's errors point at.
const (
	envCredentialsFile = "GOOGLE_APPLICATION_CREDENTIALS"
	envCredentialsJSON = "GOOGLE_CREDENTIALS_JSON"
	envSpreadsheetID   = "SPREADSHEET_ID"
	envEndpoint        = "SHEETS_ENDPOINT"
)

// adcAccount is how errors and Check name the account when the writer runs
// on Application Default Credentials and cannot tell its email.
const adcAccount = "the service account the job runs as"

// ConfigError is a setting the writer cannot use. It names the variable to
// fix and never quotes a credential.
type ConfigError struct {
	Variable string // e.g. "GOOGLE_CREDENTIALS_JSON"
	Reason   string
}

func (e *ConfigError) Error() string { return e.Variable + ": " + e.Reason }

// keyFile is the part of a service-account key the writer reads itself.
type keyFile struct {
	Type        string `json:"type"`
	ClientEmail string `json:"client_email"`
	PrivateKey  string `json:"private_key"`
	KeyID       string `json:"private_key_id"`
	TokenURI    string `json:"token_uri"`
}

// knownTypes are credential types that may be named in an error: any other
// value of "type" might be something pasted by mistake, so it is not echoed.
var knownTypes = map[string]bool{
	"authorized_user": true, "external_account": true, "impersonated_service_account": true,
	"gdch_service_account": true, "external_account_authorized_user": true,
}

// parseKey checks a service-account key before anything uses it, so a bad
// key is a ConfigError at start rather than a failure at the first token
// request. No message quotes the key: JSON syntax errors quote the input,
// so only the offset is kept.
func parseKey(variable string, b []byte) (*keyFile, error) {
	var k keyFile
	if err := json.Unmarshal(b, &k); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &ConfigError{variable, fmt.Sprintf("the service-account key is not valid JSON (syntax error at byte %d)", se.Offset)}
		}
		return nil, &ConfigError{variable, "the service-account key is not a JSON object with the fields of a key file"}
	}
	switch {
	case k.Type == "":
		return nil, &ConfigError{variable, `the JSON has no "type" field: expected a service-account key ("type": "service_account") from the Google Cloud console`}
	case k.Type != "service_account" && knownTypes[k.Type]:
		return nil, &ConfigError{variable, fmt.Sprintf(`expected a service-account key ("type": "service_account"), found a %q credential`, k.Type)}
	case k.Type != "service_account":
		return nil, &ConfigError{variable, `expected a service-account key ("type": "service_account"), found another type`}
	case k.ClientEmail == "":
		return nil, &ConfigError{variable, `the service-account key has no "client_email"`}
	case k.PrivateKey == "":
		return nil, &ConfigError{variable, `the service-account key has no "private_key"`}
	}
	block, _ := pem.Decode([]byte(k.PrivateKey))
	if block == nil {
		return nil, &ConfigError{variable, `the "private_key" of the service-account key is not a PEM-encoded key (was the key file edited or truncated?)`}
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, &ConfigError{variable, `the "private_key" of the service-account key cannot be parsed (was the key file edited or truncated?)`}
	}
	if _, ok := parsed.(*rsa.PrivateKey); !ok {
		return nil, &ConfigError{variable, `the "private_key" of the service-account key is not an RSA key`}
	}
	if k.TokenURI != "" {
		u, err := url.Parse(k.TokenURI)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, &ConfigError{variable, `the "token_uri" of the service-account key is not an http(s) URL`}
		}
	}
	return &k, nil
}

// credentials are the token source of a writer and what errors may say
// about them.
type credentials struct {
	src     oauth2.TokenSource
	account string // the service account's email; "" when unknown
}

// loadCredentials picks the key as SPEC.md says: the key file, else the
// inline key, else Application Default Credentials. Tokens are fetched with
// tokenClient, outside any one call's context, because the token source
// outlives NewWriter's context; each request still stops waiting for a
// token when its own context ends (see authTransport).
func loadCredentials(opts Options, tokenClient *http.Client, scrub *scrubber) (*credentials, error) {
	tokenCtx := context.WithValue(context.Background(), oauth2.HTTPClient, tokenClient)
	var (
		variable string
		b        []byte
	)
	switch {
	case opts.CredentialsFile != "" && opts.CredentialsJSON != "":
		return nil, &ConfigError{envCredentialsFile, "set either GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_CREDENTIALS_JSON, not both"}
	case opts.CredentialsFile != "":
		variable = envCredentialsFile
		var err error
		if b, err = os.ReadFile(opts.CredentialsFile); err != nil {
			// The error names the path and the cause; it holds nothing of the key.
			return nil, &ConfigError{variable, fmt.Sprintf("cannot read the service-account key file: %v", err)}
		}
	case opts.CredentialsJSON != "":
		variable = envCredentialsJSON
		b = []byte(opts.CredentialsJSON)
	default:
		creds, err := google.FindDefaultCredentials(tokenCtx, sheetsapi.SpreadsheetsScope)
		if err != nil {
			return nil, &ConfigError{envCredentialsFile, "no Google credentials found: set GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_CREDENTIALS_JSON to a service-account key, or run where Application Default Credentials exist (for example as a Cloud Run Job's service account)"}
		}
		c := &credentials{src: &recordingSource{src: creds.TokenSource, scrub: scrub}}
		if len(creds.JSON) > 0 {
			// A key file found by ADC's own search: its email, if it has one.
			var k keyFile
			if json.Unmarshal(creds.JSON, &k) == nil {
				c.account = k.ClientEmail
				scrub.addKey(&k)
			}
		}
		return c, nil
	}
	k, err := parseKey(variable, b)
	if err != nil {
		return nil, err
	}
	scrub.addKey(k)
	// The signed JWT is exchanged at the key's own token_uri (Google's
	// when the key has none), so a local token endpoint can stand in.
	creds, err := google.CredentialsFromJSONWithType(tokenCtx, b, google.ServiceAccount, sheetsapi.SpreadsheetsScope)
	if err != nil {
		return nil, &ConfigError{variable, "the service-account key cannot be used"}
	}
	return &credentials{src: &recordingSource{src: creds.TokenSource, scrub: scrub}, account: k.ClientEmail}, nil
}

// recordingSource hands every access token it gets to the scrubber, so no
// error or log line can carry one.
type recordingSource struct {
	src   oauth2.TokenSource
	scrub *scrubber
}

func (r *recordingSource) Token() (*oauth2.Token, error) {
	t, err := r.src.Token()
	if t != nil {
		r.scrub.add(t.AccessToken)
		r.scrub.add(t.RefreshToken)
	}
	return t, err
}

// tokenError is a failure to get an access token.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "fetch access token: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// authTransport adds the bearer token to each request. Unlike
// oauth2.Transport it stops waiting for a token when the request's context
// ends, so a hung token endpoint cannot outlast a cancelled run.
type authTransport struct {
	base http.RoundTripper
	src  oauth2.TokenSource // safe for concurrent use (oauth2.ReuseTokenSource)
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	type result struct {
		tok *oauth2.Token
		err error
	}
	ch := make(chan result, 1)
	go func() {
		tok, err := t.src.Token()
		ch <- result{tok, err}
	}()
	var r result
	select {
	case r = <-ch:
	case <-req.Context().Done():
		r.err = req.Context().Err()
	}
	if r.err == nil && (r.tok == nil || r.tok.AccessToken == "") {
		r.err = errors.New("the token endpoint returned no access token")
	}
	if r.err != nil {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, even on error
		}
		if req.Context().Err() != nil {
			return nil, req.Context().Err()
		}
		return nil, &tokenError{r.err}
	}
	out := req.Clone(req.Context())
	r.tok.SetAuthHeader(out)
	return t.base.RoundTrip(out)
}

// scrubber removes secrets from text that goes into errors and logs: the
// key's private key and id, every access token seen, and anything shaped
// like a PEM block, a JWT or a bearer token.
type scrubber struct {
	mu      sync.Mutex
	secrets []string
}

func (s *scrubber) add(v string) {
	v = strings.TrimSpace(v)
	if len(v) < 8 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.secrets {
		if x == v {
			return
		}
	}
	s.secrets = append(s.secrets, v)
}

func (s *scrubber) addKey(k *keyFile) {
	s.add(k.PrivateKey)
	s.add(k.KeyID)
	// Each line of the key's body too, in case a message quotes a part.
	for _, line := range strings.Split(k.PrivateKey, "\n") {
		if !strings.HasPrefix(line, "-----") {
			s.add(line)
		}
	}
}

var (
	pemPattern    = regexp.MustCompile(`-----BEGIN [A-Z ]*-----[\s\S]*?(-----END [A-Z ]*-----|$)`)
	jwtPattern    = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*`)
	bearerPattern = regexp.MustCompile(`(?i)(bearer\s+|access_token=|"access_token"\s*:\s*")[A-Za-z0-9._~+/=-]+`)
	googleToken   = regexp.MustCompile(`ya29\.[A-Za-z0-9._-]+`)
)

func (s *scrubber) clean(msg string) string {
	s.mu.Lock()
	for _, x := range s.secrets {
		msg = strings.ReplaceAll(msg, x, "[redacted]")
	}
	s.mu.Unlock()
	msg = pemPattern.ReplaceAllString(msg, "[redacted private key]")
	msg = jwtPattern.ReplaceAllString(msg, "[redacted]")
	msg = bearerPattern.ReplaceAllString(msg, "${1}[redacted]")
	return googleToken.ReplaceAllString(msg, "[redacted]")
}

// defaultHTTPTimeout bounds one request: Google gives up on a batch after
// 180 s of processing, so a little more than that.
const defaultHTTPTimeout = 200 * time.Second

// tokenTimeout bounds one token request.
const tokenTimeout = 30 * time.Second
