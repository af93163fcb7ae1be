package oidc

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
)

func FuzzParseClaims(f *testing.F) {
	for _, seed := range []string{
		specExample,
		`{"id_token":{"acr":{"essential":true,"values":["urn:mace:incommon:iap:silver","urn:mace:incommon:iap:bronze"]}}}`,
		`{"id_token":{"acr":{"essential":true,"value":"urn:mace:incommon:iap:silver"}}}`,
		`{"userinfo":{"acr":{"essential":true,"values":["b","a"]}},"id_token":{"acr":{"value":"a","values":["d","a"]}}}`,
		`{"userinfo":{"address":{"value":{"country":"DE"}},"age":{"values":[18,null,[1]]}}}`,
		`{"id_token":{"acr":null,"\u0061cr":null}}`,
		`{"id_token":{"acr":{"value":"\ud800\u2028<&>"}}}`,
		`{"ext":[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]}`,
		`{"id_token":{"x":{"values":[]}}}`,
		`[]`,
		``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseClaims(s)
		if err != nil {
			if c != nil {
				t.Fatalf("ParseClaims(%q) returned a request with its error", s)
			}
			checkSafeError(t, err)
			return
		}
		if (c == nil) != (s == "") {
			t.Fatalf("ParseClaims(%q) = %v, nil", s, c)
		}
		if c == nil {
			return
		}
		wantValues, wantEssential, wantErr := c.ACR()
		if slices.Contains(wantValues, "") && !bytes.Contains([]byte(s), []byte(`""`)) {
			t.Errorf("ParseClaims(%q) requests an empty acr it does not contain", s)
		}

		b, err := marshalClaims(c)
		if err != nil {
			t.Fatalf("marshalling the request parsed from %q: %v", s, err)
		}
		back, err := ParseClaims(string(b))
		if errors.Is(err, errClaimsTooLong) || errors.Is(err, errClaimsTooDeep) {
			// Re-marshalling may legitimately lengthen names (U+2028 is
			// always escaped) or put a value one array deeper (value and
			// values merged), so the limits may be crossed.
			return
		}
		if err != nil {
			t.Fatalf("%q parsed, but its re-marshalling %s did not: %v", s, b, err)
		}
		if values, essential, err := back.ACR(); !slices.Equal(values, wantValues) || essential != wantEssential || err != wantErr {
			t.Fatalf("ACR() of %q is %q, %v; of its re-marshalling %s, %q, %v", s, wantValues, wantEssential, b, values, essential)
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("%q parsed to %s, its re-marshalling to %s", s, b, dump(back))
		}
	})
}

// marshalClaims writes c back as a claims parameter: a request's values as
// "value" when there is one and "values" when there are more, essential only
// when true, so that parsing the result gives c again.
func marshalClaims(c *ClaimsRequest) ([]byte, error) {
	member := func(m map[string]ClaimRequest) map[string]any {
		out := make(map[string]any, len(m))
		for name, r := range m {
			req := map[string]any{}
			if r.Essential {
				req["essential"] = true
			}
			switch len(r.Values) {
			case 0:
			case 1:
				req["value"] = r.Values[0]
			default:
				req["values"] = r.Values
			}
			out[name] = req
		}
		return out
	}
	top := map[string]any{}
	if c.UserInfo != nil {
		top["userinfo"] = member(c.UserInfo)
	}
	if c.IDToken != nil {
		top["id_token"] = member(c.IDToken)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keeps the raw values byte for byte
	if err := enc.Encode(top); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
