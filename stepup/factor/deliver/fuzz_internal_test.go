package deliver

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseTwilioError feeds parseTwilioError any answer body: it always
// gives an error that names the status, on one printable line.
func FuzzParseTwilioError(f *testing.F) {
	f.Add(400, []byte(`{"code": 21211, "message": "The 'To' number is not valid.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`))
	f.Add(500, []byte(`<html>`))
	f.Add(429, []byte(`{"code":"x","message":{"a":1}}`))
	f.Add(400, []byte("{\"message\":\"a\\nforged log line\\u0000\"}"))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		err := parseTwilioError(status, body)
		s := err.Error()
		if !strings.HasPrefix(s, "twilio: HTTP ") || strings.ContainsAny(s, "\r\n\x00") || !utf8.ValidString(s) {
			t.Fatalf("%q", s)
		}
	})
}
