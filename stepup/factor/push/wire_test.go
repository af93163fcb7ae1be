package push_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/push"
)

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestCanonicalRequestIsTheDocumentedString(t *testing.T) {
	c := push.Credentials{DeviceID: "dev1", Time: 1700000000, Nonce: "AAAAAAAAAAAAAAAAAAAAAA"}
	got := string(push.CanonicalRequest("POST", "/v1/device/challenges/p1", c, []byte(`{"decision":"deny"}`)))
	sum := sha256.Sum256([]byte(`{"decision":"deny"}`))
	want := "STEPUP-DEVICE-V1\nPOST\n/v1/device/challenges/p1\ndev1\n1700000000\nAAAAAAAAAAAAAAAAAAAAAA\n" + hex.EncodeToString(sum[:])
	if got != want {
		t.Fatalf("CanonicalRequest =\n%q\nwant\n%q", got, want)
	}
	if e := string(push.EnrollProof("tok", "key")); e != "STEPUP-DEVICE-ENROLL-V1\ntok\nkey" {
		t.Fatalf("EnrollProof = %q", e)
	}
}

func TestSignatureIsES256RS(t *testing.T) {
	key := newKey(t)
	msg := []byte("hello")
	sig, err := push.Sign(rand.Reader, key, msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(sig) != 64 {
		t.Fatalf("signature of %d bytes, want 64", len(sig))
	}
	// Checked by the standard library's own reading of r||s.
	sum := sha256.Sum256(msg)
	if !ecdsa.Verify(&key.PublicKey, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("the signature is not r||s of ECDSA over SHA-256")
	}
	if !push.Verify(&key.PublicKey, msg, sig) {
		t.Fatal("Verify refuses a good signature")
	}
	for name, bad := range map[string]func() ([]byte, []byte){
		"another message": func() ([]byte, []byte) { return []byte("hellp"), sig },
		"a flipped bit":   func() ([]byte, []byte) { s := append([]byte{}, sig...); s[5] ^= 1; return msg, s },
		"short":           func() ([]byte, []byte) { return msg, sig[:63] },
		"DER": func() ([]byte, []byte) {
			der, _ := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])})
			return msg, der
		},
	} {
		m, s := bad()
		if push.Verify(&key.PublicKey, m, s) {
			t.Errorf("Verify accepts %s", name)
		}
	}
	if push.Verify(&newKey(t).PublicKey, msg, sig) {
		t.Error("Verify accepts another key's signature")
	}
}

func TestPublicKeyIsSPKI(t *testing.T) {
	key := newKey(t)
	s, err := push.MarshalPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	got, der, err := push.ParsePublicKey(s)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(&key.PublicKey) {
		t.Fatal("the key read back is another")
	}
	// What the package documentation tells an iOS developer: the fixed
	// header before the X9.63 point.
	point, _ := key.PublicKey.Bytes()
	header, _ := hex.DecodeString("3059301306072a8648ce3d020106082a8648ce3d030107034200")
	if string(der) != string(header)+string(point) {
		t.Fatalf("the SPKI is not the documented header and point:\n%x", der)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	for name, in := range map[string]string{
		"P-384":       base64.RawURLEncoding.EncodeToString(p384DER),
		"padded":      s + "=",
		"standard":    strings.NewReplacer("-", "+", "_", "/").Replace(s) + "+",
		"raw point":   base64.RawURLEncoding.EncodeToString(point),
		"empty":       "",
		"much longer": strings.Repeat("A", 400),
	} {
		if _, _, err := push.ParsePublicKey(in); !errors.Is(err, push.ErrProtocol) {
			t.Errorf("ParsePublicKey of %s: %v, want ErrProtocol", name, err)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	sig := base64.RawURLEncoding.EncodeToString(make([]byte, 64))
	good := `StepupDevice id="dev_1-x", ts="1700000000", nonce="abcdefghijklmnop", sig="` + sig + `"`
	c, err := push.ParseAuthorization(good)
	if err != nil {
		t.Fatal(err)
	}
	if c.DeviceID != "dev_1-x" || c.Time != 1700000000 || c.Nonce != "abcdefghijklmnop" || len(c.Signature) != 64 {
		t.Fatalf("ParseAuthorization = %+v", c)
	}
	if again, err := push.ParseAuthorization(c.String()); err != nil || again.DeviceID != c.DeviceID || again.Time != c.Time {
		t.Fatalf("String does not parse back: %v %+v", err, again)
	}
	for _, tc := range []struct{ name, h string }{
		{"empty", ""},
		{"other scheme", strings.Replace(good, "StepupDevice", "Bearer", 1)},
		{"no space", strings.Replace(good, "StepupDevice ", "StepupDevice", 1)},
		{"repeated id", good + `, id="x"`},
		{"unknown parameter", good + `, x="1"`},
		{"missing nonce", strings.Replace(good, `nonce="abcdefghijklmnop", `, "", 1)},
		{"short nonce", strings.Replace(good, "abcdefghijklmnop", "abc", 1)},
		{"unquoted", strings.Replace(good, `ts="1700000000"`, `ts=1700000000`, 1)},
		{"negative ts", strings.Replace(good, `1700000000`, `-1`, 1)},
		{"huge ts", strings.Replace(good, `1700000000`, `99999999999999999`, 1)},
		{"quote in id", strings.Replace(good, `dev_1-x`, `dev"1`, 1)},
		{"short sig", strings.Replace(good, sig, sig[:80], 1)},
		{"too long", good + strings.Repeat(" ", 600)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := push.ParseAuthorization(tc.h); !errors.Is(err, push.ErrProtocol) {
				t.Fatalf("ParseAuthorization(%q): %v, want ErrProtocol", tc.h, err)
			}
		})
	}
}

func TestSkewed(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for d, want := range map[time.Duration]bool{
		0: false, push.MaxSkew: false, -push.MaxSkew: false,
		push.MaxSkew + time.Second: true, -push.MaxSkew - time.Second: true,
	} {
		if got := push.Skewed(now.Add(d).Unix(), now); got != want {
			t.Errorf("Skewed(now%+v) = %v, want %v", d, got, want)
		}
	}
}
