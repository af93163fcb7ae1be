package acr

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"
)

// The examples of RFC 9470 §3 and RFC 6750 §3, on one line each (the RFCs
// fold them for display).
const (
	rfc9470ACR    = `Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="myACR"`
	rfc9470MaxAge = `Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="5"`
	rfc6750Bare   = `Bearer realm="example"`
	rfc6750Token  = `Bearer realm="example", error="invalid_token", error_description="The access token expired"`
)

var headerTests = []struct {
	name   string
	c      Challenge
	header string
}{
	{"RFC 9470 acr_values", Challenge{
		Error:       CodeInsufficientUserAuthentication,
		Description: "A different authentication level is required",
		ACRValues:   []string{"myACR"},
	}, rfc9470ACR},
	{"RFC 9470 max_age", Challenge{
		Error:       CodeInsufficientUserAuthentication,
		Description: "More recent authentication is required",
		MaxAge:      5 * time.Second, HasMaxAge: true,
	}, rfc9470MaxAge},
	{"RFC 6750 no token", Challenge{Realm: "example"}, rfc6750Bare},
	{"RFC 6750 invalid token", Challenge{
		Realm: "example", Error: CodeInvalidToken, Description: "The access token expired",
	}, rfc6750Token},
	{"bare", Challenge{}, `Bearer`},
	{"all parameters", Challenge{
		Realm: "api", Error: CodeInsufficientUserAuthentication, Description: "step up",
		Scope: "read write", ACRValues: []string{"urn:stepup:acr:phr", "urn:stepup:acr:mfa"},
		MaxAge: 5 * time.Minute, HasMaxAge: true,
	}, `Bearer realm="api", error="insufficient_user_authentication", error_description="step up", scope="read write", acr_values="urn:stepup:acr:phr urn:stepup:acr:mfa", max_age="300"`},
	{"max_age zero is sent", Challenge{MaxAge: 0, HasMaxAge: true}, `Bearer max_age="0"`},
	{"max_age rounds down", Challenge{MaxAge: 5*time.Second + 999*time.Millisecond, HasMaxAge: true}, `Bearer max_age="5"`},
	{"quotes and backslashes are escaped", Challenge{Realm: `a"b\c`, ACRValues: []string{`x"y`}},
		`Bearer realm="a\"b\\c", acr_values="x\"y"`},
}

func TestChallengeHeader(t *testing.T) {
	for _, tt := range headerTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Header(); got != tt.header {
				t.Fatalf("Header()\n got %s\nwant %s", got, tt.header)
			}
		})
	}
}

func TestChallengeRoundTrip(t *testing.T) {
	for _, tt := range headerTests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.c
			want.MaxAge = want.MaxAge.Truncate(time.Second)
			got, err := ParseWWWAuthenticate(tt.c.Header())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("parsed %+v, want %+v", got, want)
			}
		})
	}
}

// A description or a value must never break out of its quoted-string nor
// bring a character a header cannot carry.
func TestChallengeHeaderSanitises(t *testing.T) {
	tests := []struct {
		name   string
		c      Challenge
		header string
	}{
		{"description outside RFC 6750's characters", Challenge{Description: "bad \"token\"\\ é\r\nX-Injected: 1"},
			`Bearer error_description="bad ?token?? ???X-Injected: 1"`},
		{"control characters in a value", Challenge{Realm: "a\r\nb\x00\x7f\tc"}, "Bearer realm=\"a??b??\tc\""},
		{"negative max_age", Challenge{MaxAge: -time.Minute, HasMaxAge: true}, `Bearer max_age="0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Header(); got != tt.header {
				t.Fatalf("Header()\n got %q\nwant %q", got, tt.header)
			}
		})
	}
}

func TestParseWWWAuthenticate(t *testing.T) {
	mfa := Challenge{Error: CodeInsufficientUserAuthentication, ACRValues: []string{"urn:stepup:acr:mfa"}}
	tests := []struct {
		name   string
		header string
		want   Challenge
	}{
		{"bare", "Bearer", Challenge{}},
		{"bare with white space", " \tBearer \t", Challenge{}},
		{"scheme and names in any case", `bEARER ERROR="insufficient_user_authentication", Acr_Values="urn:stepup:acr:mfa"`, mfa},
		{"token values", `Bearer error=insufficient_user_authentication, acr_values=phr`,
			Challenge{Error: CodeInsufficientUserAuthentication, ACRValues: []string{"phr"}}},
		{"white space around = and ,", "Bearer error = \"insufficient_user_authentication\" ,\tacr_values\t=\t\"urn:stepup:acr:mfa\"", mfa},
		{"empty list elements", `, ,Bearer error="insufficient_user_authentication", ,,acr_values="urn:stepup:acr:mfa",`, mfa},
		{"after Basic", `Basic realm="x", Bearer error="insufficient_user_authentication", acr_values="urn:stepup:acr:mfa"`, mfa},
		{"after Basic with a comma in its realm", `Basic realm="a, Bearer error=x", Bearer error="insufficient_user_authentication", acr_values="urn:stepup:acr:mfa"`, mfa},
		{"after token68 and a bare scheme", `Negotiate abc+/==, NTLM, Bearer error="insufficient_user_authentication", acr_values="urn:stepup:acr:mfa"`, mfa},
		{"before another challenge", `Bearer error="insufficient_user_authentication", acr_values="urn:stepup:acr:mfa", DPoP algs="ES256"`, mfa},
		{"the first Bearer wins", `Bearer error="insufficient_user_authentication", acr_values="urn:stepup:acr:mfa", Bearer error="invalid_token"`, mfa},
		{"a token68 Bearer", `Bearer abc==`, Challenge{}},
		{"escapes", `Bearer realm="a\"b\\c\d"`, Challenge{Realm: `a"b\cd`}},
		{"a bare scheme after Bearer's parameters", `Bearer error="x", acr_values`, Challenge{Error: "x"}},
		{"unknown parameters ignored", `Bearer foo=bar, error="invalid_token", x="y"`, Challenge{Error: CodeInvalidToken}},
		{"several acr_values split on white space", "Bearer acr_values=\"  a  b\tc \"", Challenge{ACRValues: []string{"a", "b", "c"}}},
		{"empty acr_values", `Bearer acr_values=""`, Challenge{}},
		{"max_age quoted", `Bearer max_age="300"`, Challenge{MaxAge: 5 * time.Minute, HasMaxAge: true}},
		{"max_age bare", `Bearer max_age=300`, Challenge{MaxAge: 5 * time.Minute, HasMaxAge: true}},
		{"max_age zero", `Bearer max_age=0`, Challenge{HasMaxAge: true}},
		{"max_age leading zeros", `Bearer max_age="007"`, Challenge{MaxAge: 7 * time.Second, HasMaxAge: true}},
		{"UTF-8 in a quoted-string", `Bearer realm="café"`, Challenge{Realm: "café"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseWWWAuthenticate(tt.header)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parsed %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseWWWAuthenticateRefuses(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   error
	}{
		{"empty", "", ErrNoChallenge},
		{"only commas", " , ,", ErrNoChallenge},
		{"Basic only", `Basic realm="x"`, ErrNoChallenge},
		{"a scheme named like Bearer", `Bearerx error="invalid_token"`, ErrNoChallenge},
		{"a Bearer parameter of Basic", `Basic realm="x", error="invalid_token"`, ErrNoChallenge},
		{"max_age negative", `Bearer max_age="-5"`, ErrMalformedChallenge},
		{"max_age signed", `Bearer max_age="+5"`, ErrMalformedChallenge},
		{"max_age fraction", `Bearer max_age="5.0"`, ErrMalformedChallenge},
		{"max_age empty", `Bearer max_age=""`, ErrMalformedChallenge},
		{"max_age spaced", `Bearer max_age=" 5"`, ErrMalformedChallenge},
		{"max_age beyond a Duration", `Bearer max_age=9223372037`, ErrMalformedChallenge},
		{"max_age beyond int64", `Bearer max_age=99999999999999999999`, ErrMalformedChallenge},
		{"parameter twice", `Bearer error="invalid_token", ERROR="insufficient_scope"`, ErrMalformedChallenge},
		{"max_age twice", `Bearer max_age=5, max_age=500`, ErrMalformedChallenge},
		{"unterminated quoted-string", `Bearer error="invalid_token`, ErrMalformedChallenge},
		{"escape at the end", `Bearer error="invalid_token\`, ErrMalformedChallenge},
		{"control character", "Bearer error=\"a\x01b\"", ErrMalformedChallenge},
		{"escaped control character", "Bearer error=\"a\\\nb\"", ErrMalformedChallenge},
		{"CR LF (obsolete line folding)", "Bearer error=\"x\",\r\n acr_values=\"y\"", ErrMalformedChallenge},
		{"no value", `Bearer error=, acr_values="y"`, ErrMalformedChallenge},
		{"no name", `Bearer ="x"`, ErrMalformedChallenge},
		{"no comma", `Bearer error="x" acr_values="y"`, ErrMalformedChallenge},
		{"no space after the scheme", `Bearer"x"`, ErrMalformedChallenge},
		{"no space before a token68", `Basic/abc, Bearer max_age=5`, ErrMalformedChallenge},
		{"not a scheme", `"Bearer"`, ErrMalformedChallenge},
		{"a broken challenge before Bearer", `Basic realm="x, Bearer error="invalid_token"`, ErrMalformedChallenge},
		{"a broken challenge after Bearer", `Bearer error="x", Basic realm="y`, ErrMalformedChallenge},
		{"a token68 then a parameter", `Bearer error=, acr_values="y"`, ErrMalformedChallenge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseWWWAuthenticate(tt.header)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %+v, %v; want %v", c, err, tt.want)
			}
			if err.Error()[:4] != "acr:" {
				t.Errorf("error %q is not prefixed acr:", err)
			}
		})
	}
}

func TestChallengeServeHTTP(t *testing.T) {
	tests := []struct {
		name   string
		c      Challenge
		status int
		body   string
	}{
		{"step-up", Challenge{
			Error: CodeInsufficientUserAuthentication, Description: "More recent authentication is required",
			ACRValues: []string{"urn:stepup:acr:mfa", "urn:stepup:acr:phr"}, MaxAge: 5 * time.Second, HasMaxAge: true,
		}, 401, `{"error":"insufficient_user_authentication","error_description":"More recent authentication is required","acr_values":"urn:stepup:acr:mfa urn:stepup:acr:phr","max_age":5}`},
		{"max_age zero is in the body", Challenge{Error: CodeInsufficientUserAuthentication, HasMaxAge: true},
			401, `{"error":"insufficient_user_authentication","max_age":0}`},
		{"no token", Challenge{}, 401, `{}`},
		{"invalid token", Challenge{Error: CodeInvalidToken, Description: "bad \"sig\""}, 401,
			`{"error":"invalid_token","error_description":"bad ?sig?"}`},
		{"invalid request", Challenge{Error: CodeInvalidRequest}, 400, `{"error":"invalid_request"}`},
		{"insufficient scope", Challenge{Error: CodeInsufficientScope, Scope: "transfer"}, 403,
			`{"error":"insufficient_scope","scope":"transfer"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.c.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			resp := rec.Result()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			for name, want := range map[string]string{
				"WWW-Authenticate": tt.c.Header(),
				"Cache-Control":    "no-store",
				"Content-Type":     "application/json",
			} {
				if got := resp.Header.Get(name); got != want {
					t.Errorf("%s: %q, want %q", name, got, want)
				}
			}
			if got := rec.Body.String(); got != tt.body+"\n" {
				t.Errorf("body\n got %s\nwant %s", got, tt.body)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Error("the body is not JSON")
			}
			back, err := ParseChallenge(resp)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.c
			want.Description = safeDescription(want.Description)
			if !reflect.DeepEqual(back, want) {
				t.Errorf("ParseChallenge: %+v, want %+v", back, want)
			}
		})
	}
}

func TestParseChallengeHeaderLines(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		want    Challenge
		wantErr error
	}{
		{"no header", nil, Challenge{}, ErrNoChallenge},
		{"Basic only", []string{`Basic realm="x"`}, Challenge{}, ErrNoChallenge},
		{"Bearer on the second line", []string{`Basic realm="x"`, `Bearer error="invalid_token"`},
			Challenge{Error: CodeInvalidToken}, nil},
		{"a malformed line before Bearer", []string{`Basic realm="x`, `Bearer max_age=5`},
			Challenge{MaxAge: 5 * time.Second, HasMaxAge: true}, nil},
		{"only a malformed line", []string{`Basic realm="x`, `Digest realm="y"`}, Challenge{}, ErrMalformedChallenge},
		{"the first Bearer line wins", []string{`Bearer error="invalid_token"`, `Bearer error="insufficient_scope"`},
			Challenge{Error: CodeInvalidToken}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{Header: http.Header{}}
			for _, l := range tt.lines {
				resp.Header.Add("WWW-Authenticate", l)
			}
			got, err := ParseChallenge(resp)
			if !errors.Is(err, tt.wantErr) || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, %v; want %+v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestChallengeAuthParams(t *testing.T) {
	tests := []struct {
		name string
		c    Challenge
		want string
	}{
		{"nothing", Challenge{Error: CodeInvalidToken}, ""},
		{"acr_values", Challenge{ACRValues: []string{"urn:stepup:acr:phr", "phr"}}, "acr_values=urn%3Astepup%3Aacr%3Aphr+phr"},
		{"max_age", Challenge{MaxAge: 90 * time.Second, HasMaxAge: true}, "max_age=90"},
		{"max_age zero", Challenge{HasMaxAge: true}, "max_age=0"},
		{"max_age without HasMaxAge", Challenge{MaxAge: time.Minute}, ""},
		{"both", Challenge{ACRValues: []string{"mfa"}, MaxAge: time.Minute, HasMaxAge: true}, "acr_values=mfa&max_age=60"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.AuthParams().Encode(); got != tt.want {
				t.Fatalf("AuthParams() = %s, want %s", got, tt.want)
			}
		})
	}
}
