package oidc

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// specExample is the example of OpenID Connect Core 1.0 §5.5, as printed.
const specExample = `
  {
   "userinfo":
    {
     "given_name": {"essential": true},
     "nickname": null,
     "email": {"essential": true},
     "email_verified": {"essential": true},
     "picture": null,
     "http://example.info/claims/groups": null
    },
   "id_token":
    {
     "auth_time": {"essential": true},
     "acr": {"values": ["urn:mace:incommon:iap:silver"] }
    }
  }
`

func raws(values ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(values))
	for i, v := range values {
		out[i] = json.RawMessage(v)
	}
	return out
}

// nested returns an id_token request for claim x whose value is depth
// arrays nested in one another, so that the parameter nests 3+depth deep.
func nested(depth int) string {
	return `{"id_token":{"x":{"value":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}}}`
}

// ofLength returns a valid parameter exactly n bytes long.
func ofLength(n int) string {
	const head, tail = `{"ignored":"`, `"}`
	return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
}

func TestParseClaims(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *ClaimsRequest
	}{
		{"absent", "", nil},
		{"spec §5.5 example", specExample, &ClaimsRequest{
			UserInfo: map[string]ClaimRequest{
				"given_name":                        {Essential: true},
				"nickname":                          {},
				"email":                             {Essential: true},
				"email_verified":                    {Essential: true},
				"picture":                           {},
				"http://example.info/claims/groups": {},
			},
			IDToken: map[string]ClaimRequest{
				"auth_time": {Essential: true},
				"acr":       {Values: raws(`"urn:mace:incommon:iap:silver"`)},
			},
		}},
		{"spec §5.5.1 essential acr with values",
			`{"id_token":{"acr": {"essential": true,
          "values": ["urn:mace:incommon:iap:silver",
                     "urn:mace:incommon:iap:bronze"]}}}`,
			&ClaimsRequest{IDToken: map[string]ClaimRequest{
				"acr": {Essential: true, Values: raws(`"urn:mace:incommon:iap:silver"`, `"urn:mace:incommon:iap:bronze"`)},
			}}},
		{"spec §5.5.1 essential acr with value",
			`{"id_token":{"acr": {"essential": true,
          "value": "urn:mace:incommon:iap:silver"}}}`,
			&ClaimsRequest{IDToken: map[string]ClaimRequest{
				"acr": {Essential: true, Values: raws(`"urn:mace:incommon:iap:silver"`)},
			}}},
		{"spec §5.5.1 sub with value", `{"id_token":{"sub": {"value": "248289761001"}}}`,
			&ClaimsRequest{IDToken: map[string]ClaimRequest{"sub": {Values: raws(`"248289761001"`)}}}},
		{"voluntary acr", `{"id_token":{"acr":{"essential":false,"values":["phrh","phr"]}}}`,
			&ClaimsRequest{IDToken: map[string]ClaimRequest{"acr": {Values: raws(`"phrh"`, `"phr"`)}}}},
		{"null entries and an empty request are the same",
			`{"userinfo":{"acr":null,"name":{}},"id_token":{"acr":null}}`,
			&ClaimsRequest{
				UserInfo: map[string]ClaimRequest{"acr": {}, "name": {}},
				IDToken:  map[string]ClaimRequest{"acr": {}},
			}},
		{"value and values merge, value first",
			`{"id_token":{"acr":{"essential":true,"value":"a","values":["b","a"]}}}`,
			&ClaimsRequest{IDToken: map[string]ClaimRequest{"acr": {Essential: true, Values: raws(`"a"`, `"b"`, `"a"`)}}}},
		{"values other than strings survive, compacted",
			`{"userinfo":{"age":{"value":18},"address":{"values":[ {"country" : "DE"} , null, [1, 2.5e3] ]}}}`,
			&ClaimsRequest{UserInfo: map[string]ClaimRequest{
				"age":     {Values: raws(`18`)},
				"address": {Values: raws(`{"country":"DE"}`, `null`, `[1,2.5e3]`)},
			}}},
		{"escapes in values are kept as sent",
			`{"id_token":{"acr":{"value":"\u0061\/b"}}}`,
			&ClaimsRequest{IDToken: map[string]ClaimRequest{"acr": {Values: raws(`"\u0061\/b"`)}}}},
		{"unknown members are ignored",
			`{"access_token":{"acr":{"essential":"yes"}},"userinfo":{"email":{"essential":true,"purpose":"to mail you","value":"a@example.com"}}}`,
			&ClaimsRequest{UserInfo: map[string]ClaimRequest{"email": {Essential: true, Values: raws(`"a@example.com"`)}}}},
		{"names are case-sensitive",
			`{"ID_TOKEN":{"acr":{"essential":true}},"id_token":{"ACR":{"Essential":true,"Values":[1]}}}`,
			&ClaimsRequest{IDToken: map[string]ClaimRequest{"ACR": {}}}},
		{"the same name in different objects", `{"userinfo":{"acr":null},"id_token":{"acr":null}}`,
			&ClaimsRequest{UserInfo: map[string]ClaimRequest{"acr": {}}, IDToken: map[string]ClaimRequest{"acr": {}}}},
		{"empty members", `{"userinfo":{},"id_token":{}}`,
			&ClaimsRequest{UserInfo: map[string]ClaimRequest{}, IDToken: map[string]ClaimRequest{}}},
		{"empty object", `{}`, &ClaimsRequest{}},
		{"at the length limit", ofLength(maxClaimsLength), &ClaimsRequest{}},
		{"at the depth limit", nested(maxClaimsDepth - 3), &ClaimsRequest{IDToken: map[string]ClaimRequest{
			"x": {Values: raws(strings.Repeat("[", maxClaimsDepth-3) + strings.Repeat("]", maxClaimsDepth-3))},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseClaims(tt.in)
			if err != nil {
				t.Fatalf("ParseClaims: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseClaims = %s\nwant %s", dump(got), dump(tt.want))
			}
		})
	}
}

func TestParseClaimsErrors(t *testing.T) {
	const (
		notObject   = "oidc: claims: the parameter must be a JSON object"
		duplicate   = "oidc: claims: an object has the same member name twice"
		idTokenObj  = "oidc: claims: member id_token must be a JSON object"
		request     = "oidc: claims: id_token: a claim request must be null or a JSON object"
		essential   = "oidc: claims: id_token: essential must be true or false"
		valuesArray = "oidc: claims: id_token: values must be a JSON array"
		acrString   = "oidc: claims: id_token: acr: a requested value must be a string"
	)
	tests := []struct {
		name, in, want string
	}{
		{"not JSON", `{"id_token":`, "oidc: claims: the parameter is not valid JSON (error at byte 12)"},
		{"trailing data", `{"id_token":{}} {}`, "oidc: claims: the parameter is not valid JSON (error at byte 17)"},
		{"only spaces", "  ", "oidc: claims: the parameter is not valid JSON (error at byte 2)"},
		{"not UTF-8", "{\"id_token\":{\"\xff\":null}}", "oidc: claims: the parameter is not valid UTF-8"},
		{"top level array", `[{"id_token":{}}]`, notObject},
		{"top level string", `"{\"id_token\":{}}"`, notObject},
		{"top level null", `null`, notObject},
		{"userinfo array", `{"userinfo":[]}`, "oidc: claims: member userinfo must be a JSON object"},
		{"id_token null", `{"id_token":null}`, idTokenObj},
		{"id_token string", `{"id_token":"acr"}`, idTokenObj},
		{"request true", `{"id_token":{"acr":true}}`, request},
		{"request string", `{"id_token":{"acr":"phr"}}`, request},
		{"request array", `{"id_token":{"acr":["phr"]}}`, request},
		{"request in userinfo", `{"userinfo":{"email":1}}`, "oidc: claims: userinfo: a claim request must be null or a JSON object"},
		{"essential string", `{"id_token":{"acr":{"essential":"true","value":"phr"}}}`, essential},
		{"essential number", `{"id_token":{"auth_time":{"essential":1}}}`, essential},
		{"essential null", `{"id_token":{"auth_time":{"essential":null}}}`, essential},
		{"values string", `{"id_token":{"acr":{"essential":true,"values":"phr phrh"}}}`, valuesArray},
		{"values object", `{"id_token":{"x":{"values":{"0":"a"}}}}`, valuesArray},
		{"values null", `{"id_token":{"x":{"values":null}}}`, valuesArray},
		{"values empty", `{"id_token":{"acr":{"essential":true,"values":[]}}}`, "oidc: claims: id_token: values must not be an empty array"},
		{"acr value number", `{"id_token":{"acr":{"essential":true,"value":2}}}`, acrString},
		{"acr value null", `{"id_token":{"acr":{"essential":true,"value":null}}}`, acrString},
		{"acr values mixed", `{"id_token":{"acr":{"essential":true,"values":["phr",{"level":3}]}}}`, acrString},
		{"acr in userinfo", `{"userinfo":{"acr":{"values":[true]}}}`, "oidc: claims: userinfo: acr: a requested value must be a string"},
		{"duplicate member", `{"id_token":{"acr":{"essential":true}},"id_token":{}}`, duplicate},
		{"duplicate claim", `{"id_token":{"acr":{"essential":true,"values":["phrh"]},"acr":null}}`, duplicate},
		{"duplicate claim, escaped", `{"id_token":{"acr":{"essential":true,"values":["phrh"]},"\u0061cr":null}}`, duplicate},
		{"duplicate essential", `{"id_token":{"acr":{"essential":true,"values":["phrh"],"essential":false}}}`, duplicate},
		{"duplicate in a value", `{"userinfo":{"address":{"value":{"country":"DE","country":"FR"}}}}`, duplicate},
		{"duplicate in an ignored member", `{"ext":{"a":1,"a":1}}`, duplicate},
		{"too deep", nested(maxClaimsDepth - 2), "oidc: claims: objects and arrays nest deeper than 16 levels"},
		{"too long", ofLength(maxClaimsLength + 1), "oidc: claims: the parameter is longer than 8192 bytes"},
		{"too long and invalid", strings.Repeat("\xff", 1<<20), "oidc: claims: the parameter is longer than 8192 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseClaims(tt.in)
			if err == nil {
				t.Fatalf("ParseClaims accepted it: %s", dump(got))
			}
			if got != nil {
				t.Errorf("ParseClaims returned %s with its error", dump(got))
			}
			if err.Error() != tt.want {
				t.Errorf("error %q, want %q", err, tt.want)
			}
			checkSafeError(t, err)
		})
	}
}

// checkSafeError checks that err can answer a client as it is: it matches
// ErrInvalidClaims, is short, and keeps to the characters RFC 6749 §5.2
// allows in error_description.
func checkSafeError(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrInvalidClaims) {
		t.Errorf("%q does not match ErrInvalidClaims", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "oidc: claims: ") || len(msg) > 100 {
		t.Errorf("error %q lacks the prefix or is too long", msg)
	}
	for _, c := range []byte(msg) {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			t.Errorf("error %q has %q, not allowed in an error_description", msg, c)
		}
	}
}

func TestACR(t *testing.T) {
	tests := []struct {
		name          string
		in            string
		wantValues    []string
		wantEssential bool
	}{
		{"absent", "", nil, false},
		{"not requested", `{"userinfo":{"email":{"essential":true}}}`, nil, false},
		{"spec example", specExample, []string{"urn:mace:incommon:iap:silver"}, false},
		{"essential with values",
			`{"id_token":{"acr":{"essential":true,"values":["urn:mace:incommon:iap:silver","urn:mace:incommon:iap:bronze"]}}}`,
			[]string{"urn:mace:incommon:iap:silver", "urn:mace:incommon:iap:bronze"}, true},
		{"essential with value", `{"id_token":{"acr":{"essential":true,"value":"urn:mace:incommon:iap:silver"}}}`,
			[]string{"urn:mace:incommon:iap:silver"}, true},
		{"essential without values", `{"id_token":{"acr":{"essential":true}}}`, nil, true},
		{"voluntary", `{"id_token":{"acr":{"values":["phrh","phr"]}}}`, []string{"phrh", "phr"}, false},
		{"null", `{"id_token":{"acr":null}}`, nil, false},
		{"decoded", `{"id_token":{"acr":{"value":"\u0070hr"}}}`, []string{"phr"}, false},
		// An essential request in either member binds: a voluntary
		// request or a null in the other neither hides nor widens it.
		{"essential userinfo over voluntary id_token",
			`{"userinfo":{"acr":{"essential":true,"values":["b","a","c"]}},"id_token":{"acr":{"value":"a","values":["d","a"]}}}`,
			[]string{"b", "a", "c"}, true},
		{"id_token null does not hide an essential userinfo request",
			`{"id_token":{"acr":null},"userinfo":{"acr":{"essential":true,"values":["urn:stepup:acr:phr"]}}}`,
			[]string{"urn:stepup:acr:phr"}, true},
		{"essential userinfo without values", `{"userinfo":{"acr":{"essential":true}},"id_token":{"acr":null}}`, nil, true},
		{"userinfo when id_token asks nothing about acr", `{"userinfo":{"acr":{"essential":true,"value":"x"}},"id_token":{"email":null}}`,
			[]string{"x"}, true},
		{"voluntary id_token before voluntary userinfo",
			`{"userinfo":{"acr":{"values":["b"]}},"id_token":{"acr":{"values":["d","a"]}}}`, []string{"d", "a"}, false},
		{"essential in both: the values in both",
			`{"id_token":{"acr":{"essential":true,"values":["a","b","c"]}},"userinfo":{"acr":{"essential":true,"values":["c","b"]}}}`,
			[]string{"b", "c"}, true},
		{"essential id_token values and essential userinfo without",
			`{"id_token":{"acr":{"essential":true,"values":["a"]}},"userinfo":{"acr":{"essential":true}}}`, []string{"a"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseClaims(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			values, essential, err := c.ACR()
			if err != nil || !slices.Equal(values, tt.wantValues) || essential != tt.wantEssential {
				t.Errorf("ACR() = %q, %v, %v; want %q, %v", values, essential, err, tt.wantValues, tt.wantEssential)
			}
		})
	}
}

// Both members demand values and none is in both: no token can meet the
// request.
func TestACRWithDisjointEssentialMembersConflicts(t *testing.T) {
	c, err := ParseClaims(`{"id_token":{"acr":{"essential":true,"values":["a"]}},"userinfo":{"acr":{"essential":true,"values":["b"]}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, essential, err := c.ACR(); !essential || !errors.Is(err, ErrACRConflict) {
		t.Errorf("ACR() essential %v, err %v; want essential and ErrACRConflict", essential, err)
	}
}

func TestACRIgnoresValuesOtherThanStrings(t *testing.T) {
	c := &ClaimsRequest{IDToken: map[string]ClaimRequest{
		"acr": {Essential: true, Values: raws(`null`, `1`, ` "phr" `, `{"a":"b"}`, `["phrh"]`, `"phr"`)},
	}}
	values, essential, _ := c.ACR()
	if !slices.Equal(values, []string{"phr"}) || !essential {
		t.Errorf("ACR() = %q, %v; want [phr], true", values, essential)
	}
}

func TestRequested(t *testing.T) {
	c, err := ParseClaims(specExample)
	if err != nil {
		t.Fatal(err)
	}
	for _, claim := range []string{"auth_time", "acr", "nickname", "email", "http://example.info/claims/groups"} {
		if !c.Requested(claim) {
			t.Errorf("Requested(%q) = false", claim)
		}
	}
	for _, claim := range []string{"name", "AUTH_TIME", "userinfo", ""} {
		if c.Requested(claim) {
			t.Errorf("Requested(%q) = true", claim)
		}
	}
	var none *ClaimsRequest
	if none.Requested("auth_time") {
		t.Error("a nil ClaimsRequest requests auth_time")
	}
	if values, essential, err := none.ACR(); values != nil || essential || err != nil {
		t.Errorf("nil ClaimsRequest: ACR() = %q, %v", values, essential)
	}
}

func dump(c *ClaimsRequest) string {
	if c == nil {
		return "<nil>"
	}
	b, err := marshalClaims(c)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
