package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stepup-auth/stepup/stepup/store"
)

// The kinds of key. A key opens only the API of its kind: a server key
// leaked from a backend cannot change the rules.
const (
	Server = "server" // the track API
	Admin  = "admin"  // the admin API
)

const (
	prefix      = "su_"
	idBytes     = 12 // 96 bits: ids never collide by chance, and are public anyway
	secretBytes = 32 // 256 bits: no guessing, and no need for a slow hash
	// maxKeyLength bounds what Parse looks at: the longest kind, the id and
	// the secret, with their separators.
	maxKeyLength = len(prefix) + len(Server) + 1 + 2*idBytes + 1 + 43
	// MaxName bounds a key's name, which listings and audit events show.
	MaxName = 100
)

var secretEncoding = base64.RawURLEncoding.Strict()

// Generate makes a key of kind (Server or Admin) named name, with scopes,
// expiring at expires (the zero time: never). It returns the key, to show
// once, and the record to store, which holds only its hash.
func Generate(kind, name string, scopes []string, expires, now time.Time) (plaintext string, rec *store.APIKey, err error) {
	if kind != Server && kind != Admin {
		return "", nil, fmt.Errorf("apikey: unknown kind %q (want %s or %s)", kind, Server, Admin)
	}
	if name = strings.TrimSpace(name); name == "" || utf8.RuneCountInString(name) > MaxName || !utf8.ValidString(name) {
		return "", nil, fmt.Errorf("apikey: a key needs a name of 1 to %d characters", MaxName)
	}
	if !expires.IsZero() && !expires.After(now) {
		return "", nil, fmt.Errorf("apikey: the expiry %s is not after now", expires.Format(time.RFC3339))
	}
	id := make([]byte, idBytes)
	secret := make([]byte, secretBytes)
	_, _ = rand.Read(id) // crypto/rand.Read never fails (Go 1.24)
	_, _ = rand.Read(secret)
	plaintext = prefix + kind + "_" + hex.EncodeToString(id) + "_" + secretEncoding.EncodeToString(secret)
	rec = &store.APIKey{
		ID: hex.EncodeToString(id), Hash: hash(plaintext), Name: name, Kind: kind,
		Scopes: slices.Clone(scopes), CreatedAt: now, ExpiresAt: expires,
	}
	return plaintext, rec, nil
}

// errMalformed is Parse's one error: how a key is wrong helps nobody but
// someone guessing.
var errMalformed = errors.New("apikey: not an API key")

// parsed is a key taken apart.
type parsed struct {
	kind, id string
}

// parse checks that key has the form su_<kind>_<id>_<secret> and returns
// its kind and id. The secret is checked by its hash, against the store.
func parse(key string) (parsed, error) {
	if len(key) > maxKeyLength || !strings.HasPrefix(key, prefix) {
		return parsed{}, errMalformed
	}
	// The secret is base64url and may itself hold "_": the kind and the
	// id never do, so the first two separators after the prefix split.
	kind, rest, ok := strings.Cut(key[len(prefix):], "_")
	if !ok || kind != Server && kind != Admin {
		return parsed{}, errMalformed
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || !isID(id) {
		return parsed{}, errMalformed
	}
	if b, err := secretEncoding.DecodeString(secret); err != nil || len(b) != secretBytes {
		return parsed{}, errMalformed
	}
	return parsed{kind: kind, id: id}, nil
}

// isID reports whether s is an id as Generate makes them: lowercase hex,
// so that one key has exactly one spelling.
func isID(s string) bool {
	if len(s) != 2*idBytes {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// hash is what the store keeps of a key: SHA-256 of the whole key, hex.
// A fast hash is right here, unlike for passwords: a password is guessed
// from a small space, which a slow hash (argon2id) makes costly to walk,
// while the secret is 256 random bits, which no hash speed makes
// guessable; and a fast hash keeps a busy API's check at a microsecond.
// Hashing the whole key, not the secret alone, ties the secret to the
// kind and id it was issued with.
func hash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
