package apikey

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	key, rec, err := Generate(Server, "x", nil, time.Time{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if p, err := parse(key); err != nil || p.kind != Server || p.id != rec.ID {
		t.Fatalf("parse(%q) = %+v, %v", key, p, err)
	}
	id, secret := rec.ID, key[len("su_server_")+len(rec.ID)+1:]
	for _, bad := range []string{
		"",
		"su_",
		"Bearer " + key,
		key + "A",              // a longer secret
		key[:len(key)-1],       // a shorter one
		key[:len(key)-1] + "B", // non-zero padding bits: a second spelling of one secret
		strings.Replace(key, "su_", "SU_", 1),
		"su_root_" + id + "_" + secret, // an unknown kind
		"su_server_" + strings.ToUpper(id) + "_" + secret,
		"su_server_" + id[1:] + "_" + secret,
		"su_server_" + id + secret,                              // no separator
		"su_server_" + id + "_" + secret + "=",                  // padded
		"su_server_" + id + "_" + secret[:5] + "/" + secret[6:], // standard base64, not base64url
		"su_server__" + secret,
		strings.Repeat("a", 10000),
	} {
		if p, err := parse(bad); err != errMalformed {
			t.Errorf("parse(%q) = %+v, %v; want errMalformed", bad, p, err)
		}
	}
}

// FuzzParse: parse never panics, and accepts only keys that Generate could
// have made, each spelt exactly one way.
func FuzzParse(f *testing.F) {
	key, _, _ := Generate(Admin, "x", nil, time.Time{}, time.Now())
	f.Add(key)
	f.Add("su_server_000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("su_admin__")
	f.Add("su_server_0_\xff")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parse(s)
		if err != nil {
			if err != errMalformed {
				t.Fatalf("parse(%q): error %v, want errMalformed", s, err)
			}
			return
		}
		rest := strings.TrimPrefix(s, "su_"+p.kind+"_"+p.id+"_")
		if !keyPattern(s) || len(rest) != 43 {
			t.Fatalf("parse accepted %q as %+v", s, p)
		}
		b, err := secretEncoding.DecodeString(rest)
		if err != nil || secretEncoding.EncodeToString(b) != rest {
			t.Fatalf("parse accepted %q, whose secret does not round-trip", s)
		}
	})
}

// keyPattern checks the form without the parser's own code.
func keyPattern(s string) bool {
	kind, rest, ok := strings.Cut(strings.TrimPrefix(s, "su_"), "_")
	if !ok || !strings.HasPrefix(s, "su_") || (kind != "server" && kind != "admin") || len(rest) != 24+1+43 || rest[24] != '_' {
		return false
	}
	return strings.Trim(rest[:24], "0123456789abcdef") == "" &&
		strings.Trim(rest[25:], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == ""
}
