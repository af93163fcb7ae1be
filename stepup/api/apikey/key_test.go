package apikey_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/api/apikey"
)

var keyFormat = regexp.MustCompile(`^su_(server|admin)_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$`)

func TestGenerate(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	expires := now.Add(720 * time.Hour)
	key, rec, err := apikey.Generate(apikey.Admin, "  fraud team ", []string{"rules"}, expires, now)
	if err != nil {
		t.Fatal(err)
	}
	m := keyFormat.FindStringSubmatch(key)
	if m == nil {
		t.Fatalf("key %q is not su_<kind>_<id>_<secret>", key)
	}
	if m[1] != "admin" || rec.Kind != "admin" || rec.ID != m[2] || rec.Name != "fraud team" ||
		!rec.CreatedAt.Equal(now) || !rec.ExpiresAt.Equal(expires) || len(rec.Scopes) != 1 || rec.Scopes[0] != "rules" {
		t.Errorf("record %+v for key %s", rec, key)
	}
	if rec.Hash == "" || strings.Contains(rec.Hash, m[3]) || strings.Contains(key, rec.Hash) {
		t.Errorf("the record's hash %q is not a hash of the secret", rec.Hash)
	}
	other, rec2, err := apikey.Generate(apikey.Server, "backend", nil, time.Time{}, now)
	if err != nil || other == key || rec2.ID == rec.ID || rec2.Hash == rec.Hash || !rec2.ExpiresAt.IsZero() {
		t.Errorf("a second key: %q %+v %v", other, rec2, err)
	}

	for _, tt := range []struct {
		name, kind, keyName string
		expires             time.Time
		err                 string
	}{
		{"unknown kind", "root", "x", time.Time{}, `unknown kind "root"`},
		{"no name", apikey.Admin, "  ", time.Time{}, "needs a name"},
		{"long name", apikey.Admin, strings.Repeat("n", apikey.MaxName+1), time.Time{}, "needs a name"},
		{"expired already", apikey.Admin, "x", now, "not after now"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := apikey.Generate(tt.kind, tt.keyName, nil, tt.expires, now); err == nil ||
				!strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "apikey: ") {
				t.Errorf("error %v, want %q", err, tt.err)
			}
		})
	}
}
