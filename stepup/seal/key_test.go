package seal_test

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"unicode"

	"github.com/stepup-auth/stepup/stepup/seal"
)

func TestParseKey(t *testing.T) {
	var secret [32]byte
	for i := range secret {
		secret[i] = byte(i + 1)
	}
	b64 := "base64:" + base64.StdEncoding.EncodeToString(secret[:])
	hx := hex.EncodeToString(secret[:])
	tests := []struct {
		name string
		in   string
		want string // error substring; "" for success
	}{
		{"base64", b64, ""},
		{"base64 with a trailing newline", b64 + "\n", ""},
		{"hex", hx, ""},
		{"upper-case hex", strings.ToUpper(hx), ""},
		{"empty", "  ", "key is empty"},
		{"bad base64", "base64:" + strings.Repeat("!", 44), "not valid standard base64 (44 characters"},
		{"unpadded base64", strings.TrimSuffix(b64, "="), "not valid standard base64 (43 characters"},
		{"base64 of 16 bytes", "base64:" + base64.StdEncoding.EncodeToString(secret[:16]), "decodes to 16 bytes, want 32"},
		{"base64 of 48 bytes", "base64:" + base64.StdEncoding.EncodeToString(make([]byte, 48)), "decodes to 48 bytes, want 32"},
		{"hex with a bad digit", hx[:10] + "g" + hx[11:], "character 11 is not a hex digit"},
		{"short hex", hx[:62], "has 62 characters and no \"base64:\" prefix"},
		{"raw base64 without prefix", base64.StdEncoding.EncodeToString(secret[:]), "has 44 characters and no \"base64:\" prefix"},
		{"all zeros", strings.Repeat("0", 64), "all zeros"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := seal.ParseKey(tt.in)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("ParseKey: got %v, want an error containing %q", err, tt.want)
				}
				if !strings.HasPrefix(err.Error(), "seal: ") {
					t.Errorf("ParseKey error %q does not start with the package name", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseKey: %v", err)
			}
			if k.Secret != secret {
				t.Errorf("ParseKey: wrong secret")
			}
			if k.ID != seal.DeriveKeyID(secret) || len(k.ID) != 16 {
				t.Errorf("ParseKey: ID = %q, want the derived id %q", k.ID, seal.DeriveKeyID(secret))
			}
		})
	}
}

func TestGenerateKeyEncodeParse(t *testing.T) {
	k := seal.GenerateKey()
	if k.Secret == [32]byte{} {
		t.Fatal("GenerateKey returned a zero secret")
	}
	got, err := seal.ParseKey(k.Encode())
	if err != nil {
		t.Fatalf("ParseKey(Encode()): %v", err)
	}
	if got != k {
		t.Fatalf("ParseKey(Encode()) = %v, want %v", got, k)
	}
	if other := seal.GenerateKey(); other.ID == k.ID {
		t.Fatal("two generated keys have the same id")
	}
}

func TestKeyDoesNotPrintItsSecret(t *testing.T) {
	k := seal.GenerateKey()
	secretB64 := strings.TrimPrefix(k.Encode(), "base64:")
	for _, s := range []string{k.String(), k.GoString()} {
		if strings.Contains(s, secretB64) || strings.Contains(s, hex.EncodeToString(k.Secret[:])) || !strings.Contains(s, k.ID) {
			t.Fatalf("a printed Key is %q: want its id and not its secret", s)
		}
	}
}

// FuzzParseKey checks that ParseKey never panics, that what it accepts is
// a non-zero 32-byte key with its derived id, and that its errors never
// repeat the value (tested on values without spaces, long enough that a
// word of the message cannot match by chance).
func FuzzParseKey(f *testing.F) {
	f.Add("base64:" + base64.StdEncoding.EncodeToString(make([]byte, 32)))
	f.Add("base64:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=")
	f.Add(strings.Repeat("ab", 32))
	f.Add("base64:")
	f.Add(strings.Repeat("zz", 32))
	f.Fuzz(func(t *testing.T, s string) {
		k, err := seal.ParseKey(s)
		if err == nil {
			if k.Secret == [32]byte{} || k.ID != seal.DeriveKeyID(k.Secret) {
				t.Fatalf("ParseKey(%q) accepted a zero key or gave a wrong id %q", s, k.ID)
			}
			return
		}
		if len(s) >= 12 && !strings.ContainsFunc(s, unicode.IsSpace) && strings.Contains(err.Error(), s) {
			t.Fatalf("ParseKey's error %q repeats the value", err)
		}
		if len(s) > 7 && strings.HasPrefix(s, "base64:") && len(s[7:]) >= 12 && strings.Contains(err.Error(), s[7:]) {
			t.Fatalf("ParseKey's error %q repeats the value after the prefix", err)
		}
	})
}
