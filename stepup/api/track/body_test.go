package track

import (
	"strings"
	"testing"
)

func TestParseTrack(t *testing.T) {
	for _, tc := range []struct {
		name, body, err string
	}{
		{"everything", `{"ipAddress":"81.2.69.160","userAgent":"Mozilla/5.0","deviceId":"device-123456",` +
			`"redirectUrl":"https://bank.example/done","idempotencyKey":"order-7","custom":{"amount":1500}}`, ""},
		{"nothing", `{}`, ""},
		{"http on localhost", `{"redirectUrl":"http://localhost:3000/cb"}`, ""},
		{"an IPv4-mapped address", `{"ipAddress":"::ffff:81.2.69.160"}`, ""},
		{"empty", ``, "the body is empty"},
		{"not an object", `[1]`, "not the JSON expected"},
		{"unknown field", `{"ip":"1.2.3.4"}`, `unknown field "ip"`},
		{"two objects", `{}{}`, "more than one JSON value"},
		{"cut short", `{"a`, "not the JSON expected"},
		{"bad JSON", `{"a":}`, "invalid character"},
		{"a wrong type", `{"custom":[1]}`, "field custom: a JSON array is not valid here"},
		{"a bad address", `{"ipAddress":"300.1.1.1"}`, "ipAddress must be"},
		{"an address with a zone", `{"ipAddress":"fe80::1%eth0"}`, "ipAddress must be"},
		{"a short device id", `{"deviceId":"ios"}`, "deviceId:"},
		{"a key with a space", `{"idempotencyKey":"a b"}`, "idempotencyKey must be"},
		{"http elsewhere", `{"redirectUrl":"http://bank.example/cb"}`, "redirectUrl must be https"},
		{"a relative URL", `{"redirectUrl":"/cb"}`, "redirectUrl must be an absolute URL"},
		{"user info", `{"redirectUrl":"https://a@bank.example/cb"}`, "without user info"},
		{"javascript", `{"redirectUrl":"javascript:alert(1)"}`, "absolute URL"},
		{"too big", `{"userAgent":"` + strings.Repeat("a", maxBody) + `"}`, "over 65536 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseTrack(strings.NewReader(tc.body))
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("err %v, want one saying %q", err, tc.err)
			}
		})
	}
}

// FuzzParseTrack: a track body comes from any backend holding a key. It
// must never panic, and what it accepts must be what the API promises.
func FuzzParseTrack(f *testing.F) {
	for _, s := range []string{`{}`, `{"ipAddress":"::1","custom":{"a":[1,{"b":null}]}}`,
		`{"redirectUrl":"https://x.example/?a=b"}`, `{"deviceId":"abcdefgh"}`, `{"custom":{"amount":1e308}}`, `nul`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p, err := parseTrack(strings.NewReader(body))
		if err != nil {
			if _, ok := err.(errBody); !ok {
				t.Fatalf("an error that is not a body error: %v", err)
			}
			return
		}
		if p.redirectURL != "" && checkRedirect(p.redirectURL) != nil {
			t.Fatalf("accepted redirect %q", p.redirectURL)
		}
		if p.key != "" && !idPattern.MatchString(p.key) {
			t.Fatalf("accepted key %q", p.key)
		}
		if p.deviceID != "" && !strings.HasPrefix(p.deviceID, "caller:") {
			t.Fatalf("a device id outside the caller's namespace: %q", p.deviceID)
		}
	})
}
