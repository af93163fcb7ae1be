package admin

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzDecodePublish: the body of a publication never panics the decoder;
// what it accepts has a base version and exactly one spec, as sent.
func FuzzDecodePublish(f *testing.F) {
	for _, s := range []string{
		`{"base_version":0,"spec_yaml":"action: payment\ndefault: ALLOW\n"}`,
		`{"base_version":3,"comment":"c","spec":{"action":"payment","default":"ALLOW"}}`,
		`{"base_version":1,"spec":null,"spec_yaml":"x"}`,
		`{"base_version":1,"spec":[1],"spec_yaml":null}`,
		`{"base_version":18446744073709551616,"spec_yaml":"x"}`,
		`{"base_version":1,"spec":{"a":1},"spec_yaml":"x"}`,
		`{"base_version":1.5}`, `{}`, `[]`, `null`, ``, `{"comment":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodePublish(body)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "admin: ") || strings.Contains(err.Error(), "api: ") {
				t.Fatalf("error %q: want the admin prefix alone", err)
			}
			return
		}
		fields, ok := topLevel(body)
		if !ok {
			t.Fatalf("accepted a body that is not a JSON object: %q", body)
		}
		if _, ok := fields.get("base_version"); !ok {
			t.Fatalf("accepted a body without base_version: %q", body)
		}
		if len(p.spec) == 0 || len([]rune(p.comment)) > maxComment {
			t.Fatalf("accepted %+v from %q", p, body)
		}
		spec, hasSpec := fields.get("spec")
		yaml, hasYAML := fields.get("spec_yaml")
		hasSpec = hasSpec && string(spec) != "null"
		hasYAML = hasYAML && string(yaml) != "null"
		if hasSpec == hasYAML {
			t.Fatalf("accepted a body with spec %v and spec_yaml %v: %q", hasSpec, hasYAML, body)
		}
		if hasSpec && string(p.spec) != string(spec) {
			t.Fatalf("the spec %q is not the one sent, %q", p.spec, spec)
		}
	})
}

// members are a JSON object's members in order.
type members []struct {
	name  string
	value json.RawMessage
}

// get returns the value of name as encoding/json reads it: names match
// without regard to case, and the last of repeated names wins.
func (ms members) get(name string) (json.RawMessage, bool) {
	for i := len(ms) - 1; i >= 0; i-- {
		if strings.EqualFold(ms[i].name, name) {
			return ms[i].value, true
		}
	}
	return nil, false
}

// topLevel returns the members of the JSON object body, in order.
func topLevel(body []byte) (members, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var ms members
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		ms = append(ms, struct {
			name  string
			value json.RawMessage
		}{tok.(string), v})
	}
	return ms, true
}
