package config

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// testKey is 00 01 02 ... 1f, in both of the key's forms.
var (
	testKeyBytes = func() (b [SecretKeySize]byte) {
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}()
	testKeyHex    = hex.EncodeToString(testKeyBytes[:])
	testKeyBase64 = "base64:" + base64.StdEncoding.EncodeToString(testKeyBytes[:])
)

func TestParseSecretKey(t *testing.T) {
	tests := []struct {
		name, in string
		err      error // nil: in is testKey
	}{
		{"hex", testKeyHex, nil},
		{"upper-case hex", strings.ToUpper(testKeyHex), nil},
		{"base64", testKeyBase64, nil},
		{"hex too short", testKeyHex[:62], errKeyForm},
		{"hex too long", testKeyHex + "00", errKeyForm},
		{"not hex", "g" + testKeyHex[1:], errKeyNotHex},
		{"base64 without its prefix", strings.TrimPrefix(testKeyBase64, "base64:"), errKeyForm},
		{"base64 of 31 bytes", "base64:" + base64.StdEncoding.EncodeToString(testKeyBytes[:31]), errKeyBase64Length},
		{"base64 of 33 bytes", "base64:" + base64.StdEncoding.EncodeToString(append(testKeyBytes[:], 0)), errKeyBase64Length},
		{"base64 unpadded", strings.TrimSuffix(testKeyBase64, "="), errKeyNotBase64},
		{"url-safe base64", "base64:" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)), errKeyNotBase64},
		{"empty base64", "base64:", errKeyBase64Length},
		{"upper-case prefix", "BASE64:" + strings.TrimPrefix(testKeyBase64, "base64:"), errKeyForm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseSecretKey(tt.in)
			if tt.err != nil {
				if err != tt.err || k.Set {
					t.Errorf("ParseSecretKey = %v, %v; want an unset key and %v", k, err, tt.err)
				}
				return
			}
			if err != nil || !k.Set || k.Bytes != testKeyBytes {
				t.Errorf("ParseSecretKey = %x (set %v), %v; want %x", k.Bytes, k.Set, err, testKeyBytes)
			}
		})
	}

	if k, err := ParseSecretKey(""); err != nil || k != (SecretKey{}) {
		t.Errorf(`ParseSecretKey("") = %v, %v; want the unset key`, k, err)
	}
}

// TestSecretKeyNeverPrints guards the key against a Config that is logged or
// encoded.
func TestSecretKeyNeverPrints(t *testing.T) {
	k, err := ParseSecretKey(testKeyHex)
	if err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.Secrets.Key = k
	text, _ := k.MarshalText()
	for _, s := range []string{
		fmt.Sprint(k), fmt.Sprintf("%+v", c.Secrets), fmt.Sprintf("%#v", c.Secrets), fmt.Sprintf("%+v", *c), string(text),
	} {
		// The bytes as fmt prints an array, and as hex.
		if strings.Contains(s, "[0 1 2 3") || strings.Contains(s, "0x0, 0x1, 0x2") || strings.Contains(s, "0102030405") {
			t.Errorf("the key shows in %q", s)
		}
	}
	if got := fmt.Sprint(k, SecretKey{}); got != "set not set" {
		t.Errorf("String = %q, want \"set not set\"", got)
	}
}

func TestSecretKeyInFile(t *testing.T) {
	tests := []struct {
		name, value string
		env         map[string]string
		want        string // the problem; "" for none
	}{
		{"hex", testKeyHex, nil, ""},
		{"base64", testKeyBase64, nil, ""},
		{"from the environment", "${KEY}", map[string]string{"KEY": testKeyBase64}, ""},
		{"malformed", "base64:c2VjcmV0", nil,
			"stepup.yaml:2:8: secrets.key: the key after base64: must decode to exactly 32 bytes"},
		{"malformed from the environment", "${KEY}", map[string]string{"KEY": "hunter2hunter2"},
			"stepup.yaml:2:8: secrets.key: a key must be 64 hexadecimal digits, or base64: followed by the base64 of 32 bytes"},
		{"unset variable", "${KEY}", nil, "stepup.yaml:2:8: secrets.key: environment variable KEY is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, ps := load(t, "secrets:\n  key: "+tt.value+"\n", tt.env)
			if tt.want != "" {
				wantProblems(t, ps, tt.want)
				return
			}
			wantProblems(t, ps)
			if cfg != nil && (!cfg.Secrets.Key.Set || cfg.Secrets.Key.Bytes != testKeyBytes) {
				t.Errorf("key = %x (set %v), want %x", cfg.Secrets.Key.Bytes, cfg.Secrets.Key.Set, testKeyBytes)
			}
		})
	}
}

func TestSecretKeyWarning(t *testing.T) {
	const warning = "stepup.yaml: warning: secrets.key: is not set: a generated key is kept in the data folder; set one from the environment in production"
	tests := []struct {
		name, yaml string
		want       string // "" for no problem
	}{
		{"no key", "log:\n  level: info\n", warning},
		{"empty file", "", warning},
		{"empty key", "secrets:\n  key: \"\"\n", "stepup.yaml:2:8: warning: secrets.key: is not set: a generated key is kept in the data folder; set one from the environment in production"},
		{"key", "secrets:\n  key: " + testKeyHex + "\n", ""},
		// ${VAR:-} asks for the environment's key and allows none: the
		// file already does what the warning asks.
		{"environment allowing none", "secrets:\n  key: ${STEPUP_SECRET_KEY:-}\n", ""},
		{"literal ${", "secrets:\n  key: $${STEPUP_SECRET_KEY:-}\n",
			"stepup.yaml:2:8: secrets.key: a key must be 64 hexadecimal digits, or base64: followed by the base64 of 32 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not load, which leaves this warning out.
			_, ps := LoadBytes("stepup.yaml", []byte(tt.yaml), fakeEnv(nil))
			ps = slices.DeleteFunc(ps, isRelativeDirWarning)
			if tt.want == "" {
				wantProblems(t, ps)
			} else {
				wantProblems(t, ps, tt.want)
			}
		})
	}

	// Without a file, and in code, the server's generated key is expected.
	if _, ps := Load(""); len(ps) != 0 {
		t.Errorf(`Load("") = %s`, ps)
	}
	if ps := Default().Validate(); len(ps) != 0 {
		t.Errorf("Default().Validate() = %s", ps)
	}
}

// FuzzParseSecretKey checks that a key parses to what it encodes, and that
// an error is always one of the fixed reasons, which cannot hold the key.
func FuzzParseSecretKey(f *testing.F) {
	for _, s := range []string{"", testKeyHex, testKeyBase64, "base64:", "base64:====", testKeyHex[:63] + "g", "base64:" + testKeyHex} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseSecretKey(s)
		switch {
		case err != nil:
			if !slices.ContainsFunc([]error{errKeyForm, errKeyNotHex, errKeyNotBase64, errKeyBase64Length}, func(e error) bool { return errors.Is(err, e) }) {
				t.Fatalf("error %q is not one of the fixed reasons", err)
			}
			if k != (SecretKey{}) {
				t.Fatalf("an error came with the key %v", k)
			}
		case s == "":
			if k.Set {
				t.Fatal("the empty key is set")
			}
		case strings.HasPrefix(s, base64Prefix):
			if got := base64Prefix + base64.StdEncoding.EncodeToString(k.Bytes[:]); !k.Set || got != strings.NewReplacer("\r", "", "\n", "").Replace(s) {
				t.Fatalf("%q parsed to %q", s, got)
			}
		default:
			if got := hex.EncodeToString(k.Bytes[:]); !k.Set || got != strings.ToLower(s) {
				t.Fatalf("%q parsed to %q", s, got)
			}
		}
	})
}
