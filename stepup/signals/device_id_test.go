package signals

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func newDeviceCookie(t testing.TB, key string) *DeviceCookie {
	t.Helper()
	c, err := NewDeviceCookie([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const testCookieKey = "0123456789abcdef0123456789abcdef"

func TestDeviceCookieOpensWhatItMade(t *testing.T) {
	c := newDeviceCookie(t, testCookieKey)
	seen := map[string]bool{}
	for range 100 {
		id, value := c.New()
		if !strings.HasPrefix(id, cookieIDPrefix) || len(id) != cookieIDLen {
			t.Fatalf("id %q: want %q and %d characters", id, cookieIDPrefix, cookieIDLen)
		}
		if len(value) != 64 {
			t.Fatalf("value %q: want 64 characters", value)
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
		got, ok := c.Open(value)
		if !ok || got != id {
			t.Fatalf("Open(New's value) = %q, %v; want %q, true", got, ok, id)
		}
		if err := checkDeviceID(id); err != nil {
			t.Fatalf("checkDeviceID(%q): %v", id, err)
		}
	}
}

func TestDeviceCookieRejects(t *testing.T) {
	c := newDeviceCookie(t, testCookieKey)
	id, value := c.New()
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	otherID := bytes.Repeat([]byte{7}, deviceIDBytes)
	_, otherValue := c.New()
	otherRaw, _ := base64.RawURLEncoding.DecodeString(otherValue)
	// A valid value spelled in standard base64 differs only where it has
	// a - or a _.
	std := otherValue
	for !strings.ContainsAny(std, "-_") {
		_, std = c.New()
	}
	std = strings.NewReplacer("-", "+", "_", "/").Replace(std)

	for _, tc := range []struct {
		name, value string
	}{
		{"empty", ""},
		{"the id alone", id},
		{"the id part alone", enc(raw[:deviceIDBytes])},
		{"one character short", value[:len(value)-1]},
		{"one character more", value + "A"},
		{"padded", value + "=="},
		{"standard base64", std},
		{"a flipped MAC bit", enc(flipBit(raw, len(raw)-1))},
		{"a flipped id bit", enc(flipBit(raw, 0))},
		{"another id with this MAC", enc(append(append([]byte{}, otherID...), raw[deviceIDBytes:]...))},
		{"the id of one and the MAC of another", enc(append(append([]byte{}, raw[:deviceIDBytes]...), otherRaw[deviceIDBytes:]...))},
		{"a MAC of another key", enc(macWithPurpose(append([]byte{}, raw[:deviceIDBytes]...), []byte("another key, another key, 32 bytes!"), deviceCookiePurpose, raw[:deviceIDBytes]))},
		{"a MAC for another purpose", enc(macWithPurpose(append([]byte{}, raw[:deviceIDBytes]...), []byte(testCookieKey), "stepup-flow-v1\x00", raw[:deviceIDBytes]))},
		{"a MAC without purpose", enc(macWithPurpose(append([]byte{}, raw[:deviceIDBytes]...), []byte(testCookieKey), "", raw[:deviceIDBytes]))},
		{"spaces around", " " + value[1:len(value)-1] + " "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, ok := c.Open(tc.value); ok || got != "" {
				t.Fatalf("Open(%q) = %q, %v; want it refused", tc.value, got, ok)
			}
		})
	}
	// Another key's cookie.
	other := newDeviceCookie(t, strings.Repeat("k", 32))
	if _, ok := other.Open(value); ok {
		t.Fatal("a cookie made under one key opened under another")
	}
}

func flipBit(b []byte, i int) []byte {
	c := append([]byte{}, b...)
	c[i] ^= 1
	return c
}

func TestNewDeviceCookieWantsALongKey(t *testing.T) {
	if _, err := NewDeviceCookie([]byte(testCookieKey[:31])); err == nil || !strings.HasPrefix(err.Error(), "signals: ") {
		t.Fatalf("a 31-byte key: err = %v", err)
	}
	key := []byte(testCookieKey)
	c := newDeviceCookie(t, string(key))
	_, value := c.New()
	key[0] ^= 1 // the caller's slice is not the cookie's key
	if _, ok := c.Open(value); !ok {
		t.Fatal("changing the caller's key slice changed the cookie's key")
	}
}

func TestCallerDeviceID(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{in: "", want: ""},
		{in: "1b4e28ba-2fa1-11d2-883f-0016d3cca427", want: "caller:1b4e28ba-2fa1-11d2-883f-0016d3cca427"},
		{in: "aGVsbG8gd29ybGQ+/=", want: "caller:aGVsbG8gd29ybGQ+/="},
		{in: "a.b_c~d:e", want: "caller:a.b_c~d:e"},
		{in: "12345678", want: "caller:12345678"},
		{in: strings.Repeat("x", MaxCallerDeviceIDLen), want: "caller:" + strings.Repeat("x", MaxCallerDeviceIDLen)},
		// A caller cannot name a cookie device: its id lands in its own namespace.
		{in: "cookie:AAAAAAAAAAAAAAAAAAAAAA", want: "caller:cookie:AAAAAAAAAAAAAAAAAAAAAA"},
		{in: "1234567", bad: true},
		{in: "ios", bad: true},
		{in: strings.Repeat("x", MaxCallerDeviceIDLen+1), bad: true},
		{in: "device id with spaces", bad: true},
		{in: "device\x00id-nul", bad: true},
		{in: "device\nid-newline", bad: true},
		{in: "appareil-é-1234", bad: true},
		{in: "<script>alert(1)</script>", bad: true},
		{in: "%2e%2e%2fdevice", bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := CallerDeviceID(tc.in)
			if tc.bad {
				if !errors.Is(err, ErrInvalidDeviceID) || got != "" {
					t.Fatalf("CallerDeviceID(%q) = %q, %v; want ErrInvalidDeviceID", tc.in, got, err)
				}
				if !strings.HasPrefix(err.Error(), "signals: invalid device id: ") {
					t.Fatalf("error %q does not say what is wrong", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("CallerDeviceID(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestCheckDeviceIDWantsANamespace(t *testing.T) {
	c := newDeviceCookie(t, testCookieKey)
	cookieID, _ := c.New()
	callerID, _ := CallerDeviceID("1b4e28ba-2fa1-11d2")
	for _, id := range []string{cookieID, callerID} {
		if err := checkDeviceID(id); err != nil {
			t.Errorf("checkDeviceID(%q): %v", id, err)
		}
	}
	for _, id := range []string{
		"1b4e28ba-2fa1-11d2",           // a raw caller id
		cookieID[len(cookieIDPrefix):], // a raw cookie id
		cookieID + "A",
		cookieID[:len(cookieID)-1],
		cookieIDPrefix + "AAAAAAAAAAAAAAAAAAAAA+", // not base64url
		cookieIDPrefix + "AAAAAAAAAAAAAAAAAAAAAB", // spare bits set: a second spelling
		callerIDPrefix + "short",
		callerIDPrefix,
	} {
		if err := checkDeviceID(id); !errors.Is(err, ErrInvalidDeviceID) {
			t.Errorf("checkDeviceID(%q) = %v, want ErrInvalidDeviceID", id, err)
		}
	}
}

func FuzzDeviceCookieOpen(f *testing.F) {
	c := newDeviceCookie(f, testCookieKey)
	// Values made from fixed ids, not by New: the fuzzing workers run
	// this again, and must find the same valid values.
	valid := map[string]string{}
	for i := range byte(3) {
		id := bytes.Repeat([]byte{i}, deviceIDBytes)
		value := base64.RawURLEncoding.EncodeToString(c.mac(id, id))
		valid[value] = cookieIDPrefix + base64.RawURLEncoding.EncodeToString(id)
		f.Add(value)
	}
	f.Add("")
	f.Add(strings.Repeat("A", cookieValueLen))
	f.Add(strings.Repeat("=", cookieValueLen))
	f.Fuzz(func(t *testing.T, value string) {
		id, ok := c.Open(value)
		want, made := valid[value]
		if ok != made || id != want {
			// The fuzzer cannot forge a MAC: any value other than the
			// three made above must be refused.
			t.Fatalf("Open(%q) = %q, %v; want %q, %v", value, id, ok, want, made)
		}
	})
}

func FuzzCallerDeviceID(f *testing.F) {
	for _, s := range []string{"", "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "ios", "cookie:AAAAAAAAAAAAAAAAAAAAAA", "a b c d e f g h", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		id, err := CallerDeviceID(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidDeviceID) || id != "" {
				t.Fatalf("CallerDeviceID(%q) = %q, %v", in, id, err)
			}
			return
		}
		if in == "" {
			if id != "" {
				t.Fatalf("CallerDeviceID(\"\") = %q", id)
			}
			return
		}
		if id != callerIDPrefix+in || strings.HasPrefix(id, cookieIDPrefix) {
			t.Fatalf("CallerDeviceID(%q) = %q, outside the caller namespace", in, id)
		}
		if err := checkDeviceID(id); err != nil {
			t.Fatalf("checkDeviceID(CallerDeviceID(%q)): %v", in, err)
		}
		for i := range len(in) {
			if in[i] < 0x21 || in[i] > 0x7e {
				t.Fatalf("CallerDeviceID accepted %q, with byte %#x", in, in[i])
			}
		}
	})
}
