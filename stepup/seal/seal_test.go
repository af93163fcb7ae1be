package seal_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup/seal"
)

func mustNew(t testing.TB, keys ...seal.Key) *seal.Sealer {
	t.Helper()
	s, err := seal.New(keys...)
	if err != nil {
		t.Fatalf("seal.New: %v", err)
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	k := seal.GenerateKey()
	s := mustNew(t, k)
	for _, plain := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("secret"), 1000)} {
		blob, err := s.Seal(plain, []byte("kid-1"))
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if len(plain) >= 8 && bytes.Contains(blob, plain) {
			t.Errorf("Seal of %d bytes: the blob contains the plaintext", len(plain))
		}
		got, err := s.Open(blob, []byte("kid-1"))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("Open returned %q, want %q", got, plain)
		}
		if id, err := seal.SealedKeyID(blob); err != nil || id != k.ID {
			t.Errorf("SealedKeyID = %q, %v; want %q", id, err, k.ID)
		}
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	s := mustNew(t, seal.GenerateKey())
	a, _ := s.Seal([]byte("same"), nil)
	b, _ := s.Seal([]byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two Seals of the same plaintext gave the same blob")
	}
}

func TestBlobFormat(t *testing.T) {
	k := seal.Key{ID: "k1", Secret: [32]byte{1}}
	blob, err := mustNew(t, k).Seal([]byte("abc"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// version, id length, id, 12-byte nonce, 3 bytes of ciphertext, 16-byte tag
	if want := 1 + 1 + 2 + 12 + 3 + 16; len(blob) != want {
		t.Fatalf("blob has %d bytes, want %d", len(blob), want)
	}
	if !bytes.Equal(blob[:4], []byte{1, 2, 'k', '1'}) {
		t.Fatalf("blob header = % x, want 01 02 'k' '1'", blob[:4])
	}
}

func TestOpenFailures(t *testing.T) {
	k1 := seal.GenerateKey()
	s := mustNew(t, k1)
	ad := []byte("kid-1")
	blob, err := s.Seal([]byte("private key"), ad)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(blob)
		b[i] ^= 0x01
		return b
	}
	sameIDOtherSecret := seal.GenerateKey()
	sameIDOtherSecret.ID = k1.ID
	otherIDBlob := bytes.Clone(blob)
	copy(otherIDBlob[2:], strings.Repeat("0", len(k1.ID)))
	tests := []struct {
		name   string
		sealer *seal.Sealer
		blob   []byte
		ad     []byte
		want   error
	}{
		{"wrong secret under the same key id", mustNew(t, sameIDOtherSecret), blob, ad, seal.ErrOpen},
		{"another master key only", mustNew(t, seal.GenerateKey()), blob, ad, seal.ErrUnknownKey},
		{"other associated data", s, blob, []byte("kid-2"), seal.ErrOpen},
		{"no associated data", s, blob, nil, seal.ErrOpen},
		{"changed ciphertext", s, flip(len(blob) - 20), ad, seal.ErrOpen},
		{"changed tag", s, flip(len(blob) - 1), ad, seal.ErrOpen},
		{"changed nonce", s, flip(2 + len(k1.ID)), ad, seal.ErrOpen},
		{"changed key id", s, otherIDBlob, ad, seal.ErrUnknownKey},
		{"unknown version", s, append([]byte{2}, blob[1:]...), ad, seal.ErrMalformed},
		{"empty", s, nil, ad, seal.ErrMalformed},
		{"header only", s, blob[:2+len(k1.ID)], ad, seal.ErrMalformed},
		{"truncated in the nonce", s, blob[:2+len(k1.ID)+5], ad, seal.ErrMalformed},
		{"truncated tag", s, blob[:len(blob)-1], ad, seal.ErrOpen},
		{"key id longer than the blob", s, []byte{1, 60, 'a'}, ad, seal.ErrMalformed},
		{"zero-length key id", s, append([]byte{1, 0}, blob[2:]...), ad, seal.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sealer.Open(tt.blob, tt.ad)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open: got %q, %v; want error %v", got, err, tt.want)
			}
			if got != nil {
				t.Errorf("Open failed but returned %q", got)
			}
		})
	}
}

func TestUnknownKeyErrorNamesKeys(t *testing.T) {
	old, cur := seal.GenerateKey(), seal.GenerateKey()
	blob, _ := mustNew(t, old).Seal([]byte("x"), nil)
	_, err := mustNew(t, cur).Open(blob, nil)
	if !errors.Is(err, seal.ErrUnknownKey) || !strings.Contains(err.Error(), old.ID) || !strings.Contains(err.Error(), cur.ID) {
		t.Fatalf("Open with the wrong master key: got %v, want ErrUnknownKey naming %s and %s", err, old.ID, cur.ID)
	}
}

func TestRotation(t *testing.T) {
	old, cur := seal.GenerateKey(), seal.GenerateKey()
	oldBlob, _ := mustNew(t, old).Seal([]byte("sealed long ago"), []byte("r1"))
	s := mustNew(t, cur, old)
	if s.KeyID() != cur.ID {
		t.Fatalf("KeyID = %q, want the first key %q", s.KeyID(), cur.ID)
	}
	got, err := s.Open(oldBlob, []byte("r1"))
	if err != nil || string(got) != "sealed long ago" {
		t.Fatalf("Open of a blob sealed with the second key: %q, %v", got, err)
	}
	newBlob, _ := s.Seal(got, []byte("r1"))
	if id, _ := seal.SealedKeyID(newBlob); id != cur.ID {
		t.Fatalf("Seal used key %q, want the first key %q", id, cur.ID)
	}
	if _, err := mustNew(t, old).Open(newBlob, []byte("r1")); !errors.Is(err, seal.ErrUnknownKey) {
		t.Fatalf("Open of a re-sealed blob with the old key only: %v, want ErrUnknownKey", err)
	}
}

func TestNewRejects(t *testing.T) {
	k := seal.GenerateKey()
	tests := []struct {
		name string
		keys []seal.Key
		want string
	}{
		{"no keys", nil, "no master key"},
		{"duplicate id", []seal.Key{k, k}, "given twice"},
		{"empty id", []seal.Key{{Secret: k.Secret}}, "1 to 64 characters"},
		{"long id", []seal.Key{{ID: strings.Repeat("a", 65), Secret: k.Secret}}, "1 to 64 characters"},
		{"bad character", []seal.Key{{ID: "a b", Secret: k.Secret}}, "character 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := seal.New(tt.keys...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// FuzzOpen feeds Open arbitrary blobs and associated data. Open must never
// panic, and must open nothing but what Seal made for that associated data.
// (Each fuzz worker runs this function again and seals with new nonces, so
// the check goes by associated data, not by blob.)
func FuzzOpen(f *testing.F) {
	k := seal.Key{ID: "fuzz-key", Secret: [32]byte{7, 7, 7}}
	s := mustNew(f, k, seal.Key{ID: "old", Secret: [32]byte{9}})
	plainOf := map[string]string{"kid-1": "private key", "": "", "kid-2": strings.Repeat("z", 100)}
	for ad, plain := range plainOf {
		blob, err := s.Seal([]byte(plain), []byte(ad))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(blob, []byte(ad))
	}
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1, 3, 'o', 'l', 'd'}, []byte("x"))
	f.Add([]byte{1, 255}, []byte{})
	f.Fuzz(func(t *testing.T, blob, ad []byte) {
		plain, err := s.Open(blob, ad)
		if err != nil {
			if !errors.Is(err, seal.ErrMalformed) && !errors.Is(err, seal.ErrUnknownKey) && !errors.Is(err, seal.ErrOpen) {
				t.Fatalf("Open failed with an error of no known kind: %v", err)
			}
			return
		}
		if want, ok := plainOf[string(ad)]; !ok || want != string(plain) {
			t.Fatalf("Open accepted a blob Seal did not make for this associated data: %x with %q", blob, ad)
		}
	})
}
